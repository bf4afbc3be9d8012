// Public types of the GHES simulator. Everything a test or the benchmark needs to
// drive the simulator in-process is here; the HTTP control surface (/_sim/*) takes
// the same shapes as JSON.
import type { MintOptions } from './oidc.js';
export type { MintOptions } from './oidc.js';

export type Conclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | 'startup_failure';

export type RunStatus = 'requested' | 'queued' | 'pending' | 'waiting' | 'in_progress' | 'completed';

/** Durations are simulated milliseconds (divided by timeScale to get real time). */
export interface RunScript {
  conclusion: Conclusion;
  /** From creation until the job starts (requested, pending and queued together). */
  queuedMs?: number;
  /** The first part of queuedMs spent 'requested'; default a tenth of it. */
  requestedMs?: number;
  /** The next part spent 'pending' (a busy concurrency group); default a tenth of queuedMs. */
  pendingMs?: number;
  /** Length of the 'waiting' phase (e.g. an environment approval); 0 = none. */
  waitingMs?: number;
  /** Length of the in_progress phase. */
  durationMs?: number;
  /**
   * The run's jobs, run one after the other over the in_progress phase (each an equal share,
   * each step an equal share of its job). Absent: one job named 'run' with one step.
   */
  jobs?: JobScript[];
  /** Protected environments the run waits on during its 'waiting' phase (pending_deployments). */
  environments?: EnvironmentScript[];
  /**
   * A job with `if: always()` keeps running after a cancel (GitHub docs, "Canceling a workflow":
   * only force-cancel bypasses it): a cancel request then changes nothing.
   */
  ignoresCancel?: boolean;
  /** Simulated ms between an accepted cancel and the run showing completed/cancelled; default 2000. */
  cancelDelayMs?: number;
}

export interface JobScript {
  name: string;
  steps?: StepScript[];
}

export interface StepScript {
  name: string;
  /** Default success; steps after a failed one are skipped, as GitHub does without `if: always()`. */
  conclusion?: 'success' | 'failure';
  /** Lines this step writes to the job log. */
  log?: string[];
}

export interface EnvironmentScript {
  name: string;
  /** Logins of required reviewers; 'team:<slug>' names a team. */
  reviewers: string[];
}

export interface WorkflowInputSpec {
  required?: boolean;
  type?: 'string' | 'boolean' | 'choice' | 'number' | 'environment';
  default?: string;
  options?: string[];
}

export interface WorkflowSpec {
  /** File name under .github/workflows, e.g. 'deploy.yml'. */
  path: string;
  name?: string;
  /** The workflow's `run-name`, e.g. 'Deploy ${{ inputs.port_run_id }}'; rendered into display_title. */
  runName?: string;
  inputs?: Record<string, WorkflowInputSpec>;
  /** Called once per attempt (attempt starts at 1), so re-runs may end differently. */
  script?: RunScript | ((d: DispatchRecord, attempt: number) => RunScript);
  state?: 'active' | 'disabled_manually';
}

export interface GhesSimOptions {
  /** installed_version; default '3.21.0'. */
  version?: string;
  port?: number;
  tls?: { certPem: string; keyPem: string };
  /** Simulated ms per real ms; default 1. 60 makes a 1-minute run last 1 s. */
  timeScale?: number;
  /**
   * Real ms after a 204 dispatch before the run exists (GitHub creates it asynchronously;
   * Ocean polls 30 × 2 s for it); default 300. Its created_at is then.
   */
  runAppearDelayMs?: number;
  /** Real ms after a run exists before run lists show it (GET by id already does); default 0. */
  listLagMs?: number;
  /** The appliance's clock minus the real one, ms (see clock.ts); default 0. */
  clockOffsetMs?: number;
  /** x-poll-interval (s) sent with run lists; default 1, 0 sends none. */
  pollIntervalS?: number;
  /** Results a filtered run list reaches at most (GitHub: 1,000); default 1000. */
  searchCap?: number;
  /** A new issue or pull request reaches /search/issues this long after its creation (default 0). */
  searchLagMs?: number;
  /** A new pull request's `mergeable` is null this long (default 0), as while GitHub computes it. */
  mergeabilityDelayMs?: number;
  /** Primary rate limit, off by default as on GHES. */
  rateLimit?: { limit: number; windowMs: number };
  /** Installation token lifetime in real ms; default 1 h. */
  tokenTtlMs?: number;
  /** Injected for deterministic tests; default Date.now. Real (wall-clock) ms. */
  now?: () => number;
  /** Injected for deterministic fault probability; default Math.random. */
  random?: () => number;
}

