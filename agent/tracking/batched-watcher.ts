import type { Logger } from '../observability/logger.js';
import { type Clock, abortError } from '../util/backoff.js';
import { Semaphore } from '../util/semaphore.js';
import { SEARCH_CAP } from './poll-schedule.js';
import { CREATED_SLACK_MS, type PollerDeps, RepoPoller, type WatchEntry } from './repo-poller.js';
import type { RunReader, RunWatcher, WatchHooks, WatchOutcome, WatchedRun } from './run-watcher.js';

export interface BatchedWatcherSettings {
  /** Base (short) interval between two polls of one repository. */
  intervalMs: number;
  /** Longest interval, for repositories whose runs all sit queued or waiting for approval. */
  maxIntervalMs: number;
  /** How often a repository's list shows all statuses (status lines) instead of completed runs only. */
  sweepMs: number;
  /** A run is timed out (reported FAILURE, left alone on GHES) after this long. */
  maxWaitMs: number;
  /** Page size of the list (GitHub: at most 100). */
  perPage?: number;
  /**
   * Tracking requests in flight at once. Below the client's per-host bound, so dispatches
   * (which someone is waiting for) always find a free slot while many repositories poll.
   */
  maxConcurrentRequests?: number;
  /** Pages read per tick at most before the runs beyond them are read one by one (GitHub lists at most 1,000 filtered results: poll-schedule.ts). */
  maxPages?: number;
}

export interface BatchedWatcherDeps {
  api: RunReader;
  clock: Clock;
  logger: Logger;
  settings: BatchedWatcherSettings;
  random?: () => number;
  /** GHES's clock minus the local one: created_at windows are on GHES's clock. */
  serverOffsetMs?: () => number;
}

/** Runs younger than this many base intervals change state soon (queued → in_progress). */
const YOUNG_INTERVALS = 6;

/**
 * Follows runs per repository, not per run: one loop per (owner, repo) asks one conditional list
 * per tick for all the runs tracked there, so the cost grows with repositories, not runs.
 * A 304 means nothing in the window changed. Runs the list cannot show (a full page cuts them
 * off, or they were created long before they were handed over, e.g. resumed after a restart)
 * get a conditional per-run GET until a list shows them. The loops (repo-poller.ts) own all
 * timing; a caller's `watch` only adds an entry, so the consumer never waits on polling.
 */
export function createBatchedWatcher(deps: BatchedWatcherDeps): RunWatcher {
  return new BatchedWatcher(deps);
}

/** Keeps the repositories' pollers, the request slots they share, and the runs' abort listeners. */
class BatchedWatcher implements RunWatcher {
  private readonly repos = new Map<string, RepoPoller>();
  // Runs share a few signals (one per partition): one listener per signal, not per run, since
  // EventTarget checks every existing listener on each add (quadratic at thousands of runs).
  private readonly bySignal = new Map<AbortSignal, Set<WatchEntry>>();
  /** That one listener, for every signal: the signal it is called on says which runs it aborts. */
  private readonly onSignalAbort = (event: Event): void => {
    for (const e of [...(this.bySignal.get(event.currentTarget as AbortSignal) ?? [])]) e.poller.abort(e);
  };
  private total = 0;
  /** Built once, shared by every poller: its settings, the slots, and the calls back here. */
  private readonly pollerDeps: PollerDeps;
  private readonly serverOffsetMs: (() => number) | undefined;

  constructor(deps: BatchedWatcherDeps) {
    const { settings } = deps;
    const perPage = Math.min(100, settings.perPage ?? 100);
    this.serverOffsetMs = deps.serverOffsetMs;
    this.pollerDeps = {
      api: deps.api,
      clock: deps.clock,
      log: deps.logger.child({ component: 'watcher' }),
      random: deps.random ?? Math.random,
      slots: new Semaphore(Math.max(1, settings.maxConcurrentRequests ?? 4)),
      settings: {
        intervalMs: settings.intervalMs,
        sweepMs: settings.sweepMs,
        maxWaitMs: settings.maxWaitMs,
        perPage,
        maxPages: Math.max(1, Math.min(settings.maxPages ?? 10, Math.floor(SEARCH_CAP / perPage))),
        schedule: {
          baseMs: settings.intervalMs,
          maxMs: Math.max(settings.intervalMs, settings.maxIntervalMs),
          youngMs: settings.intervalMs * YOUNG_INTERVALS,
        },
      },
      released: (e) => this.release(e),
      ended: (p) => this.repos.delete(p.key),
    };
  }

  size(): number {
    return this.total;
  }

  watch(run: WatchedRun, hooks: WatchHooks): Promise<WatchOutcome> {
    if (hooks.signal.aborted) return Promise.reject(abortError());
    return new Promise<WatchOutcome>((resolve, reject) => {
      const poller = this.pollerFor(run);
      const created = run.createdAt ? Date.parse(run.createdAt) : NaN;
      const known = Number.isFinite(created) || run.fresh === true;
      // A resumed run with a lower bound on its age: the next sweep's window reaches back to
      // it, so one list locates all the runs resumed in a repository (issue 15).
      const after = !known && run.createdAfterMs !== undefined && Number.isFinite(run.createdAfterMs);
      if (after) poller.sweepNextTick();
      const e: WatchEntry = {
        run,
        hooks,
        poller,
        resolve,
        reject,
        createdAtMs: Number.isFinite(created)
          ? created
          : (after ? run.createdAfterMs! : run.sinceMs) + (this.serverOffsetMs?.() ?? 0) - CREATED_SLACK_MS,
        located: false,
        status: undefined,
        attempt: 0,
        seenTick: 0,
        // A run of unknown age is located with one GET: no list window can be trusted to show
        // it. A fresh one is simply in the lists' window, and needs no early sweep: on a busy
        // repository a sweep per new run meant megabytes of run JSON a second.
        direct: !known && !after,
        etag: undefined,
        addedTick: poller.ticks,
      };
      poller.add(e);
      this.total++;
      this.listen(e);
      poller.start();
    });
  }

  private pollerFor(run: WatchedRun): RepoPoller {
    const key = `${run.org}/${run.repo}`.toLowerCase();
    let poller = this.repos.get(key);
    if (!poller) {
      poller = new RepoPoller(run.org, run.repo, key, this.pollerDeps);
      this.repos.set(key, poller);
    } else poller.runAdded();
    return poller;
  }

  private listen(e: WatchEntry): void {
    const { signal } = e.hooks;
    let group = this.bySignal.get(signal);
    if (!group) {
      group = new Set();
      this.bySignal.set(signal, group);
      signal.addEventListener('abort', this.onSignalAbort);
    }
    group.add(e);
  }

  /** An entry left its poller: it is no longer counted nor listened for. */
  private release(e: WatchEntry): void {
    this.total--;
    const { signal } = e.hooks;
    const group = this.bySignal.get(signal);
    group?.delete(e);
    if (group?.size === 0) {
      this.bySignal.delete(signal);
      signal.removeEventListener('abort', this.onSignalAbort);
    }
  }
}
