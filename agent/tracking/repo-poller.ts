import { type AgentError, toAgentError } from '../errors.js';
import type { WorkflowRun } from '../github/run-list-api.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, abortError, backoffDelay } from '../util/backoff.js';
import type { Semaphore } from '../util/semaphore.js';
import { type RepoActivity, type ScheduleSettings, listKind, nextIntervalMs, reachFloorMs, worthAnotherPage } from './poll-schedule.js';
import type { RunReader, WatchHooks, WatchOutcome, WatchedRun } from './run-watcher.js';

/** What the watcher keeps per run: a few numbers and the caller's handles, no history. */
export interface WatchEntry {
  run: WatchedRun;
  hooks: WatchHooks;
  /** The repository poller that holds it: an abort of the caller's signal goes there. */
  poller: RepoPoller;
  resolve: (o: WatchOutcome) => void;
  reject: (e: unknown) => void;
  /** created_at on the server's clock; an estimate (dispatch time minus slack) until located. */
  createdAtMs: number;
  located: boolean;
  status: string | undefined;
  attempt: number;
  /** Tick in which a list last showed the run. */
  seenTick: number;
  /** Needs a per-run GET: beyond the list's reach, or missing from a list that should show it. */
  direct: boolean;
  /** ETag of the last per-run GET, for the next conditional one. */
  etag: string | undefined;
  /** The repository's tick count when the run was added: a tick that began before cannot have listed it. */
  addedTick: number;
}

/** The watcher's settings as every poller reads them, worked out once (batched-watcher.ts). */
export interface PollerSettings {
  intervalMs: number;
  sweepMs: number;
  maxWaitMs: number;
  perPage: number;
  maxPages: number;
  schedule: ScheduleSettings;
}

/**
 * What all the pollers of one watcher share, built once by the watcher: the GitHub reader, the
 * clock, the bound on tracking requests in flight, and the two calls back into the watcher,
 * which keeps the map of pollers and the runs' abort listeners.
 */
export interface PollerDeps {
  api: RunReader;
  clock: Clock;
  log: Logger;
  random: () => number;
  /** Tracking requests in flight at once, across all repositories. */
  slots: Semaphore;
  settings: PollerSettings;
  /** An entry left its poller (finished, aborted or failed): the watcher forgets it too. */
  released(e: WatchEntry): void;
  /** The poller's loop ended (no runs left, or it failed): the watcher drops it from its map. */
  ended(p: RepoPoller): void;
}

/**
 * Local dispatch time → created_at window start. The run is created on GHES after the agent
 * asked, but the two clocks may disagree; two minutes covers ordinary skew.
 */
export const CREATED_SLACK_MS = 120_000;
/** The window start is rounded down so the list URL, and with it the ETag, stays stable. */
const WINDOW_STEP_MS = 300_000;

/**
 * One repository's loop: one conditional list per tick for all the runs tracked there (see
 * batched-watcher.ts for why). Its fields are all the state a repository has; the watcher only
 * adds entries and learns, through `deps`, when one leaves and when the loop ends. Shaped like
 * kafkajs's `Runner` (src/consumer/runner.js): dependencies in, state in fields, one loop.
 */
export class RepoPoller {
  private readonly runs = new Map<number, WatchEntry[]>();
  private completedEtag: string | undefined = undefined;
  private sweepEtag: string | undefined = undefined;
  private lastSweepMs: number;
  private quietPolls = 0;
  private failures = 0;
  private serverMinMs: number | undefined = undefined;
  private nextAtMs: number;
  private wake: AbortController | undefined = undefined;
  /** Ticks begun so far. */
  private tickCount = 0;
  private started = false;
  /** Per list kind: created_at before which the last full page could not show runs. */
  private readonly floors = { sweep: -Infinity, completed: -Infinity };
  /** Resumed runs wait to be located: the next tick lists all statuses (issue 15). */
  private sweepSoon = false;

  constructor(
    private readonly owner: string,
    private readonly repo: string,
    /** owner/repo in lower case: the watcher's map key. */
    readonly key: string,
    private readonly deps: PollerDeps,
  ) {
    const now = deps.clock.now();
    // The first sweep comes when due, not at once: a run just dispatched is in the
    // completed list's window anyway, and one of unknown age is located with a GET.
    this.lastSweepMs = now;
    // The first poll anywhere in the second half of an interval: repositories that get runs
    // together (a backlog, a deploy wave) then poll spread out, not as one burst.
    this.nextAtMs = now + deps.settings.intervalMs * (0.5 + 0.5 * deps.random());
  }

  /** Ticks begun so far: an entry added now was not listed by any of them. */
  get ticks(): number {
    return this.tickCount;
  }

  add(e: WatchEntry): void {
    const list = this.runs.get(e.run.ghRunId);
    if (list) list.push(e);
    else this.runs.set(e.run.ghRunId, [e]);
  }

