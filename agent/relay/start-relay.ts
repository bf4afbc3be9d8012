/**
 * Wires the relay from the configuration (called by main.ts only when relay.enabled): the OIDC
 * verifier fetching GHES's keys with GHES's CA bundle and limits, the run scope reading Port with
 * the agent's own client, the listener.
 */
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortRunApi } from '../port/port-client.js';
import type { PortHttp } from '../port/port-http.js';
import { ghesOriginsOf } from '../run/verify-recorded-run.js';
import type { FetchFn } from '../util/http-fetch.js';
import { createOidcVerifier } from './oidc-verifier.js';
import { createRelayHandler } from './relay-handler.js';
import { type RelayServer, startRelayServer } from './relay-server.js';
import { createRepoRateLimit } from './repo-rate-limit.js';
import { createRunScope } from './run-scope.js';

export function startRelay(deps: {
  config: AgentConfig;
  ghesFetch: FetchFn;
  portHttp: PortHttp;
  port: PortRunApi;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  jwksMinRefreshMs?: number;
}): Promise<RelayServer> {
  const { relay, github } = deps.config;
  const handle = createRelayHandler({
    verifier: createOidcVerifier({
      issuer: relay.oidcIssuer,
      audience: relay.audience,
      fetch: deps.ghesFetch,
      now: deps.now,
      minRefreshMs: deps.jwksMinRefreshMs,
    }),
    portHttp: deps.portHttp,
    runScope: createRunScope({
      getRun: (id, hint) => deps.port.getRun(id, hint),
      ghesOrigins: ghesOriginsOf([github.url, github.apiUrl]),
      now: deps.now,
    }),
    rate: createRepoRateLimit({ perMinute: relay.requestsPerRepoPerMinute, now: deps.now }),
    policy: relay.policy,
    logger: deps.logger,
    now: deps.now,
  });
  return startRelayServer({
    host: relay.host,
    port: relay.port,
    tls: relay.tlsCertFile ? { certFile: relay.tlsCertFile, keyFile: relay.tlsKeyFile } : undefined,
    maxBodyBytes: relay.maxBodyBytes,
    requestDeadlineMs: relay.requestDeadlineMs,
    handle,
    metrics: deps.metrics,
    logger: deps.logger,
    now: deps.now,
  });
}
