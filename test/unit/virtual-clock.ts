import type { Clock } from '../../agent/util/backoff.js';

/**
 * Virtual time for the claim intake's unit tests: sleeps wake in the order of their due times,
 * and time moves only when the test runs the next one, so every loop of the intake (claims,
 * leases, rediscovery, hand-overs) interleaves as it would in real time, without waiting for it.
 * `runUntil` stops when `done()` holds, when nothing sleeps any more, or after `maxSteps` wake-ups.
 */
export function virtualClock(start = Date.parse('2026-05-01T00:00:00Z'), defaultMaxSteps = 2000) {
  let now = start;
  const timers: Array<{ at: number; resolve: () => void }> = [];
  const flush = () => new Promise((r) => setImmediate(r));
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('aborted'));
        const onAbort = () => (timers.splice(timers.indexOf(timer), 1), reject(new Error('aborted')));
        const timer = { at: now + ms, resolve: () => (signal?.removeEventListener('abort', onAbort), resolve()) };
        timers.push(timer);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
  async function runUntil(done: () => boolean, maxSteps = defaultMaxSteps): Promise<void> {
    for (let i = 0; i < maxSteps && !done(); i++) {
      for (let j = 0; j < 5; j++) await flush();
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) return;
      now = Math.max(now, next.at);
      next.resolve();
    }
  }
  return { clock, runUntil, flush };
}
