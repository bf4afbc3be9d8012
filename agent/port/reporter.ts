import { AgentError, toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import type { PortRunApi } from './port-client.js';
import type { PortLog, PortPatch } from '../types/port-run.js';

export type Report = { kind: 'patch'; patch: PortPatch } | { kind: 'log'; log: PortLog };

export interface SendOptions {
  /** Told when Port refused this report for good (before it is dropped): the caller may act on it (the ack-first fallback). */
  onRefused?: (err: AgentError) => void;
}

export interface Reporter {
  /**
   * Queues a report; resolves once Port accepted it (or refused it for good, which is logged).
   * Rejects only when stopped first, or when `signal` aborts before the report was sent: the
   * run then belongs to another replica (its partition moved), which reports it itself.
   */
  send(runId: string, report: Report, signal?: AbortSignal, opts?: SendOptions): Promise<void>;
  pending(): number;
  /** Waits until every queued report is delivered or the signal aborts. */
  drain(signal?: AbortSignal): Promise<void>;
  stop(): void;
}

/**
 * Delivers reports to Port in order per run, retrying transient failures with capped backoff
 * and jitter for as long as it takes: an outage of Port's API delays reports, it never loses
 * them. A permanent refusal (4xx, e.g. a status set twice) is logged with Port's answer and
 * dropped, so one bad report cannot block the run's queue.
 */
export function createReporter(deps: {
  port: Pick<PortRunApi, 'patchRun' | 'addLog'> & Partial<Pick<PortRunApi, 'getRun'>>;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  capMs?: number;
  /** Told of every report Port accepted: the claim intake keeps its leases fresh by it. */
  onDelivered?: (runId: string, report: Report) => void;
  /** Told of every report Port refused for good (a final status refused because the run already ended: port-end-watch.ts). */
  onRefused?: (runId: string, report: Report, err: AgentError) => void;
}): Reporter {
  const queues = new Map<string, Array<{ report: Report; signal?: AbortSignal; opts?: SendOptions; done: (delivered: boolean) => void }>>();
  let count = 0;
  let stopped = false;
  const stopController = new AbortController();
  const idleWaiters: Array<() => void> = [];

  /**
   * True when Port has the report (or refused it for good); false when stopped or cancelled
   * first. A cancelled report is never sent again after a failed attempt: an attempt already on
   * the wire may land, but no retry races the replica that took the run over.
   */
  async function deliver(runId: string, report: Report, signal: AbortSignal | undefined, opts?: SendOptions): Promise<boolean> {
    // Joined only when a retry has to wait: AbortSignal.any per report is measurable at hundreds a second.
    let wait: AbortSignal | undefined;
    let mayHaveLanded = false;
    for (let attempt = 0; !stopped && !signal?.aborted; attempt++) {
      try {
        // A final status whose last attempt may have taken effect (a 5xx or a lost answer) is not
        // sent again once Port shows the run final: a run gets one status write, not a refused second.
        // Read by the externalRunId the patch carries, when it does (a node run: Ocean's read, port-client.ts).
        if (mayHaveLanded && report.kind === 'patch' && report.patch.status !== undefined && deps.port.getRun) {
          const ext = report.patch.externalRunId;
          const current = await deps.port.getRun(runId, ext ? { externalRunId: ext } : undefined);
          if (current?.status === 'SUCCESS' || current?.status === 'FAILURE') return true;
        }
        if (report.kind === 'patch') await deps.port.patchRun(runId, report.patch);
        else await deps.port.addLog(runId, report.log);
        deps.onDelivered?.(runId, report);
        return true;
      } catch (raw) {
        const err = toAgentError(raw);
        mayHaveLanded ||= err.status === undefined || err.status >= 500;
        if (!err.retriable) {
          deps.logger.warn('Port refused a report; dropping it', {
            component: 'reporter',
            runId,
            report: describe(report),
            error: err.message,
          });
          deps.onRefused?.(runId, report, err);
          opts?.onRefused?.(err);
          return true;
        }
        const delay = backoffDelay(attempt, { baseMs: 500, capMs: deps.capMs ?? 30_000 }, err.retryAfterMs);
        if (attempt === 0 || attempt % 10 === 0) {
          deps.logger.warn('Port report failed; will retry', {
            component: 'reporter',
            runId,
            attempt,
            delayMs: Math.round(delay),
            error: err.message,
          });
        }
        try {
          wait ??= signal ? AbortSignal.any([stopController.signal, signal]) : stopController.signal;
          await deps.clock.sleep(delay, wait);
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  async function pump(runId: string): Promise<void> {
    const queue = queues.get(runId)!;
    while (queue.length > 0) {
      const item = queue[0]!;
      const delivered = await deliver(runId, item.report, item.signal, item.opts);
      queue.shift();
      count--;
      deps.metrics.portReportsPending.set(count);
      item.done(delivered);
    }
    queues.delete(runId);
    if (count === 0) idleWaiters.splice(0).forEach((w) => w());
  }

  return {
    send(runId, report, signal, opts) {
      if (stopped) return Promise.reject(new AgentError('internal', 'reporter stopped'));
      return new Promise<void>((resolve, reject) => {
        const done = (delivered: boolean) =>
          delivered
            ? resolve()
            : reject(
                new AgentError(
                  'internal',
                  signal?.aborted
                    ? 'report cancelled: the run was handed to another replica'
                    : 'agent stopping: report not delivered (the run resumes after restart)',
                ),
              );
        count++;
        deps.metrics.portReportsPending.set(count);
        const queue = queues.get(runId);
        if (queue) queue.push({ report, signal, opts, done });
        else {
          queues.set(runId, [{ report, signal, opts, done }]);
          void pump(runId);
        }
      });
    },
    pending: () => count,
    drain(signal) {
      if (count === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    },
    stop() {
      stopped = true;
      stopController.abort();
    },
  };
}

function describe(r: Report): string {
  return r.kind === 'patch' ? `PATCH ${Object.keys(r.patch).join(',')}` : `log "${r.log.message.slice(0, 80)}"`;
}
