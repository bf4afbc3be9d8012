/** GitHub's Actions limit is counted over 10 s: at most 500 runs queued per repository. */
export const DISPATCH_WINDOW_MS = 10_000;

/**
 * Keeps this agent's dispatches to one repository under `limit` in any 10 s window (GitHub
 * Actions queues at most 500 runs per 10 s per repository and refuses the rest). Each dispatch
 * reserves its start time up front, so a backlog for one repository waits its turn before it
 * takes a dispatch slot, while other repositories' dispatches go ahead. Pure bookkeeping: the
 * caller sleeps until the returned time.
 */
export function createDispatchPacer(limit: number) {
  /** Per repository: the last `limit` reserved start times, ascending. */
  const starts = new Map<string, number[]>();
  let reservations = 0;

  function prune(key: string, q: number[], nowMs: number): void {
    while (q.length > 0 && (q.length > limit || q[0]! <= nowMs - DISPATCH_WINDOW_MS)) q.shift();
    if (q.length === 0) starts.delete(key);
  }

  return {
    /** Reserves a dispatch to `key` and returns when it may start (`nowMs` when it need not wait). */
    reserve(key: string, nowMs: number): number {
      // Repositories that went quiet are forgotten now and then, so the map stays small.
      if (++reservations % 1000 === 0) for (const [k, q] of starts) prune(k, q, nowMs);
      const q = starts.get(key) ?? [];
      prune(key, q, nowMs);
      // With `limit` starts in the window, the next may start one window after the oldest of
      // them; never before an earlier reservation, so the list stays in order.
      const at = Math.max(nowMs, q.at(-1) ?? nowMs, q.length >= limit ? q[q.length - limit]! + DISPATCH_WINDOW_MS : nowMs);
      q.push(at);
      starts.set(key, q);
      return at;
    },
    /** Repositories with reservations kept (tests check quiet ones are forgotten). */
    size: () => starts.size,
  };
}

export type DispatchPacer = ReturnType<typeof createDispatchPacer>;
