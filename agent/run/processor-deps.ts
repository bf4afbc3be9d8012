import type { AgentConfig, PolicyRule } from '../config/schema.js';
import type { DispatchPacer } from '../github/dispatch-pacer.js';
import type { ContentApi } from '../github/content-api.js';
import type { DispatchContext } from '../github/dispatch-workflow.js';
import type { GithubApi } from '../github/github-api.js';
import type { Version } from '../github/ghes-version.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortRunApi } from '../port/port-client.js';
import type { Reporter } from '../port/reporter.js';
import type { RunWatcher } from '../tracking/run-watcher.js';
import type { Clock } from '../util/backoff.js';
import type { Semaphore } from '../util/semaphore.js';
import type { OrgRoute } from './org-routing.js';
import type { ResumeLocator } from './resume-locator.js';
import type { RunCancellation } from './run-cancellation.js';
import type { RunInsight } from './run-insight.js';

/**
 * The few configuration values the processor reads, durations in ms (converted once, by
 * processorSettings): the processor depends on these, not on the whole AgentConfig.
 */
export interface ProcessorSettings {
  /** github.url and github.apiUrl: a recorded run's link may point at this agent's GHES only (verify-recorded-run.ts). */
  ghesUrls: readonly string[];
  /** github.orgs and github.otherAgentsOrgs: named in the refusal of a run no agent serves. */
  orgs: readonly string[];
  otherAgentsOrgs: readonly string[];
  /** policy.allow: the organizations, repositories, workflows and refs runs may dispatch. */
  policy: PolicyRule[];
  /** github.runIdInput: the workflow input that receives the Port run id (build-dispatch.ts). */
  runIdInput: string;
  /** tracking.cancelOnTimeout: cancel the GHES run when the wait runs out. */
  cancelOnTimeout: boolean;
  /** tracking.maxWaitSeconds in ms: quoted in a timed-out run's reason (the watcher enforces it). */
  maxWaitMs: number;
}

/** The processor's settings from the agent's configuration. */
export function processorSettings(config: Pick<AgentConfig, 'github' | 'policy' | 'tracking'>): ProcessorSettings {
  return {
    ghesUrls: [config.github.url, config.github.apiUrl],
    orgs: config.github.orgs,
    otherAgentsOrgs: config.github.otherAgentsOrgs,
    policy: config.policy.allow,
    runIdInput: config.github.runIdInput,
    cancelOnTimeout: config.tracking.cancelOnTimeout,
    maxWaitMs: config.tracking.maxWaitSeconds * 1000,
  };
}

export interface ProcessorDeps {
  settings: ProcessorSettings;
  port: PortRunApi;
  reporter: Reporter;
  api: GithubApi;
  watcher: RunWatcher;
  /** Bounds the runs between Port's record and the dispatch at once; unbounded when absent. */
  dispatchSlots?: Semaphore;
  /** Keeps dispatches per repository under GitHub's Actions limit; unpaced when absent. */
  dispatchPacer?: DispatchPacer;
  /** Finds the GitHub runs of redelivered messages by their repositories' lists, sparing Port a read each (issue 15); absent: Port is read. */
  resumeLocator?: ResumeLocator;
  dispatch: Omit<DispatchContext, 'signal'>;
  version: Version;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  // Issue 13 (all optional: absent, the agent behaves as before).
  /** Job progress, approvals and failure excerpts. */
  insight?: RunInsight;
  /** Cancels GHES runs ended in Port, and on timeout with tracking.cancelOnTimeout. */
  cancellation?: RunCancellation;
  /** Whose run it is when several agents share one topic (github.orgs). */
  orgRoute?: (org: string) => OrgRoute;
  // Issue 24 (optional: absent, only dispatch_workflow has an executor).
  /** The GHES writes of Ocean's other action types (agent/actions/). */
  content?: ContentApi;
  /** The agent's own login: issues made by an earlier attempt are looked for among its own. */
  actor?: string;
}

/** What the resumption path (resume.ts, locate-on-github.ts, check-recorded-run.ts) uses of the processor's dependencies. */
export type ResumeDeps = Pick<ProcessorDeps, 'settings' | 'api' | 'reporter' | 'resumeLocator' | 'dispatch' | 'clock'>;
