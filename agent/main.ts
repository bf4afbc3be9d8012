#!/usr/bin/env node
/**
 * The composition root: the only place that reads the environment, creates clients and wires
 * every part together. Everything else receives its dependencies as arguments.
 * Follow one run: kafka/consumer.ts (Port's GitHub App backend) or claim/claim-intake.ts (the
 * GitHub Ocean backend and Port Workflows, over HTTPS) → run/process-message.ts →
 * github/dispatch-workflow.ts → tracking/batched-watcher.ts → port/reporter.ts.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { stringify as toYaml } from 'yaml';
import { parseCommand } from './cli/command-line.js';
import { runCommand } from './cli/run-command.js';
import { loadConfig, maskedConfig } from './config/load.js';
import type { AgentConfig } from './config/schema.js';
import { type AgentError, toAgentError } from './errors.js';
import { buildGithub } from './github/build-github.js';
import { checkPrivateKey } from './github/check-private-key.js';
import { createDependencyHealth } from './observability/dependency-health.js';
import { startHealthServer } from './observability/health-server.js';
import { heapBudgetWarning, oldSpaceLimitMb } from './observability/heap-budget.js';
import { type Logger, type SecretScrubber, createLogger, createSecretScrubber } from './observability/logger.js';
import { createMetrics, initIntakeSeries } from './observability/metrics.js';
import { buildPort } from './port/build-port.js';
import { buildRelay } from './relay/build-relay.js';
import { buildProcessor } from './run/build-processor.js';
import { Intakes, startIntakes } from './start-intakes.js';
import { buildTracking } from './tracking/build-tracking.js';
import { type Clock, realClock } from './util/backoff.js';
import { StopList } from './util/stop-list.js';
import { agentVersion } from './version.js';

export interface RunningAgent {
  stop(): Promise<void>;
  metricsPort: number;
  ready(): boolean;
}

/**
 * The parts in the order they depend on each other, each built beside its module from its own
 * part of the configuration (the model: probot's one builder per dependency, src/octokit/get-*.ts,
 * called in order by Probot#initialize in src/probot.ts). Each part adds its stop to one list
 * as it starts; a failed start and stop() both run that list backwards.
 */
export async function startAgent(
  config: AgentConfig,
  opts: { logger?: Logger; secrets?: SecretScrubber; clock?: Clock } = {},
): Promise<RunningAgent> {
  const clock = opts.clock ?? realClock;
  const secrets = opts.secrets ?? configSecrets(config);
  const logger = opts.logger ?? createLogger({ level: config.log.level, secrets });
  const log = logger.child({ component: 'main' });
  const version = agentVersion();
  const metrics = createMetrics({ version });
  initIntakeSeries(metrics, [
    ...(config.kafka.enabled ? ['kafka' as const] : []),
    ...(config.portApi.enabled ? ['port-api' as const] : []),
  ]);
  let stopping = false;
  const intakes = new Intakes();
  const stops = new StopList();
  // GHES, Port's API or the broker failing for this long makes /readyz say so (/livez does not).
  const dependencies = createDependencyHealth({
    now: () => clock.now(),
    unreachableAfterMs: DEPENDENCY_GRACE_MS,
    expectContact: config.kafka.enabled ? ['kafka'] : [],
  });
  const readiness = () => {
    const reasons: string[] = [];
    if (stopping) reasons.push('shutting down');
    if (!intakes.started) reasons.push('starting');
    reasons.push(...intakes.notReady());
    if (intakes.started) reasons.push(...dependencies.unhealthy());
    return { ready: reasons.length === 0, reasons, notes: intakes.notes() };
  };
  // Before listening or connecting anywhere: a key OpenSSL cannot read is a configuration error (exit 2).
  if (config.github.appId) checkPrivateKey(config.github.privateKey);
  const health = await startHealthServer({ host: config.server.host, port: config.server.port, metrics, ready: readiness });
  stops.add(() => health.close());
  log.info(`ghes-agent ${version} starting; metrics and health on :${health.port}`, { version });
  warnOfRisks(config, log);
  const startupRetry = {
    clock,
    maxAttempts: Infinity,
    capMs: 30_000,
    onRetry: (e: AgentError) => log.warn(`start-up step failed, retrying: ${e.message}`),
  };
  const parts = { clock, metrics, logger, log, dependencies, startupRetry, secrets, stops, agentVersion: version };

  try {
    const port = buildPort(config, parts);
    const github = await buildGithub(config, parts);
    const watcher = buildTracking(config, { ...parts, github });
    const processing = buildProcessor(config, { ...parts, port, github, watcher, onPatchDelivered: (runId) => intakes.delivered(runId) });
    await buildRelay(config, { ...parts, port });
    await startIntakes(config, { ...parts, intakes, port, processing });
  } catch (err) {
    await stops.run({ deadlineMs: clock.now(), drain: false });
    throw err;
  }

  return {
    metricsPort: health.port,
    ready: () => readiness().ready,
    async stop() {
      if (stopping) return;
      stopping = true;
      log.info(
        'shutting down: no new runs; delivering queued reports, then leaving the consumer group and handing tracked claimed runs over',
      );
      await stops.run({ deadlineMs: clock.now() + SHUTDOWN_DRAIN_MS, drain: true });
      log.info('stopped');
    },
  };
}