  /** A resumed run with a lower bound on its age: the next tick lists all statuses (issue 15). */
  sweepNextTick(): void {
    this.sweepSoon = true;
  }

  /** A new run is coming to a repository already polled. */
  runAdded(): void {
    const { clock, settings, random } = this.deps;
    if (this.failures === 0 && this.nextAtMs > clock.now() + settings.intervalMs) {
      // A new run changes state soon: bring a long wait forward to the base pace.
      this.nextAtMs = clock.now() + settings.intervalMs * (0.9 + 0.2 * random());
      this.quietPolls = 0;
      this.wake?.abort();
    }
  }

  /** The caller's signal aborted: the run leaves, its promise rejects. */
  abort(e: WatchEntry): void {
    if (this.remove(e)) e.reject(abortError());
  }

  /** Started once the first entry is in, so the loop never sees an empty repository at birth. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.loop().catch((err) => {
      // Not expected: every failure is handled in the loop. Never leave callers hanging.
      this.deps.log.error('repository watcher stopped unexpectedly', { repo: this.key, error: (err as Error).message });
      this.deps.ended(this);
      this.failAll(toAgentError(err));
    });
  }

  private remove(e: WatchEntry): boolean {
    const list = this.runs.get(e.run.ghRunId);
    const i = list ? list.indexOf(e) : -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.runs.delete(e.run.ghRunId);
    this.deps.released(e);
    return true;
  }

  private finish(e: WatchEntry, outcome: WatchOutcome): void {
    if (this.remove(e)) e.resolve(outcome);
  }

  private statusOf(e: WatchEntry, run: WorkflowRun): boolean {
    if (run.status === 'completed') {
      this.finish(e, { kind: 'completed', run });
      return true;
    }
    const attempt = run.run_attempt ?? 1;
    if (run.status === e.status && attempt === e.attempt) return false;
    e.status = run.status;
    e.attempt = attempt;
    e.hooks.onStatus(run.status);
    return true;
  }

  /** Oldest created_at of the repository's runs, minus a second, rounded down for a stable URL (and ETag). */
  private windowStart(): number {
    return Math.floor((this.oldestTracked() - 1000) / WINDOW_STEP_MS) * WINDOW_STEP_MS;
  }

  /** Applies one page to the tracked runs; true when it brought news. */
  private see(runs: WorkflowRun[], tickNo: number): boolean {
    let news = false;
    for (const run of runs) {
      const list = this.runs.get(run.id);
      if (!list) continue;
      for (const e of [...list]) {
        e.seenTick = tickNo;
        e.located = true;
        e.direct = false;
        e.createdAtMs = Date.parse(run.created_at);
        if (this.statusOf(e, run)) news = true;
      }
    }
    return news;
  }

  /** Tracked runs this tick's pages have not shown and that were created before `floor`. */
  private unseenBefore(floor: number, tickNo: number): number {
    let n = 0;
    for (const list of this.runs.values()) for (const e of list) if (e.seenTick !== tickNo && e.createdAtMs < floor) n++;
    return n;
  }

  private oldestTracked(): number {
    let oldest = Infinity;
    for (const list of this.runs.values()) for (const e of list) oldest = Math.min(oldest, e.createdAtMs);
    return oldest;
  }

  private async tick(): Promise<boolean> {
    const { api, clock, settings, slots } = this.deps;
    const { perPage } = settings;
    const now = clock.now();
    const kind = this.sweepSoon ? 'sweep' : listKind(now, this.lastSweepMs, settings.sweepMs);
    this.sweepSoon = false;
    const tickNo = ++this.tickCount;
    let news = false;
    const createdSince = new Date(this.windowStart()).toISOString();
    const status = kind === 'completed' ? 'completed' : undefined;
    const etag = kind === 'sweep' ? this.sweepEtag : this.completedEtag;
    const res = await slots.run(() => api.listRepoRuns(this.owner, this.repo, { createdSince, status, perPage }, etag));
    this.serverMinMs = res.pollIntervalMs;
    if (kind === 'sweep') this.lastSweepMs = now;
    if (!res.notModified) {
      if (kind === 'sweep') this.sweepEtag = res.etag;
      else this.completedEtag = res.etag;
      if (this.see(res.page.runs, tickNo)) news = true;
      let floor = reachFloorMs(res.page);
      let shown = res.page.runs.length;
      // A full first page: read on (unconditionally: page 1 changed, so may the rest) only while
      // the pages left cover several tracked runs each; the others get per-run GETs below.
      for (
        let n = 2;
        n <= settings.maxPages &&
        worthAnotherPage({ beyond: this.unseenBefore(floor, tickNo), shownSoFar: shown, totalCount: res.page.totalCount, perPage });
        n++
      ) {
        const more = await slots.run(() => api.listRepoRuns(this.owner, this.repo, { createdSince, status, perPage, page: n }));
        if (more.notModified || more.page.runs.length === 0) break;
        if (this.see(more.page.runs, tickNo)) news = true;
        shown += more.page.runs.length;
        floor = reachFloorMs(more.page, shown);
      }
      this.floors[kind] = floor;
    }
    const direct = this.unlisted(kind, tickNo);
    if (direct.length > 0) news = (await Promise.all(direct.map((e) => this.getOne(e)))).some(Boolean) || news;
    // Issue 13: the sweep's pace is the job-progress pace, for runs still in progress.
    if (kind === 'sweep') for (const list of this.runs.values()) for (const e of list) if (e.status === 'in_progress') e.hooks.onSweep?.();
    return news;
  }

