import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { Report, Reporter } from '../../agent/port/reporter.js';
import { type IncomingMessage, guardRecords as guardPoison, runIdOf } from '../../agent/kafka/prepare-record.js';
import type { RecordTrust } from '../../agent/kafka/read-record.js';
import { signRunMessage } from '../sim/publisher.js';
import type { PreparedRun as PreparedMessage } from '../../agent/run/process-message.js';
import type { Clock } from '../../agent/util/backoff.js';

const quietLogger = {
  child: () => quietLogger,
  warn: () => undefined,
  error: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

function setup() {
  const sent: Array<{ runId: string; report: Report }> = [];
  const reporter: Reporter = {
    send: async (runId, report) => void sent.push({ runId, report }),
    pending: () => 0,
    drain: async () => undefined,
    stop: () => undefined,
  };
  const delays: number[] = [];
  const clock: Clock = { now: () => 0, sleep: async (ms, signal) => (signal?.throwIfAborted(), void delays.push(ms)) };
  const metrics = createMetrics({ defaultMetrics: false });
  return { sent, reporter, delays, clock, metrics };
}

const message = (value: unknown): IncomingMessage => ({
  value: Buffer.from(JSON.stringify(value)),
  timestampMs: 0,
  topic: 't',
  partition: 0,
  offset: '7',
});
// Signed as Port signs (issue 23: only a verified message's run may be reported FAILURE); the
// clock of setup() reads 0, so the replay window is off here (tested in prepare-record.test.ts).
const trust: RecordTrust = { maxBytes: 1 << 20, mode: 'required', maxAgeSeconds: 0, secret: 'poison-guard-secret' };
const runMessage = message(signRunMessage({ context: { runId: 'r_poison0000000001' }, payload: {} }, trust.secret, 1_800_000_000));
/** A prepare step whose handling is `handle`, counting how often messages are prepared. */
const prepared =
  (handle: () => Promise<void>, counter = { prepares: 0 }) =>
  (msg: IncomingMessage): PreparedMessage => {
    counter.prepares++;
    return {
      where: { topic: msg.topic, partition: msg.partition, offset: msg.offset },
      intake: 'kafka',
      runId: runIdOf(msg, trust, 0),
      handle,
    };
  };

describe('poison guard', () => {
  it('retries a failing message with backoff, then reports FAILURE, counts it and resolves (so it is committed)', async () => {
    const s = setup();
    let calls = 0;
    const counter = { prepares: 0 };
    const guarded = guardPoison(
      prepared(async () => {
        calls++;
        throw new Error('boom');
      }, counter),
      { ...s, logger: quietLogger, trust, attempts: 3 },
    );
    await guarded(runMessage, new AbortController().signal);
    assert.equal(calls, 3);
    assert.equal(counter.prepares, 1, 'decoded once; only the handling is retried');
    assert.equal(s.delays.length, 2, 'backoff between attempts');
    const patch = s.sent.find((x) => x.report.kind === 'patch');
    assert.equal(patch?.runId, 'r_poison0000000001');
    assert.equal(patch?.report.kind === 'patch' && patch.report.patch.status, 'FAILURE');
    const text = await s.metrics.registry.metrics();
    assert.match(text, /ghes_agent_messages_total\{outcome="poison",intake="kafka"\} 1/);
  });

  it('a message without a run id is committed and counted, nothing reported', async () => {
    const s = setup();
    const guarded = guardPoison(
      prepared(async () => Promise.reject(new Error('boom'))),
      { ...s, logger: quietLogger, trust, attempts: 2 },
    );
    await guarded(message({ unrelated: true }), new AbortController().signal);
    assert.equal(s.sent.length, 0);
  });

  it('success on a retry is plain success; an abort is passed through, never retried or reported', async () => {
    const s = setup();
    let calls = 0;
    await guardPoison(
      prepared(async () => {
        if (++calls === 1) throw new Error('transient');
      }),
      { ...s, logger: quietLogger, trust },
    )(runMessage, new AbortController().signal);
    assert.equal(calls, 2);
    const abort = new AbortController();
    const guarded = guardPoison(
      prepared(async () => {
        abort.abort();
        throw new Error('aborted');
      }),
      { ...s, logger: quietLogger, trust },
    );
    await assert.rejects(guarded(runMessage, abort.signal), /aborted/);
    assert.equal(s.sent.length, 0);
  });

  it('a prepare step that throws (a decoding bug) is answered like a failing handling: FAILURE for the run it names', async () => {
    const s = setup();
    const guarded = guardPoison(
      () => {
        throw new Error('decoder bug');
      },
      { ...s, logger: quietLogger, trust, attempts: 2 },
    );
    await guarded(runMessage, new AbortController().signal);
    const patch = s.sent.find((x) => x.report.kind === 'patch');
    assert.equal(patch?.runId, 'r_poison0000000001');
    assert.match(await s.metrics.registry.metrics(), /ghes_agent_messages_total\{outcome="poison",intake="kafka"\} 1/);
  });
});
