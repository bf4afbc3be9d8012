import type { AgentConfig } from '../config/schema.js';
import { type DependencyHealth, observeCalls } from '../observability/dependency-health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import { createFetch } from '../util/http-fetch.js';
import { responseLimits } from '../util/response-limits.js';
import { type PortClient, createPortClient } from './port-client.js';
import { type PortHttp, createPortHttp } from './port-http.js';

export interface PortParts {
  /** Port's API with the agent's token: the claim intake's own routes go through it too. */
  http: PortHttp;
  /** Run records, logs and Kafka credentials; its failures feed /readyz. */
  client: PortClient;
}

/** Port's REST API from `port.*` (and the node-run routes of `portApi.routes`). */
export function buildPort(
  config: Pick<AgentConfig, 'port' | 'portApi' | 'github'>,
  deps: { clock: Clock; metrics: Metrics; logger: Logger; dependencies: DependencyHealth },
): PortParts {
  const { clock, metrics, logger } = deps;
  const http = createPortHttp({
    baseUrl: config.port.apiUrl,
    clientId: config.port.clientId,
    clientSecret: config.port.clientSecret,
    fetch: createFetch({
      caFile: config.port.caFile,
      insecure: config.port.tlsInsecureSkipVerify,
      timeoutMs: config.port.requestTimeoutMs,
      name: 'port.caFile',
      limits: responseLimits(config, 'port', metrics),
    }),
    clock,
    metrics,
    logger,
  });
  const client = observeCalls(
    createPortClient({ http, nodeRoutes: config.portApi.routes, reservedHeader: config.portApi.reservedHeader }),
    'port',
    deps.dependencies,
  );
  return { http, client };
}
