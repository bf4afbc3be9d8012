import type { Clock } from '../util/backoff.js';

/**
 * Job progress's share of GitHub (issue 15): every run in progress wants one jobs list per status
 * sweep, so the cost grows with the runs in flight — 10,000 runs meant 10,000 requests a sweep,
 * and a rolling update one unconditional list per resumed run at once. All those reads together
 * go through here, at most `perMinute` a minute (bursts of ten seconds' worth), in turn: the run
 * that asked first reads first, and asks again only after its read (at its next sweep). Below
 * the budget every run reads at every sweep, as before; above it, each run's jobs are read less
 * often and job lines come later, never lost (a job's "completed" line does not need its
 * "started" one to have been read).
 */
export interface JobReadPacer {
  /** Queues `read` for the run `key` (once: a run already waiting keeps its place); dropped unread when `signal` aborts. */
  enqueue(key: string, read: () => void, signal: AbortSignal): void;
  /** Reads waiting for their turn. */
  waiting(): number;
  stop(): void;
}

/** `perMinute` 0: no budget, every read goes at once. */
export function createJobReadPacer(opts: { perMinute: number; clock: Clock }): JobReadPacer {
  const { clock, perMinute } = opts;
  const intervalMs = perMinute > 0 ? 60_000 / perMinute : 0;
  const burst = Math.max(1, Math.ceil(perMinute / 6));
  let tokens = burst;
  let refilledAt = clock.now();
  // Insertion order is the turn: a Map keeps it, and finds a run already waiting in O(1).
  const queue = new Map<string, { read: () => void; signal: AbortSignal }>();
  let timer: AbortController | undefined;
  let stopped = false;

  function drain(): void {
    const now = clock.now();
    tokens = Math.min(burst, tokens + (now - refilledAt) / intervalMs);
    refilledAt = now;
    for (const [key, entry] of queue) {
      if (entry.signal.aborted) {
        queue.delete(key); // its run ended or moved: no read, no token spent
        continue;
      }
      if (tokens < 1 - 1e-9) break; // (a timer's wait lands on 1 give or take rounding)
      tokens = Math.max(0, tokens - 1);
      queue.delete(key);
      entry.read();
    }
    if (queue.size === 0 || timer || stopped) return;
    timer = new AbortController();
    clock.sleep((1 - tokens) * intervalMs, timer.signal).then(
      () => {
        timer = undefined;
        drain();
      },
      () => undefined,
    );
  }

  return {
    enqueue(key, read, signal) {
      if (stopped || signal.aborted) return;
      if (perMinute <= 0) return void read();
      const waiting = queue.get(key);
      if (waiting && !waiting.signal.aborted) return;
      // A run followed again (taken back after it moved) replaces its ended follower's place.
      if (waiting) queue.delete(key);
      queue.set(key, { read, signal });
      drain();
    },
    waiting: () => queue.size,
    stop() {
      stopped = true;
      timer?.abort();
      queue.clear();
    },
  };
}
