import { AgentError } from '../errors.js';
import type { Clock } from '../util/backoff.js';

/** GitHub's Actions limit is counted over 10 s: at most 500 runs queued per repository. */
export const DISPATCH_WINDOW_MS = 10_000;

/**
 * Keeps this agent's dispatches to one repository under `limit` in any 10 s window (GitHub
 * Actions queues at most 500 runs per 10 s per repository and refuses the rest). Each dispatch
 * reserves its start time up front, so a backlog for one repository waits its turn before it
 * takes a dispatch slot, while other repositories' dispatches go ahead. Pure bookkeeping: the
 * caller sleeps until the returned time.
 */
export function createDispatchPacer(limit: number): DispatchPacer {
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

/** Reservations of dispatch start times per repository (createDispatchPacer). */
export interface DispatchPacer {
  /** Reserves a dispatch to `key` and returns when it may start (`nowMs` when it need not wait). */
  reserve(key: string, nowMs: number): number;
  /** Repositories with reservations kept (tests check quiet ones are forgotten). */
  size(): number;
}

/**
 * The guarantee the pacer above cannot give alone. It reserves start times before the run's
 * Port round trips and GHES look-ups, which take varying time, so the POSTs themselves can end
 * up closer together than the reservations; and GitHub counts a dispatch when it arrives, which
 * is somewhere between our send and its answer. This gate is passed right before each POST: a
 * dispatch may be sent only while fewer than `limit` earlier dispatches to the repository could
 * arrive within one window of it, i.e. those still unanswered or answered less than a window
 * ago. If a window holds k arrivals and the last of them was sent at t, every other one arrived
 * within W before that last arrival, so was answered after t - W and was counted at t: k ≤ limit.
 */
export function createDispatchGate(limit: number, clock: Clock): DispatchGate {
  /**
   * Per repository: how many dispatches are sent and not answered yet, and the answer times of
   * those answered within the last window, ascending (each is appended when it is answered), so
   * the ones older than a window leave from the front: a POST costs O(1) here, not a pass over
   * every dispatch of the window (issue 16).
   */
  const posts = new Map<string, { open: number; answeredAt: number[] }>();
  /** Woken when a dispatch is answered: a waiter may count again. Made only while someone waits. */
  let passes = 0;
  let answered: { promise: Promise<void>; wake: () => void } | undefined;

  function nextWake() {
    let wake!: () => void;
    const promise = new Promise<void>((r) => (wake = r));
    return { promise, wake };
  }
  /** The repository's dispatches that still count at `nowMs`; a repository with none is forgotten. */
  function live(key: string, nowMs: number) {
    const q = posts.get(key);
    if (!q) return undefined;
    let old = 0;
    while (old < q.answeredAt.length && q.answeredAt[old]! <= nowMs - DISPATCH_WINDOW_MS) old++;
    if (old > 0) q.answeredAt.splice(0, old);
    if (q.open === 0 && q.answeredAt.length === 0) {
      posts.delete(key);
      return undefined;
    }
    return q;
  }

  return {
    /**
     * Waits until a dispatch to `key` may be sent, then counts it as sent; call the returned
     * function once it is answered (success or failure alike: a failed POST may have arrived).
     * `onWait` is called once when it has to wait.
     */
    async pass(key: string, signal?: AbortSignal, onWait?: () => void): Promise<() => void> {
      // Repositories that went quiet are forgotten now and then, so the map stays small.
      if (++passes % 1000 === 0) for (const k of [...posts.keys()]) live(k, clock.now());
      for (let waited = false; ;) {
        const now = clock.now();
        const q = live(key, now);
        if (!q || q.open + q.answeredAt.length < limit) {
          const mine = q ?? { open: 0, answeredAt: [] };
          mine.open++;
          posts.set(key, mine);
          let done = false;
          return () => {
            if (done) return;
            done = true;
            mine.open--;
            mine.answeredAt.push(clock.now());
            const wake = answered;
            answered = undefined;
            wake?.wake();
          };
        }
        if (!waited) onWait?.();
        waited = true;
        // The oldest answered one leaves the count a window after its answer; an unanswered one
        // can only leave after it is answered.
        answered ??= nextWake();
        const wake = answered.promise;
        if (q.answeredAt.length > 0)
          await Promise.race([clock.sleep(Math.max(0, q.answeredAt[0]! + DISPATCH_WINDOW_MS - now), signal), wake]);
        else await Promise.race([wake, clock.sleep(DISPATCH_WINDOW_MS, signal)]);
        if (signal?.aborted) throw new AgentError('internal', 'aborted');
      }
    },
    /** Repositories with dispatches counted (tests check quiet ones are forgotten). */
    size: () => posts.size,
  };
}

/** The last check before each dispatch POST (createDispatchGate). */
export interface DispatchGate {
  /**
   * Waits until a dispatch to `key` may be sent, then counts it as sent; the returned function is
   * called once it is answered. `onWait` is called once when it has to wait.
   */
  pass(key: string, signal?: AbortSignal, onWait?: () => void): Promise<() => void>;
  /** Repositories with dispatches counted (tests check quiet ones are forgotten). */
  size(): number;
}
