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
 * The list is read page by page, newest first. When the pages read so far do not hold every
 * match, runs created before the oldest listed one are beyond reach: they get a per-run
 * conditional GET instead. Returns that cut-off (created_at ms), or -Infinity when all are shown.
 */
export function reachFloorMs(page: { totalCount: number; runs: Array<{ created_at: string }> }, shownSoFar = page.runs.length): number {
  if (page.totalCount <= shownSoFar || page.runs.length === 0) return -Infinity;
  let oldest = Infinity;
  for (const r of page.runs) oldest = Math.min(oldest, Date.parse(r.created_at));
  // Runs created in the same second as the oldest listed one may or may not be on the page.
  return oldest + 1000;
}
