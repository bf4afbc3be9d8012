#!/usr/bin/env node
/**
 * The composition root: the only place that reads the environment, creates clients and wires
 * every part together. Everything else receives its dependencies as arguments.
 * Follow one run: kafka/consumer.ts (Port's GitHub App backend) or claim/claim-intake.ts (the
 * GitHub Ocean backend and Port Workflows, over HTTPS) → run/process-message.ts →
 * github/dispatch-workflow.ts → tracking/batched-watcher.ts → port/reporter.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseCommand } from './cli/command-line.js';
import { runCommand } from './cli/run-command.js';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { stringify as toYaml } from 'yaml';
import { loadConfig, maskedConfig } from './config/load.js';
import type { AgentConfig } from './config/schema.js';
import { AgentError, toAgentError } from './errors.js';
import { checkPrivateKey } from './github/check-private-key.js';
import { createDispatchGate, createDispatchPacer } from './github/dispatch-pacer.js';
import { createGithubApi } from './github/github-api.js';
import { createGithubClients } from './github/github-client.js';
import type { Mismatch } from './github/own-run.js';
import { createLogArchiveFetch } from './github/log-archive-fetch.js';
import { createClockSkew } from './github/clock-skew.js';
import { type Version, parseVersion, supportsRunDetails } from './github/ghes-version.js';
import { createClaimIntake, type ClaimIntake } from './claim/claim-intake.js';
import { checkClaimSetup } from './claim/setup-checks.js';
import { createConsumerLoop } from './kafka/consumer.js';
import { fixKafkajsIdleLoop } from './kafka/kafkajs-idle-loop-fix.js';
import { createRecordPreparer, guardRecords, recordTrust } from './kafka/prepare-record.js';
import { type DependencyHealth, createDependencyHealth, observeCalls } from './observability/dependency-health.js';
import { reportClockSkew } from './observability/clock-skew-report.js';
import { startHealthServer } from './observability/health-server.js';
import { heapBudgetWarning, oldSpaceLimitMb } from './observability/heap-budget.js';
import { type Logger, type SecretScrubber, createLogger, createSecretScrubber } from './observability/logger.js';
import { type Metrics, createMetrics, initIntakeSeries } from './observability/metrics.js';
import { createClaimApi } from './port/claim-api.js';
import { createIntegrationApi } from './port/integration-api.js';
import { type PortRunApi, createPortClient } from './port/port-client.js';
import { type PortHttp, createPortHttp } from './port/port-http.js';
import { type Reporter, createReporter } from './port/reporter.js';
import { type MessageProcessor, createMessageProcessor } from './run/process-message.js';
import { createResumeLocator } from './run/resume-locator.js';
import { createBatchedWatcher } from './tracking/batched-watcher.js';
import { createOrgRouting } from './run/org-routing.js';
import { type PortEndWatch, createPortEndWatch } from './run/port-end-watch.js';
import { createRunCancellation } from './run/run-cancellation.js';
import { type JobReadPacer, createJobReadPacer } from './run/job-read-pacer.js';
import { createRunInsight } from './run/run-insight.js';
import type { RelayServer } from './relay/relay-server.js';
import { startRelay } from './relay/start-relay.js';
import { createNaiveWatcher } from './tracking/naive-watcher.js';
import { type Clock, type RetryOptions, realClock, retry } from './util/backoff.js';
import { createCapacityGate } from './util/capacity-gate.js';
import { createFetch } from './util/http-fetch.js';
import { responseLimits } from './util/response-limits.js';
import { checkTlsTrust } from './util/tls-preflight.js';
import { KeyedMutex, Semaphore } from './util/semaphore.js';
import { agentVersion } from './version.js';

export interface RunningAgent {
  stop(): Promise<void>;
  metricsPort: number;
  ready(): boolean;
}

export async function startAgent(config: AgentConfig, opts: { logger?: Logger; secrets?: SecretScrubber; clock?: Clock } = {}): Promise<RunningAgent> {
  const clock = opts.clock ?? realClock;
  const secrets = opts.secrets ?? configSecrets(config);
  const logger = opts.logger ?? createLogger({ level: config.log.level, secrets });
  const log = logger.child({ component: 'main' });
  const version = agentVersion();
  const metrics = createMetrics({ version });
  initIntakeSeries(metrics, [...(config.kafka.enabled ? ['kafka' as const] : []), ...(config.portApi.enabled ? ['port-api' as const] : [])]);
  let stopping = false;
  let consumerLoop: ReturnType<typeof createConsumerLoop> | undefined;
  let claimIntake: ClaimIntake | undefined;
  let intakesStarted = false;
  let reporterRef: ReturnType<typeof createReporter> | undefined;
  let endWatchRef: PortEndWatch | undefined;
  let jobReadsRef: JobReadPacer | undefined;
  let relay: RelayServer | undefined;
  // GHES, Port's API or the broker failing for this long makes /readyz say so (/livez does not).
  const dependencies = createDependencyHealth({ now: () => clock.now(), unreachableAfterMs: DEPENDENCY_GRACE_MS, expectContact: config.kafka.enabled ? ['kafka'] : [] });
  const readiness = () => {
    const reasons: string[] = [];
    if (stopping) reasons.push('shutting down');
    if (!intakesStarted) reasons.push('starting');
    if (consumerLoop && !consumerLoop.joined()) reasons.push('not a member of the consumer group');
    if (claimIntake) reasons.push(...claimIntake.notReady());
    if (intakesStarted) reasons.push(...dependencies.unhealthy());
    return { ready: reasons.length === 0, reasons };
  };
  // Before listening or connecting anywhere: a key OpenSSL cannot read is a configuration error (exit 2).
  if (config.github.appId) checkPrivateKey(config.github.privateKey);
  const health = await startHealthServer({ host: config.server.host, port: config.server.port, metrics, ready: readiness });
  log.info(`ghes-agent ${version} starting; metrics and health on :${health.port}`, { version });
  const nodeFlags = [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv];
  const heapWarning = heapBudgetWarning(oldSpaceLimitMb(getHeapStatistics().heap_size_limit / 2 ** 20, nodeFlags), config.limits.maxInflightRuns);
  if (heapWarning) log.warn(heapWarning);
  for (const [name, insecure] of [['github', config.github.tlsInsecureSkipVerify], ['port', config.port.tlsInsecureSkipVerify], ['kafka', config.kafka.tlsInsecureSkipVerify]] as const) {
    if (insecure && (name !== 'kafka' || config.kafka.enabled)) log.warn(`TLS VERIFICATION IS DISABLED for ${name} (${name}.tlsInsecureSkipVerify=true): connections can be intercepted. Use ${name}.caFile instead.`);
  }

  try {
    const portHttp = createPortHttp({
      baseUrl: config.port.apiUrl,
      clientId: config.port.clientId,
      clientSecret: config.port.clientSecret,
      fetch: createFetch({ caFile: config.port.caFile, insecure: config.port.tlsInsecureSkipVerify, timeoutMs: config.port.requestTimeoutMs, name: 'port.caFile', limits: responseLimits(config, 'port', metrics) }),
      clock,
      metrics,
      logger,
    });
    const port = observeCalls(createPortClient({ http: portHttp, nodeRoutes: config.portApi.routes }), 'port', dependencies);
    // Runs ended in Port while their GHES run goes on (issue 13): paced reads of their records.
    const endWatch = createPortEndWatch({ port, clock, logger, metrics, checkMs: config.tracking.portCheckSeconds * 1000, perMinute: config.tracking.portChecksPerMinute });
    endWatchRef = endWatch;
    // Job progress's jobs lists, all runs together within a budget (issue 15).
    const jobReads = createJobReadPacer({ perMinute: config.insight.jobReadsPerMinute, clock });
    jobReadsRef = jobReads;
    const reporter = createReporter({
      port,
      clock,
      metrics,
      logger,
      onDelivered: (runId, report) => report.kind === 'patch' && claimIntake?.delivered(runId),
      // A final status Port refuses because the run already ended: ended in Port, a free signal.
      onRefused: (runId, report, err) => report.kind === 'patch' && report.patch.status !== undefined && err.status === 422 && endWatch.notifyFinal(runId),
    });
    reporterRef = reporter;
    // GHES's clock, from every response's Date header: App JWTs and run look-ups use it.
    const skew = createClockSkew({ onChange: reportClockSkew({ metrics, logger }) });
    const clients = createGithubClients({
      skew,
      apiUrl: config.github.apiUrl,
      auth: config.github.appId
        ? { kind: 'app', appId: config.github.appId, privateKey: config.github.privateKey, installationId: config.github.installationId }
        : { kind: 'token', token: config.github.token },
      fetch: createFetch({ caFile: config.github.caFile, insecure: config.github.tlsInsecureSkipVerify, timeoutMs: config.github.requestTimeoutMs, name: 'github.caFile', limits: responseLimits(config, 'github', metrics) }),
      maxConcurrency: config.github.maxConcurrency,
      metrics,
      logger,
      clock,
    });
    const ghesTls = { caFile: config.github.caFile, insecure: config.github.tlsInsecureSkipVerify };
    // The job-log request's 302 is read, not followed (its target is blob storage, which must
    // never see the GHES credentials); the log itself comes through storageFetch, without them,
    // with GHES's CA bundle and the proxy variables (the storage host is often GHES's own), from
    // an accepted host only (log-archive-rules.ts: https, github.logHosts, no loopback,
    // link-local or metadata address).
    const noRedirectFetch = createFetch({ ...ghesTls, timeoutMs: config.github.requestTimeoutMs, name: 'github.caFile', followRedirects: false, limits: responseLimits(config, 'github', metrics) });
    const storageFetch = createLogArchiveFetch({
      ...ghesTls,
      rules: { ghesUrls: [config.github.url, config.github.apiUrl].filter((u) => u !== ''), logHosts: config.github.logHosts },
      timeoutMs: config.insight.excerptTimeoutSeconds * 1000,
      logger,
    });
    const api = observeCalls(createGithubApi({ clients, clock, noRedirectFetch }), 'github', dependencies);
    const startupRetry = { clock, maxAttempts: Infinity, capMs: 30_000, onRetry: (e: AgentError) => log.warn(`start-up step failed, retrying: ${e.message}`) };

    const ghesVersion: Version =
      parseVersion(config.github.version) ??
      (await retry(() => api.version(), startupRetry)) ??
      (log.warn('GHES did not report its version; assuming 3.19 behaviour (no return_run_details)'), [3, 19, 0]);
    log.info(`GHES ${ghesVersion.join('.')} at ${config.github.apiUrl}: ${supportsRunDetails(ghesVersion) ? 'dispatch returns run ids' : 'runs found by correlation (run-name)'}`);
    const actor = await retry(() => api.actor(), startupRetry).catch((err: AgentError) => void log.warn(`reading the agent's own login failed: ${err.message}`));
    // Issue 23: a run found by its run-name is taken only when its actor is this login (own-run.ts).
    const onRunNameMismatch = (reason: Mismatch) => metrics.runNameMismatches.inc({ reason });
    if (actor === undefined) log.warn("the agent's own login is unknown: run lists are not filtered by actor, and no GitHub run is taken as the agent's by its run-name alone (a redelivered run reads Port's record; an interrupted dispatch whose run shows up is refused rather than adopted or dispatched again)");

    const intervalMs = config.tracking.pollIntervalSeconds * 1000;
    const watcher =
      config.tracking.mode === 'naive'
        ? createNaiveWatcher({ api, clock, logger, intervalMs, maxWaitMs: config.tracking.maxWaitSeconds * 1000, sweepMs: intervalMs * config.tracking.statusSweepMultiplier })
        : createBatchedWatcher({
            api,
            clock,
            serverOffsetMs: skew.offsetMs,
            logger,
            settings: {
              intervalMs,
              maxIntervalMs: intervalMs * config.tracking.idleIntervalMultiplier,
              sweepMs: intervalMs * config.tracking.statusSweepMultiplier,
              maxWaitMs: config.tracking.maxWaitSeconds * 1000,
              // A quarter of the per-host bound: polling never crowds out dispatches.
              maxConcurrentRequests: Math.max(1, Math.floor(config.github.maxConcurrency / 4)),
            },
          });
    // Many times the GHES request bound, since each dispatch also waits on three Port round
    // trips; bounded so a backlog never becomes thousands of concurrent requests (memory,
    // timeouts). Measured by `make bench`: x4 gave 454 dispatches/s, x16 579/s, same memory.
    const dispatchSlots = config.github.maxConcurrency * 16;
    const processor = createMessageProcessor({
      config,
      port,
      reporter,
      api,
      watcher,
      dispatchSlots: new Semaphore(dispatchSlots),
      dispatchPacer: createDispatchPacer(config.github.maxDispatchesPerRepoPer10s),
      resumeLocator: createResumeLocator({ api, clock, logger, actor, onRunNameMismatch, serverOffsetMs: skew.offsetMs }),
      dispatch: {
        api,
        clock,
        logger,
        locks: new KeyedMutex(),
        learned: { noRunIdInput: new Set(), runDetails: supportsRunDetails(ghesVersion) },
        correlationTimeoutMs: config.github.correlationTimeoutSeconds * 1000,
        gate: createDispatchGate(config.github.maxDispatchesPerRepoPer10s, clock),
        onGateWait: () => metrics.limitReached.inc({ limit: 'dispatch_rate' }),
        serverOffsetMs: skew.offsetMs,
        actor,
        onRunNameMismatch,
      },
      version: ghesVersion,
      metrics,
      logger,
      clock,
      insight: createRunInsight({
        api,
        storageFetch,
        scrub: (text) => secrets.scrub(text),
        clock,
        metrics,
        logger,
        jobReads,
        settings: {
          jobProgress: config.insight.jobProgress,
          approvals: config.insight.approvals,
          failureExcerpt: config.insight.failureExcerpt,
          excerpt: { lines: config.insight.excerptLines, maxBytes: config.insight.excerptMaxBytes, logMaxBytes: config.insight.logMaxBytes, timeoutMs: config.insight.excerptTimeoutSeconds * 1000 },
        },
      }),
      cancellation: createRunCancellation({ cancel: { api, clock, version: ghesVersion, graceMs: config.tracking.cancelGraceSeconds * 1000 }, endWatch, metrics, logger }),
      orgRoute: createOrgRouting(config.github),
    });
    // Every run in hand counts, from both intakes and whatever its stage (dispatching or
    // tracked): a batch would otherwise all pass before the first is tracked.
    const inFlight = () => (consumerLoop?.inFlight() ?? 0) + (claimIntake?.held() ?? 0);
    const hasCapacity = createCapacityGate({
      bounds: [
        { limit: 'inflight_runs', setting: 'limits.maxInflightRuns', max: config.limits.maxInflightRuns, current: inFlight },
        { limit: 'queued_reports', setting: 'limits.maxQueuedReports', max: config.limits.maxQueuedReports, current: () => reporter.pending() },
      ],
      metrics,
      logger,
    });

    if (config.relay.enabled) {
      // Issue 26: workflows report to Port through the agent (docs/relay.md). GHES's OIDC keys are
      // fetched like every GHES answer: github.caFile, deadline and size cap.
      const ghesFetch = createFetch({ ...ghesTls, timeoutMs: config.github.requestTimeoutMs, name: 'github.caFile', limits: responseLimits(config, 'github', metrics) });
      relay = await startRelay({ config, ghesFetch, portHttp, port, metrics, logger, now: () => clock.now() });
    }
    if (config.portApi.enabled) {
      // First, so that a credential or installation Port refuses stops the start (exit 2)
      // before the agent connects to Kafka.
      claimIntake = await startClaimIntake({ config, portHttp, port, processor, reporter, dispatchSlots, inFlight, hasCapacity, metrics, logger, clock, dependencies, startupRetry, version });
    }
    if (config.kafka.enabled) {
      const fix = fixKafkajsIdleLoop();
      if (!fix.applied) log.warn(`kafkajs idle-loop fix not applied: ${fix.reason}`);
      const kafkaCreds = config.kafka.brokers.length
        ? { brokers: config.kafka.brokers, username: config.kafka.username, password: config.kafka.password }
        : await retry(() => port.getKafkaCredentials(), startupRetry);
      secrets.add(kafkaCreds.password);
      consumerLoop = createConsumerLoop({
        settings: {
          brokers: kafkaCreds.brokers,
          username: kafkaCreds.username,
          password: kafkaCreds.password,
          mechanism: config.kafka.saslMechanism,
          ssl: config.kafka.ssl,
          caFile: config.kafka.caFile,
          insecure: config.kafka.tlsInsecureSkipVerify,
          clientId: config.kafka.clientId,
          groupId: config.kafka.groupId,
          topic: config.kafka.topic,
          sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        },
        process: guardRecords(createRecordPreparer({ config, processor, metrics, logger, clock }), { reporter, metrics, logger, clock, trust: recordTrust(config) }),
        health: dependencies,
        hasCapacity,
        metrics,
        logger,
        clock,
      });
      await retry(async () => {
        if (config.kafka.ssl && !config.kafka.tlsInsecureSkipVerify) {
          await checkTlsTrust({ hostPort: kafkaCreds.brokers[0] ?? '', caFile: config.kafka.caFile, setting: 'kafka.caFile', what: 'the Kafka broker' });
        }
        await consumerLoop!.start();
      }, startupRetry);
      log.info(`consuming ${config.kafka.topic} as group ${config.kafka.groupId}`);
    } else {
      log.info('kafka.enabled is false: no Kafka connection (runs come from the HTTPS intake only)');
    }
    intakesStarted = true;
  } catch (err) {
    await claimIntake?.stop({ deadlineMs: clock.now() });
    await relay?.close();
    await health.close();
    reporterRef?.stop();
    endWatchRef?.stop();
    jobReadsRef?.stop();
    throw err;
  }

  return {
    metricsPort: health.port,
    ready: () => readiness().ready,
    async stop() {
      if (stopping) return;
      stopping = true;
      log.info('shutting down: no new runs; delivering queued reports, then leaving the consumer group and handing tracked claimed runs over');
      const deadlineMs = clock.now() + SHUTDOWN_DRAIN_MS;
      await Promise.all([consumerLoop?.stop({ deadlineMs }), claimIntake?.stop({ deadlineMs })]);
      // Only reports of no partition or claim are left (the intakes cancelled the rest).
      const drainTimeout = new AbortController();
      const t = setTimeout(() => drainTimeout.abort(), 2000);
      await reporterRef?.drain(drainTimeout.signal);
      clearTimeout(t);
      reporterRef?.stop();
      endWatchRef?.stop();
      jobReadsRef?.stop();
      await relay?.close();
      await health.close();
      log.info('stopped');
    },
  };
}

/**
 * The HTTPS intake: checks the credential and the installation (exit 2 when Port refuses them),
 * then claims. Its room for new runs is what limits.maxInflightRuns, limits.maxQueuedReports and
 * the dispatch stage have left.
 */
