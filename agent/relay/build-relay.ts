import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortParts } from '../port/build-port.js';
import type { Clock } from '../util/backoff.js';
import { createFetch } from '../util/http-fetch.js';
import { responseLimits } from '../util/response-limits.js';
import type { StopList } from '../util/stop-list.js';
import { startRelay } from './start-relay.js';

/**
 * The relay (issue 26, docs/relay.md), only when `relay.enabled`: workflows report to Port
 * through the agent. GHES's OIDC keys are fetched like every GHES answer (github.caFile, the
 * deadline and size cap); Port is called with the agent's own client. Its stop closes the
 * listener before the health server's.
 */
export async function buildRelay(
  config: AgentConfig,
  deps: { port: PortParts; metrics: Metrics; logger: Logger; clock: Clock; stops: StopList },
): Promise<void> {
  if (!config.relay.enabled) return;
  const ghesFetch = createFetch({
    caFile: config.github.caFile,
    insecure: config.github.tlsInsecureSkipVerify,
    timeoutMs: config.github.requestTimeoutMs,
    name: 'github.caFile',
    limits: responseLimits(config, 'github', deps.metrics),
  });
  const relay = await startRelay({
    config,
    ghesFetch,
    portHttp: deps.port.http,
    port: deps.port.client,
    metrics: deps.metrics,
    logger: deps.logger,
    now: () => deps.clock.now(),
  });
  deps.stops.add(() => relay.close());
}
