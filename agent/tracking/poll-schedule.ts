/**
 * Pure decisions of the batched watcher: when a repository is polled next, which list to ask
 * for, and which runs the list cannot show. Kept apart so they are tested without a clock.
 */

export interface ScheduleSettings {
  /** The short interval: used while a repository has young or running runs. */
  baseMs: number;
  /** The longest interval, for repositories whose runs all sit queued or waiting for approval. */
  maxMs: number;
  /** A run younger than this changes state soon (queued → in_progress): poll at the base pace. */
  youngMs: number;
}

export interface RepoActivity {
  /** Age of the youngest tracked run, ms. */
  youngestAgeMs: number;
  /** Some tracked run is in_progress, or its status is not known yet: it may complete any moment. */
  anyDue: boolean;
  /** Consecutive polls that brought no news (304, or nothing of ours changed). */
  quietPolls: number;
  /** The server's x-poll-interval, if any: never poll faster. */
  serverMinMs?: number;
}

/**
 * The next interval for one repository. Short while runs are young or due, because that is
 * when status lines and completions come; growing by half per quiet poll otherwise, up to
 * `maxMs`, because a run waiting for a reviewer may sit for hours. Jitter (±10 %) keeps many
 * repositories from polling in lockstep. The server's x-poll-interval is a floor.
 */
export function nextIntervalMs(s: ScheduleSettings, a: RepoActivity, random: number): number {
  const busy = a.youngestAgeMs < s.youngMs || a.anyDue;
  const base = busy ? s.baseMs : Math.min(s.maxMs, s.baseMs * 1.5 ** Math.min(a.quietPolls, 20));
  const jittered = base * (0.9 + 0.2 * random);
  return Math.max(jittered, a.serverMinMs ?? 0);
}

/**
 * Which list a tick asks for. Completed runs only, by default: that list's ETag changes only
 * when one of the window's runs completes, so almost every poll is a 304 (free under GitHub's
 * rate limit) and each 200 carries completions. Every `sweepMs` the tick lists all statuses
 * instead: one request that still shows
 * completions and also shows queued, waiting-for-approval, in-progress and re-run states, for
 * Port's status lines. Either way a tick costs one request for the whole repository.
 */
export function listKind(nowMs: number, lastSweepMs: number, sweepMs: number): 'sweep' | 'completed' {
  return nowMs - lastSweepMs >= sweepMs ? 'sweep' : 'completed';
}

/**
 * GitHub returns at most 1,000 results for a filtered run list ("This endpoint will return up to
 * 1,000 results for each search when using the following parameters: actor, branch,
 * check_suite_id, created, event, head_sha, status", its OpenAPI description), and its
 * total_count may stop at 1,000 too: a list that shows 1,000 says nothing about the rest.
 */
export const SEARCH_CAP = 1000;

/**
 * The list is read page by page, newest first. When the pages read so far do not hold every
 * match, runs created before the oldest listed one are beyond reach: they get a per-run
 * conditional GET instead. Returns that cut-off (created_at ms), or -Infinity when all are shown.
 * A total_count of 1,000 may be the cap, not the count: then nothing beyond is taken as shown.
 */
export function reachFloorMs(page: { totalCount: number; runs: Array<{ created_at: string }> }, shownSoFar = page.runs.length): number {
  const allShown = page.totalCount < SEARCH_CAP && page.totalCount <= shownSoFar;
  if (allShown || page.runs.length === 0) return -Infinity;
  let oldest = Infinity;
  for (const r of page.runs) oldest = Math.min(oldest, Date.parse(r.created_at));
  // Runs created in the same second as the oldest listed one may or may not be on the page.
  return oldest + 1000;
}

/**
 * Whether to read the next page for tracked runs that lie beyond the pages read so far, or to
 * follow them with per-run GETs. Reading on costs up to every remaining reachable page, each an
 * unconditional 200 (page 1 changed, so may the rest); a per-run GET is conditional, mostly a
 * 304 that costs no rate limit. So pages are read only when they cover several tracked runs each
 * on average (`beyond` ≥ 2 × the pages left); one long run in a busy repository costs one GET a
 * tick, not nine pages. Past 1,000 results nothing more can be read.
 */
export function worthAnotherPage(a: { beyond: number; shownSoFar: number; totalCount: number; perPage: number }): boolean {
  const reachable = Math.min(a.totalCount, SEARCH_CAP);
  if (a.beyond === 0 || a.shownSoFar >= reachable) return false;
  const pagesLeft = Math.ceil((reachable - a.shownSoFar) / a.perPage);
  return a.beyond >= RUNS_PER_PAGE * pagesLeft;
}

/** "Several" tracked runs per page read, on average, make pages cheaper than per-run GETs. */
const RUNS_PER_PAGE = 2;