async function startClaimIntake(deps: {
  config: AgentConfig;
  portHttp: PortHttp;
  port: PortRunApi;
  processor: MessageProcessor;
  reporter: Reporter;
  dispatchSlots: number;
  inFlight: () => number;
  hasCapacity: () => boolean;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  dependencies: DependencyHealth;
  startupRetry: RetryOptions;
  version: string;
}): Promise<ClaimIntake> {
  const { config, clock } = deps;
  const settings = config.portApi;
  const integrations = observeCalls(createIntegrationApi({ http: deps.portHttp }), 'port', deps.dependencies);
  await retry(
    () => checkClaimSetup({ tokenClaims: () => deps.portHttp.tokenClaims(), integrations, settings: { ...settings, version: deps.version }, logger: deps.logger }),
    deps.startupRetry,
  );
  const claimApi = observeCalls(
    createClaimApi({
      http: deps.portHttp,
      routes: { ...settings.routes },
      reservedHeader: settings.reservedHeader,
      onExcess: (kind, asked, answered) => {
        deps.metrics.limitReached.inc({ limit: 'claim_excess' });
        deps.logger.warn(`Port handed out ${answered} ${kind} run(s) to a claim for ${asked}: the first ${asked} are held, the rest left for Port to offer again after the visibility timeout`, {
          component: 'claim',
          kind,
          asked,
          answered,
        });
      },
    }),
    'port',
    deps.dependencies,
  );
  let intake: ClaimIntake | undefined;
  intake = createClaimIntake({
    settings: {
      installationId: settings.installationId,
      kinds: settings.workflowNodeRuns ? ['action', 'workflow-node'] : ['action'],
      batchSize: settings.claimBatchSize,
      intervalMs: settings.claimIntervalSeconds * 1000,
      visibilityTimeoutMs: settings.visibilityTimeoutMs,
      maxSharePercent: settings.maxActionSharePercent,
      leaseMs: settings.leaseSeconds * 1000,
      rediscoveryIntervalMs: settings.rediscoveryIntervalSeconds * 1000,
    },
    claimApi,
    port: deps.port,
    processor: deps.processor,
    reporter: deps.reporter,
    room: () => (deps.hasCapacity() ? Math.min(config.limits.maxInflightRuns - deps.inFlight(), deps.dispatchSlots - (intake?.dispatching() ?? 0)) : 0),
    trackingRoom: () => (deps.hasCapacity() ? config.limits.maxInflightRuns - deps.inFlight() : 0),
    dispatchCapacity: deps.dispatchSlots,
    metrics: deps.metrics,
    logger: deps.logger,
    clock,
    // The pod's name says which replica tracks a run taken over; the suffix tells a restarted pod of the same name apart.
    replicaId: `${hostname()}-${randomBytes(3).toString('hex')}`,
  });
  deps.metrics.claimIntakeUp.set(0);
  await retry(() => intake.start(), deps.startupRetry);
  return intake;
}

/** How long a dependency may keep failing before /readyz reports it. */
const DEPENDENCY_GRACE_MS = 30_000;
/**
 * Shutdown budget for delivering queued reports while still holding the partitions; with
 * leaving the group and the last drain it stays under the 25 s hard exit timer below, itself
 * under Kubernetes' default 30 s grace period.
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
