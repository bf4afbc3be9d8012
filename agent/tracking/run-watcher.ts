import type { GithubApi } from '../github/github-api.js';
import type { WorkflowRun } from '../github/run-list-api.js';

/** A dispatched run the agent follows until it completes. */
export interface WatchedRun {
  portRunId: string;
  org: string;
  repo: string;
  ghRunId: number;
  /** Local time the run was dispatched (or resumed); bounds the wait. */
  sinceMs: number;
  /** The run's created_at, when known, so a repository list can start there. */
  createdAt?: string;
  /**
   * Dispatched by this agent moments ago, so created at about `sinceMs`. A run of unknown age
   * (resumed after a restart, created maybe hours before) is located with one GET instead.
   */
  fresh?: boolean;
  /**
   * Resumed runs (issue 15): the run was created no earlier than this (epoch ms, local clock):
   * the Kafka message's timestamp or Port's record. A batched watcher then locates the run in
   * the repository's next list (one sweep for all the runs resumed there) instead of one GET per
   * run; a run the list does not show still gets its GET.
   */
  createdAfterMs?: number;
}

export type WatchOutcome =
  { kind: 'completed'; run: WorkflowRun } | { kind: 'timed_out'; lastStatus: string | undefined } | { kind: 'gone'; reason: string };

export interface WatchHooks {
  /** Called on every status change before completion (queued, waiting, in_progress). */
  onStatus(status: string): void;
  /** Called at the status sweep's pace while the run is in progress (job progress: run-insight.ts). */
  onSweep?(): void;
  signal: AbortSignal;
}

/** Follows runs until they finish; two implementations: per-run (naive) and per-repository (batched). */
export interface RunWatcher {
  watch(run: WatchedRun, hooks: WatchHooks): Promise<WatchOutcome>;
  size(): number;
}

/** The two GitHub reads tracking makes: a repository's run list and one run (github-api.ts). */
export type RunReader = Pick<GithubApi, 'listRepoRuns' | 'getRun'>;
