import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Reporter } from '../port/reporter.js';
import { createSignatureVariantNote } from '../port/signature-variant-note.js';
import { guardJob } from '../run/poison-guard.js';
import type { MessageProcessor, PreparedRun } from '../run/process-message.js';
import type { RunContext, RunWhere } from '../run/run-scope.js';
import type { Clock } from '../util/backoff.js';
import { type RecordTrust, readRecord, trustedRunIdOf } from './read-record.js';
import { createUnsignedNote } from './unsigned-note.js';

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

/** What readRecord needs of the configuration. */
export function recordTrust(config: AgentConfig): RecordTrust {
  return {
    maxBytes: config.kafka.maxMessageBytes,
    mode: config.signature.mode,
    maxAgeSeconds: config.signature.maxAgeSeconds,
    secret: config.port.clientSecret,
  };
}

/**
 * The Kafka intake's half of a run: read the record once (read-record.ts: signature first,
 * fields after) and hand the run to the processor. Nothing returned holds the record's bytes
 * or its parsed JSON: a run tracked for hours keeps only its RunRequest, not the Kafka record
 * (whose value is a slice of a whole fetch response).
 *
 * Who can write to a run from here (issue 23): whoever can write to the topic can send any
 * bytes naming any run id. What stops them: only a message whose X-Port-Signature holds (within
 * the replay window) is reported FAILURE when a field is invalid (`refuse`); an unparseable,
 * unsigned, forged or replayed message is logged and counted, and writes nothing (`untrusted`).
 * A run is handled (`job`) only when signed, or unsigned where signature.mode allows it; and
 * the processor's refusal itself leaves alone a run Port shows dispatched (run-reports.ts).
 */
export function createRecordPreparer(deps: {
  config: AgentConfig;
  processor: MessageProcessor;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}) {
  const { processor } = deps;
  const trust = recordTrust(deps.config);
  const log = deps.logger.child({ component: 'processor' });
  const noteSignatureVariant = createSignatureVariantNote({ metrics: deps.metrics, logger: log });
  const noteUnsigned = createUnsignedNote({ metrics: deps.metrics, logger: log, clock: deps.clock });
  return function prepare(msg: IncomingMessage): PreparedRun {
    const where: RunWhere = { topic: msg.topic, partition: msg.partition, offset: msg.offset };
    const ctx: RunContext = { intake: 'kafka', where, writtenAtMs: msg.timestampMs, heldSinceMs: msg.heldSinceMs };
    const nothing: PreparedRun = { where, intake: 'kafka', handle: () => Promise.resolve() };
    const read = readRecord(msg.value, msg.timestampMs, deps.clock.now(), trust);
    switch (read.kind) {
      case 'skip':
        processor.count('kafka', 'skipped');
        log.info(`skipped message: ${read.reason}`, { ...where, runId: read.runId, ...read.keys });
        return nothing;
      case 'untrusted':
        if (read.limit) deps.metrics.limitReached.inc({ limit: read.limit });
        processor.count('kafka', read.outcome);
        log.warn(`${read.reason}; nothing written to the run`, { ...where, runId: read.runId, outcome: read.outcome, ...read.keys });
        return nothing;
      case 'refuse':
        return processor.refusal(read.runId, ctx, read.reason, 'invalid', { ...read.keys });
      case 'run': {
        if (read.variant) noteSignatureVariant(read.variant, { ...where, runId: read.run.runId });
        if (read.unsigned) noteUnsigned({ ...where, runId: read.run.runId });
        // Workflow-node runs (wfnr_…) are handled like action runs; the Port client reports them on
        // the node-run routes.
        const job = processor.job(read.run, ctx);
        // Unverified (mode off, or if-present and unsigned): handled as the mode allows, but the
        // poison guard does not report FAILURE for it (its run id is anyone's choice).
        return read.checked ? job : { ...job, runId: undefined };
      }
    }
  };
}

/**
 * The poison guard for Kafka records: decoding is guarded too (a bug there must not hold the
 * partition back), and a record whose handling keeps failing is committed after the guard has
 * reported it.
 */
export function guardRecords(
  prepare: (msg: IncomingMessage) => PreparedRun,
  deps: { reporter: Reporter; metrics: Metrics; logger: Logger; clock: Clock; trust: RecordTrust; attempts?: number; baseDelayMs?: number },
): (msg: IncomingMessage, signal: AbortSignal, owned?: AbortSignal) => Promise<void> {
  function prepareSafely(msg: IncomingMessage): PreparedRun {
    try {
      return prepare(msg);
    } catch (err) {
      // A bug in decoding: answered like any failing handling, without keeping the message.
      // FAILURE is reported only for the run of a message whose signature holds (issue 23).
      return {
        where: { topic: msg.topic, partition: msg.partition, offset: msg.offset },
        intake: 'kafka',
        runId: runIdOf(msg, deps.trust, deps.clock.now()),
        handle: () => Promise.reject(err),
      };
    }
  }
  return (msg, signal, owned = signal) => guardJob(prepareSafely(msg), signal, owned, deps);
}

/**
 * The Port run a record may be reported FAILURE for, if any: named by a message whose
 * signature was checked and holds (read-record.ts trustedRunIdOf). A skipped message (another
 * backend's run) is not ours to fail; an unverified one names a run of the sender's choosing.
 */
export function runIdOf(msg: IncomingMessage, trust: RecordTrust, nowMs: number): string | undefined {
  return trustedRunIdOf(msg.value, msg.timestampMs, nowMs, trust);
}
