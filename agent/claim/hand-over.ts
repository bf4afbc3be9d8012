/**
 * Hand-over at shutdown: runs being dispatched are let go (Port offers them again once their
 * claim runs out), tracked runs are handed over so another replica takes them at once instead of
 * after a lease.
 *
 * Who can make the intake write here: only this replica's own stop (SIGTERM, main.ts), and only
 * to the runs it tracks and still owns. The label it writes can be forged by a Port user too:
 * what the taker does with such a run is bounded as take-over.ts says.
 */
import { handOverLabel } from './adoption.js';
import type { HeldRun } from './held-runs.js';
import type { ClaimIntakeState } from './intake-state.js';

/** Hand-over writes at a shutdown in flight at once: thousands of runs do not flood Port (or the deadline's last seconds). */
const HAND_OVER_CONCURRENCY = 16;

/** No more claims; runs being dispatched are let go, tracked ones handed over, by `deadlineMs` (10 s from now when absent). */
export async function stopAndHandOver(s: ClaimIntakeState, opts: { deadlineMs?: number }): Promise<void> {
  const { clock, held } = s;
  if (s.stopping) return;
  s.stopping = true;
  s.stopController.abort();
  const deadline = opts.deadlineMs ?? clock.now() + 10_000;
  const tracked = held.all().filter((h) => h.phase === 'tracking');
  for (const h of held.all()) h.work.abort();
  while (s.active > 0 && clock.now() < deadline) await clock.sleep(100);
  // Hand the tracked runs over: another replica takes them at once instead of after a lease.
  // Every run names one of them, the lock, written first: whoever takes the lock takes them
  // all without a write each (adoption.ts). A run not marked by the deadline keeps its lease,
  // and is taken over when the lease runs out. At most HAND_OVER_CONCURRENCY writes at once,
  // each paced by Port's rate-limit headers like every request (port-http.ts).
  const toRelease = tracked.filter((h) => !h.owned.signal.aborted);
  const lock = toRelease[0];
  const released = lock ? handOver(s, lock, toRelease, deadline) : Promise.resolve();
  const timer = new AbortController();
  await Promise.race([released, clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).catch(() => undefined)]);
  timer.abort();
  for (const h of [...tracked, ...held.all()]) h.owned.abort();
  await Promise.allSettled(s.loops);
  if (lock) s.log.info(`handed ${toRelease.length} tracked run(s) over to the other replicas (hand-over ${lock.runId})`);
}

/** Writes the hand-over label naming `lock` on every run of `toRelease`, the lock first, until the deadline. */
async function handOver(s: ClaimIntakeState, lock: HeldRun, toRelease: HeldRun[], deadline: number): Promise<void> {
  const label = handOverLabel(lock.runId);
  const release = (h: HeldRun) =>
    s.deps.reporter
      .send(
        h.runId,
        {
          kind: 'patch',
          patch: {
            statusLabel: label,
            ...(h.link ? { link: h.link } : {}),
            ...(h.externalRunId ? { externalRunId: h.externalRunId } : {}),
          },
        },
        h.owned.signal,
      )
      .catch(() => undefined);
  await release(lock);
  let next = 1;
  const worker = async () => {
    while (next < toRelease.length && s.clock.now() < deadline) await release(toRelease[next++]!);
  };
  await Promise.all(Array.from({ length: HAND_OVER_CONCURRENCY }, worker));
}
