import { type CancelDeps, type CancelResult, cancelRun } from '../github/cancel-run.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortEndWatch } from './port-end-watch.js';
import type { VerifiedRun } from './verified-run.js';

/**
 * Only a run the agent dispatched in this process or verified against its invocation
 * (verified-run.ts) can be cancelled: the type says so, not a convention. Who could otherwise
 * get a run cancelled: a Port user who writes another run's link or externalRunId into a Port run
 * and then ends that Port run, or who plants a run whose run-name shows the Port run id.
 */
export type CancellableRun = VerifiedRun;

export interface RunCancellation {
  /**
   * While the run is tracked: if Port shows it ended, its GHES run is cancelled. Returns the stop.
   * `externalRunId`: what the dispatch wrote to the Port run, by which a node run is read.
   */
  follow(run: CancellableRun, signal: AbortSignal, externalRunId?: string): () => void;
  /** tracking.cancelOnTimeout: cancels a run whose wait ran out; resolves with what happened. */
  onTimeout(run: CancellableRun, signal: AbortSignal): Promise<CancelResult>;
}

/**
 * Ends GHES runs the user no longer wants: a run ended in Port (noticed by PortEndWatch) is
 * cancelled, then force-cancelled if the cancel does not take (cancel-run.ts). The tracking
 * goes on meanwhile, so the run's completion (cancelled) is seen as usual, and its final report
 * is not sent (Port already has one: finalReport reads it first).
 */
export function createRunCancellation(deps: {
  cancel: CancelDeps;
  endWatch: PortEndWatch;
  metrics: Metrics;
  logger: Logger;
}): RunCancellation {
  const log = deps.logger.child({ component: 'cancellation' });

  async function cancel(run: CancellableRun, trigger: 'port' | 'timeout', signal: AbortSignal): Promise<CancelResult> {
    const { result, error } = await cancelRun(deps.cancel, { owner: run.org, repo: run.repo, runId: run.ghRunId }, signal);
    deps.metrics.runCancels.inc({ trigger, result });
    const what = `GitHub run ${run.ghRunId} of ${run.org}/${run.repo} (Port run ${run.portRunId})`;
    if (result === 'failed' || result === 'did_not_take')
      log.warn(`could not cancel ${what}: ${error}`, { runId: run.portRunId, trigger, result });
    else log.info(`${what}: ${result.replace('_', ' ')}`, { runId: run.portRunId, trigger, result });
    return result;
  }

  return {
    follow(run, signal, externalRunId) {
      return deps.endWatch.add(
        run.portRunId,
        (status) => {
          log.info(`run ${run.portRunId} was ended in Port (${status}) while its GitHub run goes on: cancelling it`, {
            runId: run.portRunId,
          });
          void cancel(run, 'port', signal);
        },
        externalRunId ? { externalRunId } : undefined,
      );
    },
    onTimeout: (run, signal) => cancel(run, 'timeout', signal),
  };
}
