import { toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import type { RunReader, RunWatcher, WatchOutcome } from './run-watcher.js';

export interface NaiveWatcherDeps {
  /** One GET per run: the naive watcher never lists. */
  api: Pick<RunReader, 'getRun'>;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  maxWaitMs: number;
  random?: () => number;
  /** How often an in-progress run's `onSweep` is called (job progress); the interval when absent. */
  sweepMs?: number;
}

/**
 * The baseline: one conditional GET per run every interval, as the public dispatch-and-wait
 * actions do. Kept behind `tracking.mode: naive` to measure the batched watcher against.
 */
export function createNaiveWatcher(deps: NaiveWatcherDeps): RunWatcher {
  let active = 0;
  const random = deps.random ?? Math.random;
  return {
    size: () => active,
    async watch(run, hooks): Promise<WatchOutcome> {
      active++;
      let etag: string | undefined;
      let lastStatus: string | undefined;
      let failures = 0;
      let lastSweepMs = deps.clock.now();
      try {
        for (;;) {
          const waitedMs = deps.clock.now() - run.sinceMs;
          if (waitedMs >= deps.maxWaitMs) return { kind: 'timed_out', lastStatus };
          const delay =
            failures > 0
              ? backoffDelay(failures, { baseMs: deps.intervalMs, capMs: 5 * 60_000 })
              : deps.intervalMs * (0.9 + 0.2 * random());
          await deps.clock.sleep(Math.min(delay, Math.max(1, deps.maxWaitMs - waitedMs)), hooks.signal);
          try {
            const res = await deps.api.getRun(run.org, run.repo, run.ghRunId, etag);
            failures = 0;
            if (lastStatus === 'in_progress' && deps.clock.now() - lastSweepMs >= (deps.sweepMs ?? deps.intervalMs)) {
              lastSweepMs = deps.clock.now();
              hooks.onSweep?.();
            }
            if (!res) continue;
            etag = res.etag;
            if (res.run.status === 'completed') return { kind: 'completed', run: res.run };
            if (res.run.status !== lastStatus) {
              lastStatus = res.run.status;
              hooks.onStatus(res.run.status);
            }
          } catch (raw) {
            const err = toAgentError(raw);
            if (err.code === 'not_found') return { kind: 'gone', reason: err.message };
            if (hooks.signal.aborted) throw err;
            failures++;
            deps.logger.warn('polling a run failed; will retry', {
              component: 'watcher',
              runId: run.portRunId,
              ghRunId: run.ghRunId,
              error: err.message,
            });
          }
        }
      } finally {
        active--;
      }
    },
  };
}
