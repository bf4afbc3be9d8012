import { toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { decodeMessage } from '../port/decode-message.js';
import type { Reporter } from '../port/reporter.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import type { IncomingMessage } from './process-message.js';

export type ProcessFn = (msg: IncomingMessage, signal: AbortSignal, owned?: AbortSignal) => Promise<void>;

/**
 * Bounds what one message can cost its partition. The processor answers every expected failure
 * itself; a rejection that is not an abort is a bug or a dependency refusing something for good
 * (e.g. Port answering 4xx to reading the run). Left alone, its offset would stay uncommitted
 * forever and hold back every later commit of the partition. So: retry the whole message a few
 * times with backoff (processing resumes from Port's and GHES's records, so a retry never
 * dispatches twice), then give up: report FAILURE when the message names a run, log, count
 * (messages_total{outcome="poison"}) and resolve so the offset is committed.
 */
export function guardPoison(
  process: ProcessFn,
  deps: { reporter: Reporter; metrics: Metrics; logger: Logger; clock: Clock; maxBytes: number; attempts?: number; baseDelayMs?: number },
): ProcessFn {
  const attempts = deps.attempts ?? 3;
  const log = deps.logger.child({ component: 'poison-guard' });
  return async function guarded(msg, signal, owned = signal) {
    let last: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await deps.clock.sleep(backoffDelay(attempt - 1, { baseMs: deps.baseDelayMs ?? 1000, capMs: 30_000 }), signal);
      try {
        return await process(msg, signal, owned);
      } catch (err) {
        if (signal.aborted || owned.aborted) throw err;
        last = err as Error;
        log.warn(`handling a message failed (attempt ${attempt + 1} of ${attempts}): ${toAgentError(err).message}`, poisonFields(msg));
      }
    }
    const runId = runIdOf(msg, deps.maxBytes);
    const reason = `ghes-agent could not handle this run after ${attempts} attempts: ${toAgentError(last).message}`.slice(0, 2000);
    deps.metrics.messages.inc({ outcome: 'poison' });
    log.error(`giving up on a message; committing past it${runId ? ` and reporting run ${runId} FAILURE` : ''}: ${toAgentError(last).message}`, { ...poisonFields(msg), runId });
    if (!runId) return;
    await Promise.all([
      deps.reporter.send(runId, { kind: 'log', log: { message: reason } }, owned),
      deps.reporter.send(runId, { kind: 'patch', patch: { status: 'FAILURE', statusLabel: 'Failed', summary: reason } }, owned),
    ]);
  };
}

function poisonFields(msg: IncomingMessage): Record<string, unknown> {
  return { topic: msg.topic, partition: msg.partition, offset: msg.offset };
}

/** The Port action run a message names, if any can be read from it. */
export function runIdOf(msg: IncomingMessage, maxBytes: number): string | undefined {
  try {
    const d = decodeMessage(msg.value, maxBytes);
    // A skipped message (another backend's run) is not ours to fail.
    const runId = d.kind === 'run' ? d.run.runId : d.kind === 'invalid' ? d.runId : undefined;
    return runId?.startsWith('r_') ? runId : undefined;
  } catch {
    return undefined;
  }
}
