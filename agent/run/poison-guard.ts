import { toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Reporter } from '../port/reporter.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import type { PreparedRun } from './process-message.js';
import { LeaseExpired, countMessage } from './run-scope.js';

/**
 * Bounds what one run can cost its intake. The processor answers every expected failure itself;
 * a rejection that is not an abort is a bug or a dependency refusing something for good (e.g.
 * Port answering 4xx to reading the run). Left alone, a Kafka offset would stay uncommitted
 * forever and a claimed run would be offered again and again. So: retry the handling a few times
 * with backoff (it resumes from Port's and GHES's records, so a retry never dispatches twice),
 * then give up: report FAILURE when the run has an id, log, count
 * (messages_total{outcome="poison"}) and resolve, so the intake finishes the run.
 *
 * The run was decoded once; the retries hold only the prepared run, never the Kafka record, so
 * thousands of tracked runs do not pin fetch buffers. An abort, and a lease that ran out before
 * the dispatch (the intake lets the run go), pass through untouched.
 */
export async function guardJob(
  job: PreparedRun,
  signal: AbortSignal,
  owned: AbortSignal,
  deps: { reporter: Reporter; metrics: Metrics; logger: Logger; clock: Clock; attempts?: number; baseDelayMs?: number },
): Promise<void> {
  const attempts = deps.attempts ?? 3;
  const log = deps.logger.child({ component: 'poison-guard' });
  let last: Error | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await deps.clock.sleep(backoffDelay(attempt - 1, { baseMs: deps.baseDelayMs ?? 1000, capMs: 30_000 }), signal);
    try {
      return await job.handle(signal, owned);
    } catch (err) {
      if (signal.aborted || owned.aborted || err instanceof LeaseExpired) throw err;
      last = err as Error;
      log.warn(`handling a run failed (attempt ${attempt + 1} of ${attempts}): ${toAgentError(err).message}`, job.where);
    }
  }
  const runId = job.runId;
  const reason = `ghes-agent could not handle this run after ${attempts} attempts: ${toAgentError(last).message}`.slice(0, 2000);
  countMessage(deps.metrics, job.intake, 'poison');
  log.error(`giving up on a run; finishing it${runId ? ` and reporting run ${runId} FAILURE` : ''}: ${toAgentError(last).message}`, {
    ...job.where,
    runId,
  });
  if (!runId) return;
  await Promise.all([
    deps.reporter.send(runId, { kind: 'log', log: { message: reason, level: 'ERROR' } }, owned),
    deps.reporter.send(runId, { kind: 'patch', patch: { status: 'FAILURE', statusLabel: 'Failed', summary: reason } }, owned),
  ]);
}
