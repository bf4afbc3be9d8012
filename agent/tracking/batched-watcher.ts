import { type AgentError, toAgentError } from '../errors.js';
import type { GithubApi, WorkflowRun } from '../github/github-api.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, abortError, backoffDelay } from '../util/backoff.js';
import { Semaphore } from '../util/semaphore.js';
import { SEARCH_CAP, listKind, nextIntervalMs, reachFloorMs, worthAnotherPage } from './poll-schedule.js';
import type { RunWatcher, WatchHooks, WatchOutcome, WatchedRun } from './run-watcher.js';

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

/** What the watcher keeps per run: a few numbers and the caller's handles, no history. */
interface Entry {
  run: WatchedRun;
  hooks: WatchHooks;
  resolve: (o: WatchOutcome) => void;
  reject: (e: unknown) => void;
  onAbort: () => void;
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

interface RepoState {
  owner: string;
  repo: string;
  key: string;
  runs: Map<number, Entry[]>;
  completedEtag: string | undefined;
  sweepEtag: string | undefined;
  lastSweepMs: number;
  quietPolls: number;
  failures: number;
  serverMinMs: number | undefined;
  nextAtMs: number;
  wake: AbortController | undefined;
  tick: number;
  started: boolean;
  /** Per list kind: created_at before which the last full page could not show runs. */
  floors: { sweep: number; completed: number };
  /** Resumed runs wait to be located: the next tick lists all statuses (issue 15). */
  sweepSoon: boolean;
}

/**
 * Local dispatch time → created_at window start. The run is created on GHES after the agent
 * asked, but the two clocks may disagree; two minutes covers ordinary skew.
 */
const CREATED_SLACK_MS = 120_000;
/** The window start is rounded down so the list URL, and with it the ETag, stays stable. */
const WINDOW_STEP_MS = 300_000;
/** Runs younger than this many base intervals change state soon (queued → in_progress). */
const YOUNG_INTERVALS = 6;

/**
 * Follows runs per repository, not per run: one loop per (owner, repo) asks one conditional list
 * per tick for all the runs tracked there, so the cost grows with repositories, not runs.
 * A 304 means nothing in the window changed. Runs the list cannot show (a full page cuts them
 * off, or they were created long before they were handed over, e.g. resumed after a restart)
 * get a conditional per-run GET until a list shows them. The loops own all timing; a caller's
 * `watch` only adds an entry, so the consumer never waits on polling.
 */
export function createBatchedWatcher(deps: {
  api: GithubApi;
  clock: Clock;
  logger: Logger;
  settings: BatchedWatcherSettings;
  random?: () => number;
  /** GHES's clock minus the local one: created_at windows are on GHES's clock. */
  serverOffsetMs?: () => number;
}): RunWatcher {
  const { api, clock, settings } = deps;
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ component: 'watcher' });
  const repos = new Map<string, RepoState>();
  const perPage = Math.min(100, settings.perPage ?? 100);
  const maxPages = Math.max(1, Math.min(settings.maxPages ?? 10, Math.floor(SEARCH_CAP / perPage)));
  const schedule = { baseMs: settings.intervalMs, maxMs: Math.max(settings.intervalMs, settings.maxIntervalMs), youngMs: settings.intervalMs * YOUNG_INTERVALS };
  let total = 0;
  const slots = new Semaphore(Math.max(1, settings.maxConcurrentRequests ?? 4));
  // Runs share a few signals (one per partition): one listener per signal, not per run, since
  // EventTarget checks every existing listener on each add (quadratic at thousands of runs).
  const bySignal = new Map<AbortSignal, Set<Entry>>();
  function onSignalAbort(this: AbortSignal): void {
    for (const e of [...(bySignal.get(this) ?? [])]) e.onAbort();
  }

  function remove(rs: RepoState, e: Entry): boolean {
    const list = rs.runs.get(e.run.ghRunId);
    const i = list ? list.indexOf(e) : -1;
    if (!list || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) rs.runs.delete(e.run.ghRunId);
    total--;
    const group = bySignal.get(e.hooks.signal);
    group?.delete(e);
    if (group?.size === 0) {
      bySignal.delete(e.hooks.signal);
      e.hooks.signal.removeEventListener('abort', onSignalAbort);
    }
    return true;
  }

  function finish(rs: RepoState, e: Entry, outcome: WatchOutcome): void {
    if (remove(rs, e)) e.resolve(outcome);
  }

  function statusOf(rs: RepoState, e: Entry, run: WorkflowRun): boolean {
    if (run.status === 'completed') {
      finish(rs, e, { kind: 'completed', run });
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
  function windowStart(rs: RepoState): number {
    return Math.floor((oldestTracked(rs) - 1000) / WINDOW_STEP_MS) * WINDOW_STEP_MS;
  }

  /** Applies one page to the tracked runs; true when it brought news. */
  function see(rs: RepoState, runs: WorkflowRun[], tickNo: number): boolean {
    let news = false;
    for (const run of runs) {
      const list = rs.runs.get(run.id);
      if (!list) continue;
      for (const e of [...list]) {
        e.seenTick = tickNo;
        e.located = true;
        e.direct = false;
        e.createdAtMs = Date.parse(run.created_at);
        if (statusOf(rs, e, run)) news = true;
      }
    }
    return news;
  }

  /** Tracked runs this tick's pages have not shown and that were created before `floor`. */
  function unseenBefore(rs: RepoState, floor: number, tickNo: number): number {
    let n = 0;
    for (const list of rs.runs.values()) for (const e of list) if (e.seenTick !== tickNo && e.createdAtMs < floor) n++;
    return n;
  }

  function oldestTracked(rs: RepoState): number {
    let oldest = Infinity;
    for (const list of rs.runs.values()) for (const e of list) oldest = Math.min(oldest, e.createdAtMs);
    return oldest;
  }

  async function tick(rs: RepoState): Promise<boolean> {
    const now = clock.now();
    const kind = rs.sweepSoon ? 'sweep' : listKind(now, rs.lastSweepMs, settings.sweepMs);
    rs.sweepSoon = false;
    const tickNo = ++rs.tick;
    let news = false;
    const createdSince = new Date(windowStart(rs)).toISOString();
    const status = kind === 'completed' ? 'completed' : undefined;
    const etag = kind === 'sweep' ? rs.sweepEtag : rs.completedEtag;
    const res = await slots.run(() => api.listRepoRuns(rs.owner, rs.repo, { createdSince, status, perPage }, etag));
    rs.serverMinMs = res.pollIntervalMs;
    if (kind === 'sweep') rs.lastSweepMs = now;
    if (!res.notModified) {
      if (kind === 'sweep') rs.sweepEtag = res.etag;
      else rs.completedEtag = res.etag;
      if (see(rs, res.page.runs, tickNo)) news = true;
      let floor = reachFloorMs(res.page);
      let shown = res.page.runs.length;
      // A full first page: read on (unconditionally: page 1 changed, so may the rest) only while
      // the pages left cover several tracked runs each; the others get per-run GETs below.
      for (let n = 2; n <= maxPages && worthAnotherPage({ beyond: unseenBefore(rs, floor, tickNo), shownSoFar: shown, totalCount: res.page.totalCount, perPage }); n++) {
        const more = await slots.run(() => api.listRepoRuns(rs.owner, rs.repo, { createdSince, status, perPage, page: n }));
        if (more.notModified || more.page.runs.length === 0) break;
        if (see(rs, more.page.runs, tickNo)) news = true;
        shown += more.page.runs.length;
        floor = reachFloorMs(more.page, shown);
      }
      rs.floors[kind] = floor;
    }
    // Who the list could not show. A 304 repeats the previous answer (same page, same cut-off),
    // which did not show unlocated runs either (they would have been located then).
    const floor = rs.floors[kind];
    const direct: Entry[] = [];
    for (const list of rs.runs.values()) {
      for (const e of list) {
        if (e.seenTick === tickNo || (e.addedTick >= tickNo && !e.direct)) continue;
        if (e.createdAtMs < floor) e.direct = true;
        else if (kind === 'sweep' && !e.located) e.direct = true;
        if (e.direct) direct.push(e);
      }
    }
    if (direct.length > 0) news = (await Promise.all(direct.map((e) => getOne(rs, e)))).some(Boolean) || news;
    // Issue 13: the sweep's pace is the job-progress pace, for runs still in progress.
    if (kind === 'sweep') for (const list of rs.runs.values()) for (const e of list) if (e.status === 'in_progress') e.hooks.onSweep?.();
    return news;
  }

  /** A conditional GET of one run; true when it brought news. */
  async function getOne(rs: RepoState, e: Entry): Promise<boolean> {
    try {
      const res = await slots.run(() => api.getRun(rs.owner, rs.repo, e.run.ghRunId, e.etag));
      if (!res) {
        e.direct = false;
        return false;
      }
      e.etag = res.etag;
      e.located = true;
      // Located: the next list's window reaches back to it; it is flagged again if the page cuts it off.
      e.direct = false;
      e.createdAtMs = Date.parse(res.run.created_at);
      return statusOf(rs, e, res.run);
    } catch (raw) {
      const err = toAgentError(raw);
      if (err.code === 'not_found') {
        finish(rs, e, { kind: 'gone', reason: err.message });
        return true;
      }
      log.warn('reading a run failed; will retry', { runId: e.run.portRunId, ghRunId: e.run.ghRunId, error: err.message });
      return false;
    }
  }

  function expire(rs: RepoState): void {
    const now = clock.now();
    for (const list of [...rs.runs.values()]) {
      for (const e of [...list]) if (now - e.run.sinceMs >= settings.maxWaitMs) finish(rs, e, { kind: 'timed_out', lastStatus: e.status });
    }
  }

  function activity(rs: RepoState) {
    const now = clock.now();
    let youngestAgeMs = Infinity;
    let anyDue = false;
    for (const list of rs.runs.values()) {
      for (const e of list) {
        youngestAgeMs = Math.min(youngestAgeMs, now - e.run.sinceMs);
        if (e.status === undefined || e.status === 'in_progress') anyDue = true;
      }
    }
    return { youngestAgeMs, anyDue, quietPolls: rs.quietPolls, serverMinMs: rs.serverMinMs };
  }

  function failAll(rs: RepoState, err: AgentError): void {
    for (const list of [...rs.runs.values()]) for (const e of [...list]) finish(rs, e, { kind: 'gone', reason: err.message });
  }

  async function loop(rs: RepoState): Promise<void> {
    for (;;) {
      while (rs.runs.size > 0 && clock.now() < rs.nextAtMs) {
        rs.wake = new AbortController();
        await clock.sleep(rs.nextAtMs - clock.now(), rs.wake.signal).catch(() => undefined);
        rs.wake = undefined;
      }
      if (rs.runs.size > 0) expire(rs);
      if (rs.runs.size === 0) {
        repos.delete(rs.key);
        return;
      }
      let delay: number;
      try {
        const news = await tick(rs);
        rs.failures = 0;
        rs.quietPolls = news ? 0 : rs.quietPolls + 1;
        delay = nextIntervalMs(schedule, activity(rs), random());
      } catch (raw) {
        const err = toAgentError(raw);
        if (err.code === 'not_found') {
          // The repository is gone, or the App lost access to it: none of its runs can be followed.
          failAll(rs, err);
          continue;
        }
        rs.failures++;
        delay = backoffDelay(rs.failures, { baseMs: settings.intervalMs, capMs: 5 * 60_000, random }, err.retryAfterMs);
        log.warn('listing runs failed; will retry', { repo: rs.key, attempt: rs.failures, delayMs: Math.round(delay), error: err.message });
      }
      rs.nextAtMs = clock.now() + delay;
    }
  }

  /** Started once the first entry is in, so the loop never sees an empty repository at birth. */
  function start(rs: RepoState): void {
    rs.started = true;
    void loop(rs).catch((err) => {
      // Not expected: every failure is handled in the loop. Never leave callers hanging.
      log.error('repository watcher stopped unexpectedly', { repo: rs.key, error: (err as Error).message });
      repos.delete(rs.key);
      failAll(rs, toAgentError(err));
    });
  }

  function repoState(run: WatchedRun): RepoState {
    const key = `${run.org}/${run.repo}`.toLowerCase();
    let rs = repos.get(key);
    if (!rs) {
      rs = {
        owner: run.org,
        repo: run.repo,
        key,
        runs: new Map(),
        completedEtag: undefined,
        sweepEtag: undefined,
        // The first sweep comes when due, not at once: a run just dispatched is in the
        // completed list's window anyway, and one of unknown age is located with a GET.
        lastSweepMs: clock.now(),
        quietPolls: 0,
        failures: 0,
        serverMinMs: undefined,
        // The first poll anywhere in the second half of an interval: repositories that get runs
        // together (a backlog, a deploy wave) then poll spread out, not as one burst.
        nextAtMs: clock.now() + settings.intervalMs * (0.5 + 0.5 * random()),
        wake: undefined,
        tick: 0,
        started: false,
        floors: { sweep: -Infinity, completed: -Infinity },
        sweepSoon: false,
      };
      repos.set(key, rs);
    } else if (rs.failures === 0 && rs.nextAtMs > clock.now() + settings.intervalMs) {
      // A new run changes state soon: bring a long wait forward to the base pace.
      rs.nextAtMs = clock.now() + settings.intervalMs * (0.9 + 0.2 * random());
      rs.quietPolls = 0;
      rs.wake?.abort();
    }
    return rs;
  }

  return {
    size: () => total,
    watch(run, hooks) {
      if (hooks.signal.aborted) return Promise.reject(abortError());
      return new Promise<WatchOutcome>((resolve, reject) => {
        const rs = repoState(run);
        const created = run.createdAt ? Date.parse(run.createdAt) : NaN;
        const known = Number.isFinite(created) || run.fresh === true;
        // A resumed run with a lower bound on its age: the next sweep's window reaches back to
        // it, so one list locates all the runs resumed in a repository (issue 15).
        const after = !known && run.createdAfterMs !== undefined && Number.isFinite(run.createdAfterMs);
        if (after) rs.sweepSoon = true;
        const e: Entry = {
          run,
          hooks,
          resolve,
          reject,
          onAbort: () => {
            if (remove(rs, e)) reject(abortError());
          },
          createdAtMs: Number.isFinite(created)
            ? created
            : (after ? run.createdAfterMs! : run.sinceMs) + (deps.serverOffsetMs?.() ?? 0) - CREATED_SLACK_MS,
          located: false,
          status: undefined,
          attempt: 0,
          seenTick: 0,
          // A run of unknown age is located with one GET: no list window can be trusted to show
          // it. A fresh one is simply in the lists' window, and needs no early sweep: on a busy
          // repository a sweep per new run meant megabytes of run JSON a second.
          direct: !known && !after,
          etag: undefined,
          addedTick: rs.tick,
        };
        const list = rs.runs.get(run.ghRunId);
        if (list) list.push(e);
        else rs.runs.set(run.ghRunId, [e]);
        total++;
        let group = bySignal.get(hooks.signal);
        if (!group) {
          group = new Set();
          bySignal.set(hooks.signal, group);
          hooks.signal.addEventListener('abort', onSignalAbort);
        }
        group.add(e);
        if (rs.tick === 0 && !rs.started) start(rs);
      });
    },
  };
}
