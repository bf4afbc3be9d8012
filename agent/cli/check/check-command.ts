import type { AgentConfig } from '../../config/schema.js';
import { createGithubClients } from '../../github/github-client.js';
import { createLogger, createSecretScrubber } from '../../observability/logger.js';
import { createMetrics } from '../../observability/metrics.js';
import { createIntegrationApi } from '../../port/integration-api.js';
import { createPortClient } from '../../port/port-client.js';
import { createPortHttp } from '../../port/port-http.js';
import { realClock } from '../../util/backoff.js';
import { createFetch } from '../../util/http-fetch.js';
import { responseLimits } from '../../util/response-limits.js';
import type { CheckContext } from './context.js';
import { githubChecks } from './github-checks.js';
import { createKafkaProbe } from './kafka-probe.js';
import { kafkaChecks } from './kafka-checks.js';
import { portApiChecks } from './port-api-checks.js';
import { portChecks } from './port-checks.js';
import { type CheckResult, runChecks, summarize } from './run-checks.js';
import type { Check, Part } from './types.js';

/**
 * Every check, in the order they print. A new check is one more entry (a `Check` with its part
 * and needs); a new part of the agent (an intake) adds its checks and says in `disabledParts`
 * when it is off.
 */
export const ALL_CHECKS: Check<CheckContext>[] = [...githubChecks, ...portChecks, ...kafkaChecks, ...portApiChecks];

/** Parts the configuration turns off: their checks print SKIP with the reason. */
export function disabledParts(config: AgentConfig): Partial<Record<Part, string>> {
  const off: Partial<Record<Part, string>> = {};
  if (!config.kafka.enabled) off.kafka = 'kafka.enabled is false (the HTTPS intake alone)';
  if (!config.portApi.enabled) off['port-api'] = 'portApi.enabled is false (no HTTPS intake)';
  return off;
}

/** `ghes-agent check`: builds the agent's own clients from the configuration and runs the checks. Returns the exit code. */
export async function checkCommand(
  config: AgentConfig,
  opts: { configFile?: string; print?: (line: string) => void; checks?: Check<CheckContext>[] } = {},
): Promise<number> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const secrets = createSecretScrubber([config.port.clientSecret, config.github.privateKey, config.github.token, config.kafka.password]);
  // The clients log through winston; a check reports on stdout, so only their errors go to stderr.
  const logger = createLogger({ level: 'error', secrets, stream: process.stderr });
  const metrics = createMetrics({ defaultMetrics: false });
  const githubFetch = createFetch({
    caFile: config.github.caFile,
    insecure: config.github.tlsInsecureSkipVerify,
    timeoutMs: config.github.requestTimeoutMs,
    name: 'github.caFile',
    limits: responseLimits(config, 'github'),
  });
  const portFetch = createFetch({
    caFile: config.port.caFile,
    insecure: config.port.tlsInsecureSkipVerify,
    timeoutMs: config.port.requestTimeoutMs,
    name: 'port.caFile',
    limits: responseLimits(config, 'port'),
  });
  const portHttp = createPortHttp({
    baseUrl: config.port.apiUrl,
    clientId: config.port.clientId,
    clientSecret: config.port.clientSecret,
    fetch: portFetch,
    clock: realClock,
    metrics,
    logger,
  });
  const ctx: CheckContext = {
    config,
    now: () => Date.now(),
    githubFetch,
    github: createGithubClients({
      apiUrl: config.github.apiUrl,
      auth: config.github.appId
        ? { kind: 'app', appId: config.github.appId, privateKey: config.github.privateKey, installationId: config.github.installationId }
        : { kind: 'token', token: config.github.token },
      fetch: githubFetch,
      maxConcurrency: 4,
      metrics,
      logger,
      clock: realClock,
    }),
    portFetch,
    port: createPortClient({ http: portHttp, nodeRoutes: config.portApi.routes }),
    portApi: { tokenClaims: () => portHttp.tokenClaims(), integrations: createIntegrationApi({ http: portHttp }) },
    kafka: (settings) => {
      secrets.add(settings.password);
      return createKafkaProbe(settings, logger);
    },
    facts: {},
  };
  print(
    `ghes-agent check${opts.configFile ? ` (${opts.configFile})` : ''}: GHES ${config.github.apiUrl}, Port ${config.port.apiUrl} (org ${config.port.orgId})`,
  );
  let results: CheckResult[];
  try {
    results = await runChecks(opts.checks ?? ALL_CHECKS, ctx, {
      disabled: disabledParts(config),
      print: (line) => print(secrets.scrub(line)),
    });
  } finally {
    await ctx.facts.kafkaProbe?.close();
  }
  print(summarize(results));
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