export interface TokenAccess {
  orgs?: string[];
  /** 'owner/name' entries. */
  repos?: string[];
  all?: boolean;
  /** The user the token belongs to (actor of the runs it dispatches); default 'sim-user'. */
  login?: string;
  /**
   * A classic personal access token's OAuth scopes, sent back as X-OAuth-Scopes on every
   * request it authenticates (GitHub REST docs, "Scopes for OAuth apps"); undefined for a
   * fine-grained token, which GitHub answers without the header.
   */
  scopes?: string[];
}

export interface RepoSpec {
  owner: string;
  name: string;
  defaultBranch?: string;
  branches?: string[];
  tags?: string[];
  /** false: the repository's issues are turned off (Settings → Features): GitHub answers 410 Gone on its issue routes. */
  hasIssues?: boolean;
}

export type FaultKind = 'status' | 'secondary-rate-limit' | 'latency' | 'outage' | 'reset';

export interface FaultSpec {
  /**
   * 'before' (default): the request is answered with the fault and has no effect. 'after': the
   * request takes effect (a dispatch creates its run), then the fault replaces the answer, as
   * when a server or a proxy fails on the way back.
   */
  when?: 'before' | 'after';
  /** Matched against the route template ('GET /repos/{owner}/...' or without the method) or the path. */
  route?: string | RegExp;
  method?: string;
  kind: FaultKind;
  status?: number;
  retryAfterS?: number;
  latencyMs?: number;
  /** Default 1. */
  probability?: number;
  /** Maximum number of times the fault fires. */
  count?: number;
  /** Active window in real ms from the moment the fault is added. */
  durationMs?: number;
}

export type AuthKind = 'none' | 'jwt' | 'installation' | 'pat';

export interface RequestLogEntry {
  /** Real ms since the epoch. */
  at: number;
  method: string;
  path: string;
  /** Template with the method, e.g. 'GET /repos/{owner}/{repo}/actions/runs/{run_id}'; null if no route matched. */
  route: string | null;
  /** 0 when the socket was destroyed by a 'reset' fault. */
  status: number;
  auth: AuthKind;
  /** The request carried If-None-Match. */
  conditional: boolean;
  fault?: FaultKind;
  /** When the fault fired: before the request took effect or after. */
  faultWhen?: 'before' | 'after';
}

export interface DispatchRecord {
  owner: string;
  repo: string;
  workflowId: number | null;
  workflowPath: string | null;
  ref: string;
  /** The fully qualified ref the run got (refs/heads/… or refs/tags/…), once the dispatch was accepted. */
  resolvedRef?: string;
  inputs: Record<string, unknown>;
  returnRunDetails: boolean;
  /** Real ms since the epoch. */
  at: number;
  status: number;
  actor: string | null;
  runId?: number;
}

export interface SimRun {
  id: number;
  owner: string;
  repo: string;
  workflowId: number;
  workflowPath: string;
  runNumber: number;
  runAttempt: number;
  displayTitle: string;
  headBranch: string;
  actor: string;
  /** Effective inputs (declared defaults applied). */
  inputs: Record<string, string>;
  status: RunStatus;
  conclusion: Conclusion | null;
  /** False until runAppearDelayMs has passed. */
  visible: boolean;
  createdAt: string;
  updatedAt: string;
  dispatch: DispatchRecord;
}

/** Runs created directly, as if someone else dispatched them (busy repositories, people). */
export interface RunSeed {
  owner: string;
  repo: string;
  /** Workflow file name. */
  workflow: string;
  count?: number;
  /** Login the runs are attributed to; default 'sim-user'. */
  actor?: string;
  ref?: string;
  inputs?: Record<string, string>;
  script?: RunScript;
}