/** Settings that work but put the agent at risk: said once at start. */
function warnOfRisks(config: AgentConfig, log: Logger): void {
  const nodeFlags = [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv];
  const heapWarning = heapBudgetWarning(
    oldSpaceLimitMb(getHeapStatistics().heap_size_limit / 2 ** 20, nodeFlags),
    config.limits.maxInflightRuns,
  );
  if (heapWarning) log.warn(heapWarning);
  for (const [name, insecure] of [
    ['github', config.github.tlsInsecureSkipVerify],
    ['port', config.port.tlsInsecureSkipVerify],
    ['kafka', config.kafka.tlsInsecureSkipVerify],
  ] as const) {
    if (insecure && (name !== 'kafka' || config.kafka.enabled))
      log.warn(
        `TLS VERIFICATION IS DISABLED for ${name} (${name}.tlsInsecureSkipVerify=true): connections can be intercepted. Use ${name}.caFile instead.`,
      );
  }
}

/** How long a dependency may keep failing before /readyz reports it. */
const DEPENDENCY_GRACE_MS = 30_000;
/**
 * Shutdown budget for delivering queued reports while still holding the partitions; with
 * leaving the group and the reporter's last drain (run/build-processor.ts) it stays under the
 * 25 s hard exit timer below, itself under Kubernetes' default 30 s grace period.
 */
const SHUTDOWN_DRAIN_MS = 15_000;

function configSecrets(c: AgentConfig): SecretScrubber {
  return createSecretScrubber([c.port.clientSecret, c.github.privateKey, c.github.token, c.kafka.password]);
}

/** Exit codes: 0 normal stop, 1 fatal error at run time, 2 configuration error. */
async function cli(): Promise<void> {
  const command = parseCommand(process.argv.slice(2));
  if (command.kind !== 'run') return process.exit(await runCommand(command, process.env));
  let loaded;
  try {
    loaded = loadConfig({ argv: command.argv, env: process.env, readFile: (p) => readFileSync(p, 'utf8') });
  } catch (err) {
    process.stderr.write(`ghes-agent: ${toAgentError(err, 'config').message}\n`);
    process.exit(2);
  }
  if (loaded.printConfig) {
    process.stdout.write(toYaml(maskedConfig(loaded.config)));
    return;
  }
  const secrets = configSecrets(loaded.config);
  const logger = createLogger({ level: loaded.config.log.level, secrets });
  // Node's process warnings as JSON log lines like every other line, not Node's plain text on
  // stderr (on Node 24 kafkajs 2.2.4 sets a negative timeout at connect: kafkajs#1751).
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warn(`node ${w.name}: ${w.message}`, { component: 'node' }));
  process.on('uncaughtException', (err) => {
    logger.error(`uncaught exception: ${err.message}`, { component: 'main' });
    setTimeout(() => process.exit(1), 200);
  });
  let agent: RunningAgent | undefined;
  let stopRequested = false;
  const shutdown = (signal: string) => {
    if (stopRequested) return;
    stopRequested = true;
    logger.info(`${signal} received`, { component: 'main' });
    // Hard timer below Kubernetes' default 30 s grace period.
    setTimeout(() => process.exit(0), 25_000).unref();
    void (agent?.stop() ?? Promise.resolve()).then(() => setTimeout(() => process.exit(0), 100));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    agent = await startAgent(loaded.config, { logger, secrets });
    if (stopRequested) await agent.stop();
  } catch (err) {
    const e = toAgentError(err);
    logger.error(`cannot start: ${e.message}`, { component: 'main', code: e.code });
    setTimeout(() => process.exit(e.code === 'config' ? 2 : 1), 100);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void cli();
