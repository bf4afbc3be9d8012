import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { decodeMessage, messageKeys } from '../port/decode-message.js';
import type { Reporter } from '../port/reporter.js';
import { createSignatureVariantNote } from '../port/signature-variant-note.js';
import { verifySignature } from '../port/verify-signature.js';
import { guardJob } from '../run/poison-guard.js';
import type { MessageProcessor, PreparedRun, RunContext, RunWhere } from '../run/process-message.js';
import type { Clock } from '../util/backoff.js';

/** One Kafka record as the consumer hands it over. */
export interface IncomingMessage {
  value: Buffer | null;
  timestampMs: number;
  topic: string;
  partition: number;
  offset: string;
  /** Since when this replica holds the partition (issue 15: messages written before may be redeliveries). */
  heldSinceMs?: number;
}

const RUN_ID = /^(r|wfnr)_/;

/**
 * The Kafka intake's half of a run: decode the record once (port/decode-message.ts), check its
 * signature and replay window against the record's timestamp, and hand the run to the processor.
 * Nothing returned holds the record's bytes or its parsed JSON: a run tracked for hours keeps
 * only its RunRequest, not the Kafka record (whose value is a slice of a whole fetch response).
 */
export function createRecordPreparer(deps: { config: AgentConfig; processor: MessageProcessor; metrics: Metrics; logger: Logger; clock: Clock }) {
  const { config, processor } = deps;
  const log = deps.logger.child({ component: 'processor' });
  const noteSignatureVariant = createSignatureVariantNote({ metrics: deps.metrics, logger: log });
  return function prepare(msg: IncomingMessage): PreparedRun {
    const where: RunWhere = { topic: msg.topic, partition: msg.partition, offset: msg.offset };
    const ctx: RunContext = { intake: 'kafka', where, writtenAtMs: msg.timestampMs, heldSinceMs: msg.heldSinceMs };
    const nothing: PreparedRun = { where, intake: 'kafka', handle: async () => undefined };
    const decoded = decodeMessage(msg.value, config.kafka.maxMessageBytes);
    if (decoded.kind === 'skip') {
      processor.count('kafka', 'skipped');
      log.info(`skipped message: ${decoded.reason}`, { ...where, runId: decoded.runId, ...decoded.keys });
      return nothing;
    }
    if (decoded.kind === 'invalid') {
      if (decoded.limit) deps.metrics.limitReached.inc({ limit: decoded.limit });
      if (decoded.runId && RUN_ID.test(decoded.runId)) return processor.refusal(decoded.runId, ctx, `invalid run message: ${decoded.reason}`, 'invalid', { ...decoded.keys });
      processor.count('kafka', 'invalid');
      log.warn(`invalid message: ${decoded.reason}`, { ...where, runId: decoded.runId, ...decoded.keys });
      return nothing;
    }
    const { message, signature, ...run } = decoded.run;
    const verdict = verifySignature({
      message,
      signature,
      secret: config.port.clientSecret,
      mode: config.signature.mode,
      maxAgeSeconds: config.signature.maxAgeSeconds,
      nowMs: deps.clock.now(),
      writtenAtMs: msg.timestampMs,
    });
    if (!verdict.ok) return processor.refusal(run.runId, ctx, `message refused: ${verdict.reason}`, 'signature_rejected', { ...messageKeys(message) });
    if (verdict.checked) noteSignatureVariant(verdict.variant, { ...where, runId: run.runId });
    // Workflow-node runs (wfnr_…) are handled like action runs; the Port client reports them on
    // the node-run routes.
    return processor.job(run, ctx);
  };
}

/**
 * The poison guard for Kafka records: decoding is guarded too (a bug there must not hold the
 * partition back), and a record whose handling keeps failing is committed after the guard has
 * reported it.
 */
export function guardRecords(
  prepare: (msg: IncomingMessage) => PreparedRun,
  deps: { reporter: Reporter; metrics: Metrics; logger: Logger; clock: Clock; maxBytes: number; attempts?: number; baseDelayMs?: number },
): (msg: IncomingMessage, signal: AbortSignal, owned?: AbortSignal) => Promise<void> {
  function prepareSafely(msg: IncomingMessage): PreparedRun {
    try {
      return prepare(msg);
    } catch (err) {
      // A bug in decoding: answered like any failing handling, without keeping the message.
      return { where: { topic: msg.topic, partition: msg.partition, offset: msg.offset }, intake: 'kafka', runId: runIdOf(msg, deps.maxBytes), handle: () => Promise.reject(err) };
    }
  }
  return (msg, signal, owned = signal) => guardJob(prepareSafely(msg), signal, owned, deps);
}

/** The Port run a message names, if any can be read from it. */
export function runIdOf(msg: IncomingMessage, maxBytes: number): string | undefined {
  try {
    const d = decodeMessage(msg.value, maxBytes);
    // A skipped message (another backend's run) is not ours to fail.
    const runId = d.kind === 'run' ? d.run.runId : d.kind === 'invalid' ? d.runId : undefined;
    return runId && RUN_ID.test(runId) ? runId : undefined;
  } catch {
    return undefined;
  }
}