export interface GhesSim {
  url: string;
  origin: string;
  setVersion(v: string): void;
  /** The appliance's clock offset from real time, ms (negative: behind). */
  setClockOffset(ms: number): void;
  /**
   * Changes the run creation delay and the list lag (ms) for runs dispatched from now on / listed
   * from now on, how long a new issue or pull request stays out of /search/issues, and how long a
   * new pull request's `mergeable` stays null.
   */
  setRunTiming(t: { appearDelayMs?: number; listLagMs?: number; searchLagMs?: number; mergeabilityDelayMs?: number }): void;
  /** Uninstalls the App from an account: the installation and its tokens are gone (401 Bad credentials). */
  removeInstallation(id: number): void;
  /** Called synchronously after each accepted dispatch, with its record; returns an unsubscribe. */
  onDispatch(listener: (d: DispatchRecord) => void): () => void;
  /** Creates runs directly (not through a dispatch); returns their ids. */
  addRuns(seed: RunSeed): number[];
  app: { appId: number; slug: string; privateKeyPem: string };
  /** `permissions` default to the App's own (actions: write, contents: read, metadata: read). */
  addInstallation(account: string, opts?: { repositories?: 'all' | string[]; permissions?: Record<string, string> }): number;
  addToken(token: string, access: TokenAccess): void;
  addRepo(spec: RepoSpec): void;
  addWorkflow(owner: string, repo: string, wf: WorkflowSpec): { id: number };
  fault(f: FaultSpec): () => void;
  clearFaults(): void;
  requests(): RequestLogEntry[];
  counters(): Record<string, number>;
  dispatches(): DispatchRecord[];
  runs(): SimRun[];
  rerun(runId: number): void;
  /** The job-log storage host (a second origin, as GitHub's blob storage): every request it got. */
  storageRequests(): StorageRequestEntry[];
  storageOrigin: string;
  /**
   * The origin the job-log Location names, instead of the storage host's own (undefined: its
   * own): what a GHES answer someone tampered with, or a misconfigured appliance, would give.
   */
  setLogOrigin(origin: string | undefined): void;
  /** GHES's OIDC provider for Actions (oidc.ts): its issuer, tokens for a run's jobs, key rotation. */
  oidc: {
    issuer(): string;
    mintForRun(runId: number, opts: MintOptions): Promise<string>;
    rotate(opts?: { dropOld?: boolean }): Promise<void>;
  };
  /** Pull requests, issues, comments, reviews and custom properties (tracker-control.ts). */
  tracker: SimTracker;
  close(): Promise<void>;
}

export interface SimIssue {
  owner: string;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  assignees: string[];
  /** Login of its author (`<slug>[bot]` for the App). */
  user: string;
  isPull: boolean;
}

export interface SimPull extends SimIssue {
  head: string;
  base: string;
  draft: boolean;
  merged: boolean;
  mergeState: 'clean' | 'dirty' | 'blocked';
}

export interface SimComment {
  id: number;
  owner: string;
  repo: string;
  issueNumber: number;
  body: string;
  user: string;
}

export interface SimReview {
  id: number;
  owner: string;
  repo: string;
  pullNumber: number;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  body: string;
  user: string;
}

export interface SimTracker {
  pulls(): SimPull[];
  /** Issues that are not pull requests. */
  issues(): SimIssue[];
  comments(): SimComment[];
  reviews(): SimReview[];
  /** GitHub's mergeability of a pull request: 'dirty' (a conflict) and 'blocked' make PUT …/merge answer 405. */
  setMergeState(owner: string, repo: string, number: number, state: 'clean' | 'dirty' | 'blocked'): void;
  /** An issue someone else opened (default user 'sim-user'); returns its number. */
  addIssue(owner: string, repo: string, o: { title: string; body?: string; user?: string; labels?: string[] }): number;
  /** A comment someone else posted on an issue or pull request; returns its id. */
  addComment(owner: string, repo: string, number: number, o: { body: string; user?: string }): number;
  /** Defines (or redefines) an organization's custom property. */
  defineProperty(
    org: string,
    def: {
      name: string;
      valueType: 'string' | 'single_select' | 'multi_select' | 'true_false';
      required?: boolean;
      defaultValue?: string | null;
      allowedValues?: string[] | null;
    },
  ): void;
  /** A repository's set custom-property values. */
  propertyValues(owner: string, repo: string): Record<string, string | string[]>;
}

export interface StorageRequestEntry {
  at: number;
  path: string;
  status: number;
  /** The Authorization header it carried, if any (the storage host refuses such requests). */
  authorization: string | null;
}
