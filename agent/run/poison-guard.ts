import { toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { decodeMessage } from '../port/decode-message.js';
import type { Reporter } from '../port/reporter.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import type { IncomingMessage, PreparedMessage, RecordWhere } from './process-message.js';

export type ProcessFn = (msg: IncomingMessage, signal: AbortSignal, owned?: AbortSignal) => Promise<void>;

/**
 * Bounds what one message can cost its partition. The processor answers every expected failure
 * itself; a rejection that is not an abort is a bug or a dependency refusing something for good
 * (e.g. Port answering 4xx to reading the run). Left alone, its offset would stay uncommitted
 * forever and hold back every later commit of the partition. So: retry the message's handling
 * a few times with backoff (it resumes from Port's and GHES's records, so a retry never
 * dispatches twice), then give up: report FAILURE when the message names a run, log, count
 * (messages_total{outcome="poison"}) and resolve so the offset is committed.
 *
 * The message is decoded once (`prepare`, synchronous); the retries hold only what that
 * returned, never the Kafka record, so thousands of tracked runs do not pin fetch buffers.
 */
export function guardPoison(
  prepare: (msg: IncomingMessage) => PreparedMessage,
  deps: { reporter: Reporter; metrics: Metrics; logger: Logger; clock: Clock; maxBytes: number; attempts?: number; baseDelayMs?: number },
): ProcessFn {
  const attempts = deps.attempts ?? 3;
  const log = deps.logger.child({ component: 'poison-guard' });

  function prepareSafely(msg: IncomingMessage): PreparedMessage {
    try {
      return prepare(msg);
    } catch (err) {
      // A bug in decoding: answered like any failing handling, without keeping the message.
      return { where: poisonFields(msg), runId: runIdOf(msg, deps.maxBytes), handle: () => Promise.reject(err) };
    }
  }

  async function guarded(job: PreparedMessage, signal: AbortSignal, owned: AbortSignal): Promise<void> {
    let last: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await deps.clock.sleep(backoffDelay(attempt - 1, { baseMs: deps.baseDelayMs ?? 1000, capMs: 30_000 }), signal);
      try {
        return await job.handle(signal, owned);
      } catch (err) {
        if (signal.aborted || owned.aborted) throw err;
        last = err as Error;
        log.warn(`handling a message failed (attempt ${attempt + 1} of ${attempts}): ${toAgentError(err).message}`, job.where);
      }
    }
    const runId = job.runId;
    const reason = `ghes-agent could not handle this run after ${attempts} attempts: ${toAgentError(last).message}`.slice(0, 2000);
    deps.metrics.messages.inc({ outcome: 'poison' });
    log.error(`giving up on a message; committing past it${runId ? ` and reporting run ${runId} FAILURE` : ''}: ${toAgentError(last).message}`, { ...job.where, runId });
    if (!runId) return;
    await Promise.all([
      deps.reporter.send(runId, { kind: 'log', log: { message: reason } }, owned),
      deps.reporter.send(runId, { kind: 'patch', patch: { status: 'FAILURE', statusLabel: 'Failed', summary: reason } }, owned),
    ]);
  }

  return (msg, signal, owned = signal) => guarded(prepareSafely(msg), signal, owned);
}

function poisonFields(msg: IncomingMessage): RecordWhere {
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