  /**
   * Who the list could not show, flagged for a per-run GET. A 304 repeats the previous answer
   * (same page, same cut-off), which did not show unlocated runs either (they would have been
   * located then).
   */
  private unlisted(kind: 'sweep' | 'completed', tickNo: number): WatchEntry[] {
    const floor = this.floors[kind];
    const direct: WatchEntry[] = [];
    for (const list of this.runs.values()) {
      for (const e of list) {
        if (e.seenTick === tickNo || (e.addedTick >= tickNo && !e.direct)) continue;
        if (e.createdAtMs < floor) e.direct = true;
        else if (kind === 'sweep' && !e.located) e.direct = true;
        if (e.direct) direct.push(e);
      }
    }
    return direct;
  }

  /** A conditional GET of one run; true when it brought news. */
  private async getOne(e: WatchEntry): Promise<boolean> {
    try {
      const res = await this.deps.slots.run(() => this.deps.api.getRun(this.owner, this.repo, e.run.ghRunId, e.etag));
      if (!res) {
        e.direct = false;
        return false;
      }
      e.etag = res.etag;
      e.located = true;
      // Located: the next list's window reaches back to it; it is flagged again if the page cuts it off.
      e.direct = false;
      e.createdAtMs = Date.parse(res.run.created_at);
      return this.statusOf(e, res.run);
    } catch (raw) {
      const err = toAgentError(raw);
      if (err.code === 'not_found') {
        this.finish(e, { kind: 'gone', reason: err.message });
        return true;
      }
      this.deps.log.warn('reading a run failed; will retry', { runId: e.run.portRunId, ghRunId: e.run.ghRunId, error: err.message });
      return false;
    }
  }

  private expire(): void {
    const now = this.deps.clock.now();
    const { maxWaitMs } = this.deps.settings;
    for (const list of [...this.runs.values()]) {
      for (const e of [...list]) if (now - e.run.sinceMs >= maxWaitMs) this.finish(e, { kind: 'timed_out', lastStatus: e.status });
    }
  }

  private activity(): RepoActivity {
    const now = this.deps.clock.now();
    let youngestAgeMs = Infinity;
    let anyDue = false;
    for (const list of this.runs.values()) {
      for (const e of list) {
        youngestAgeMs = Math.min(youngestAgeMs, now - e.run.sinceMs);
        if (e.status === undefined || e.status === 'in_progress') anyDue = true;
      }
    }
    return { youngestAgeMs, anyDue, quietPolls: this.quietPolls, serverMinMs: this.serverMinMs };
  }

  private failAll(err: AgentError): void {
    for (const list of [...this.runs.values()]) for (const e of [...list]) this.finish(e, { kind: 'gone', reason: err.message });
  }

  private async loop(): Promise<void> {
    const { clock, settings, random, log } = this.deps;
    for (;;) {
      while (this.runs.size > 0) {
        // One reading of the clock decides whether to wait and for how long. Node's timers fire on
        // whole milliseconds, often just before a deadline with a fraction (intervals are
        // jittered); read twice, a millisecond could pass in between and the delay turn negative,
        // which Node 24 warns about (TimeoutNegativeWarning; agent-e2e.test.ts refuses it).
        const waitMs = this.nextAtMs - clock.now();
        if (waitMs <= 0) break;
        this.wake = new AbortController();
        await clock.sleep(waitMs, this.wake.signal).catch(() => undefined);
        this.wake = undefined;
      }
      if (this.runs.size > 0) this.expire();
      if (this.runs.size === 0) {
        this.deps.ended(this);
        return;
      }
      let delay: number;
      try {
        const news = await this.tick();
        this.failures = 0;
        this.quietPolls = news ? 0 : this.quietPolls + 1;
        delay = nextIntervalMs(settings.schedule, this.activity(), random());
      } catch (raw) {
        const err = toAgentError(raw);
        if (err.code === 'not_found') {
          // The repository is gone, or the App lost access to it: none of its runs can be followed.
          this.failAll(err);
          continue;
        }
        this.failures++;
        delay = backoffDelay(this.failures, { baseMs: settings.intervalMs, capMs: 5 * 60_000, random }, err.retryAfterMs);
        log.warn('listing runs failed; will retry', {
          repo: this.key,
          attempt: this.failures,
          delayMs: Math.round(delay),
          error: err.message,
        });
      }
      this.nextAtMs = clock.now() + delay;
    }
  }
}
