import type { AgentConfig } from '../config/schema.js';
import type { AgentError } from '../errors.js';
import { reportClockSkew } from '../observability/clock-skew-report.js';
import { type DependencyHealth, observeCalls } from '../observability/dependency-health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type Clock, type RetryOptions, retry } from '../util/backoff.js';
import { type FetchFn, createFetch } from '../util/http-fetch.js';
import { responseLimits } from '../util/response-limits.js';
import { KeyedMutex } from '../util/semaphore.js';
import { type ClockSkew, createClockSkew } from './clock-skew.js';
import { type DispatchPacer, createDispatchGate, createDispatchPacer } from './dispatch-pacer.js';
import type { DispatchContext } from './dispatch-workflow.js';
import { type Version, parseVersion, supportsRunDetails } from './ghes-version.js';
import { type ContentApi, createContentApi } from './content-api.js';
import { type GithubApi, createGithubApi } from './github-api.js';
import { createGithubClients } from './github-client.js';
import { createLogArchiveFetch } from './log-archive-fetch.js';
import type { Mismatch } from './own-run.js';

export interface GithubParts {
  api: GithubApi;
  /** The writes of Ocean's other action types (issue 24: agent/actions/). */
  content: ContentApi;
  /** GHES's clock minus the local one (clock-skew.ts). */
  skew: ClockSkew;
  /** Job logs from blob storage, without the GHES credentials. */
  storageFetch: FetchFn;
  version: Version;
  /** The agent's own login; undefined when GHES did not say. */
  actor: string | undefined;
  /** Everything a dispatch needs but its signal. */
  dispatch: Omit<DispatchContext, 'signal'>;
  dispatchPacer: DispatchPacer;
  /** Counts a run that shows a Port run id but is not the agent's (own-run.ts). */
  onRunNameMismatch: (reason: Mismatch) => void;
}

/**
 * The GHES side from `github.*`: clients, the API, the server's version and the agent's own
 * login (both asked at start, retried until GHES answers), and the dispatch context.
 */
export async function buildGithub(
  config: Pick<AgentConfig, 'github' | 'port' | 'insight'>,
  deps: { clock: Clock; metrics: Metrics; logger: Logger; log: Logger; dependencies: DependencyHealth; startupRetry: RetryOptions },
): Promise<GithubParts> {
  const { clock, metrics, logger, log } = deps;
  const gh = config.github;
  // GHES's clock, from every response's Date header: App JWTs and run look-ups use it.
  const skew = createClockSkew({ onChange: reportClockSkew({ metrics, logger }) });
  const clients = createGithubClients({
    skew,
    apiUrl: gh.apiUrl,
    auth: gh.appId
      ? { kind: 'app', appId: gh.appId, privateKey: gh.privateKey, installationId: gh.installationId }
      : { kind: 'token', token: gh.token },
    fetch: createFetch({
      caFile: gh.caFile,
      insecure: gh.tlsInsecureSkipVerify,
      timeoutMs: gh.requestTimeoutMs,
      name: 'github.caFile',
      limits: responseLimits(config, 'github', metrics),
    }),
    maxConcurrency: gh.maxConcurrency,
    metrics,
    logger,
    clock,
  });
  const ghesTls = { caFile: gh.caFile, insecure: gh.tlsInsecureSkipVerify };
  // The job-log request's 302 is read, not followed (its target is blob storage, which must
  // never see the GHES credentials); the log itself comes through storageFetch, without them,
  // with GHES's CA bundle and the proxy variables (the storage host is often GHES's own), from
  // an accepted host only (log-archive-rules.ts: https, github.logHosts, no loopback,
  // link-local or metadata address).
  const noRedirectFetch = createFetch({
    ...ghesTls,
    timeoutMs: gh.requestTimeoutMs,
    name: 'github.caFile',
    followRedirects: false,
    limits: responseLimits(config, 'github', metrics),
  });
  const storageFetch = createLogArchiveFetch({
    ...ghesTls,
    rules: { ghesUrls: [gh.url, gh.apiUrl].filter((u) => u !== ''), logHosts: gh.logHosts },
    timeoutMs: config.insight.excerptTimeoutSeconds * 1000,
    logger,
  });
  const api = observeCalls(createGithubApi({ clients, clock, noRedirectFetch }), 'github', deps.dependencies);

  const version: Version =
    parseVersion(gh.version) ??
    (await retry(() => api.version(), deps.startupRetry)) ??
    (log.warn('GHES did not report its version; assuming 3.19 behaviour (no return_run_details)'), [3, 19, 0]);
  log.info(
    `GHES ${version.join('.')} at ${gh.apiUrl}: ${supportsRunDetails(version) ? 'dispatch returns run ids' : 'runs found by correlation (run-name)'}`,
  );
  const actor = await retry(() => api.actor(), deps.startupRetry).catch(
    (err: AgentError) => void log.warn(`reading the agent's own login failed: ${err.message}`),
  );
  // Issue 23: a run found by its run-name is taken only when its actor is this login (own-run.ts).
  const onRunNameMismatch = (reason: Mismatch) => metrics.runNameMismatches.inc({ reason });
  if (actor === undefined)
    log.warn(
      "the agent's own login is unknown: run lists are not filtered by actor, and no GitHub run is taken as the agent's by its run-name alone (a redelivered run reads Port's record; an interrupted dispatch whose run shows up is refused rather than adopted or dispatched again)",
    );

  const dispatch: Omit<DispatchContext, 'signal'> = {
    api,
    clock,
    logger,
    locks: new KeyedMutex(),
    learned: { noRunIdInput: new Set(), runDetails: supportsRunDetails(version) },
    correlationTimeoutMs: gh.correlationTimeoutSeconds * 1000,
    gate: createDispatchGate(gh.maxDispatchesPerRepoPer10s, clock),
    onGateWait: () => metrics.limitReached.inc({ limit: 'dispatch_rate' }),
    serverOffsetMs: skew.offsetMs,
    actor,
    onRunNameMismatch,
  };
  // Issue 24: the writes of Ocean's other action types, counted and watched like the API's calls.
  const content = observeCalls(createContentApi({ clients, clock }), 'github', deps.dependencies);
  return {
    api,
    content,
    skew,
    storageFetch,
    version,
    actor,
    dispatch,
    dispatchPacer: createDispatchPacer(gh.maxDispatchesPerRepoPer10s),
    onRunNameMismatch,
  };
}
