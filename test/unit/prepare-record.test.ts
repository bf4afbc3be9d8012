// Issue 23, item 1: only a trusted Kafka message may write to a run. The record is read in the
// order parse → signature (mode, replay window against the record timestamp) → fields, and only
// a message whose signature holds is reported FAILURE for an invalid field. Everything else is
// counted and logged and hands nothing to the processor that could write. Item 2: a refusal
// never ends a run Port shows dispatched. And the unsigned messages `if-present` accepts are
// counted and logged at most once a minute.
import type { ContentApi } from '../../agent/github/content-api.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../../agent/config/schema.js';
import { type IncomingMessage, createRecordPreparer, guardRecords } from '../../agent/kafka/prepare-record.js';
import { type RecordTrust, readRecord, trustedRunIdOf } from '../../agent/kafka/read-record.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { PortRunApi } from '../../agent/port/port-client.js';
import type { PortRun } from '../../agent/types/port-run.js';
import type { Report, Reporter } from '../../agent/port/reporter.js';
import { type MessageProcessor, type PreparedRun, createMessageProcessor } from '../../agent/run/process-message.js';
import type { ProcessorDeps } from '../../agent/run/processor-deps.js';
import { DISPATCHING_LABEL, showsDispatch } from '../../agent/run/run-labels.js';
import type { RunRequest } from '../../agent/types/run-request.js';
import type { Clock } from '../../agent/util/backoff.js';
import { buildRunMessage, signRunMessage, tamperSignature } from '../sim/publisher.js';

const SECRET = 'port-client-secret-trust-0123';
const T0_S = 1_800_000_000;
const RUN_ID = 'r_trusted00000001';

/** Port's envelope for RUN_ID; `repo` lets a test make a field invalid. */
const envelope = (repo = 'infra') =>
  buildRunMessage({
    orgId: 'org_1',
    run: { id: RUN_ID, invocation: { type: 'GITHUB', org: 'acme', repo, workflow: 'deploy.yml', workflowInputs: { service: 'api' } } },
  });
const record = (msg: Record<string, unknown>, writtenAtS = T0_S, offset = '1'): IncomingMessage => ({
  value: Buffer.from(JSON.stringify(msg)),
  timestampMs: writtenAtS * 1000,
  topic: 't',
  partition: 0,
  offset,
});

type Line = { level: string; message: string; fields: Record<string, unknown> };
function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, message, fields });
  const logger = { child: () => logger, warn: at('warn'), info: at('info'), error: at('error'), debug: at('debug') };
  return logger as unknown as Logger;
}

function manualClock(startMs: number) {
  let now = startMs;
  const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
  return { clock, advance: (ms: number) => void (now += ms) };
}

/** The processor as the preparer sees it: what it was asked for, and nothing else. */
function recordingProcessor() {
  const calls: Array<{ kind: 'job' | 'refusal'; runId: string; reason?: string; outcome?: string }> = [];
  const counted: string[] = [];
  const handle = async () => undefined;
  const processor = {
    job: (run: RunRequest) => (calls.push({ kind: 'job', runId: run.runId }), { where: {}, intake: 'kafka', runId: run.runId, handle }),
    refusal: (runId: string, _ctx: unknown, reason: string, outcome: string) => (
      calls.push({ kind: 'refusal', runId, reason, outcome }),
      { where: {}, intake: 'kafka', runId, handle }
    ),
    count: (_intake: string, outcome: string) => void counted.push(outcome),
  } as unknown as MessageProcessor;
  return { processor, calls, counted };
}

function preparer(mode: 'required' | 'if-present' | 'off', nowS = T0_S + 1) {
  const lines: Line[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const { clock, advance } = manualClock(nowS * 1000);
  const p = recordingProcessor();
  const config = {
    kafka: { maxMessageBytes: 1 << 20 },
    signature: { mode, maxAgeSeconds: 300 },
    port: { clientSecret: SECRET },
  } as unknown as AgentConfig;
  const prepare = createRecordPreparer({ config, processor: p.processor, metrics, logger: recordingLogger(lines), clock });
  return { prepare, lines, metrics, advance, ...p };
}

const signed = (msg: Record<string, unknown>, atS = T0_S) => signRunMessage(msg, SECRET, atS);

describe('Kafka records: the signature is checked before any field is read (issue 23)', () => {
  it('required mode: a bad field with no signature, a forged one or a replayed one causes no refusal: counted, logged, nothing for the run', () => {
    const cases: Array<[string, IncomingMessage, string, RegExp]> = [
      ['unsigned', record(envelope('a b')), 'unsigned', /not signed \(no X-Port-Signature\)/],
      ['forged', record(tamperSignature(signed(envelope('a b')))), 'signature_rejected', /X-Port-Signature does not match/],
      // Signed at T0, copied onto the topic an hour later (the record's timestamp).
      ['replayed', record(signed(envelope('a b')), T0_S + 3600), 'replayed', /outside the accepted window of 300s/],
    ];
    for (const [name, rec, outcome, why] of cases) {
      const t = preparer('required', T0_S + 3601);
      const prepared = t.prepare(rec);
      assert.deepEqual(t.calls, [], `${name}: neither refused nor handled`);
      assert.equal(prepared.runId, undefined, `${name}: the poison guard gets no run id either`);
      assert.deepEqual(t.counted, [outcome], name);
      const line = t.lines.find((l) => l.level === 'warn');
      assert.match(line?.message ?? '', why, name);
      assert.match(line?.message ?? '', /nothing written to the run/, name);
      assert.equal(line?.fields.runId, RUN_ID, `${name}: the run it claims is in the log line`);
    }
  });

  it('a valid message that is unsigned, forged or replayed is not handled either (required mode)', () => {
    for (const rec of [record(envelope()), record(tamperSignature(signed(envelope()))), record(signed(envelope()), T0_S + 3600)]) {
      const t = preparer('required', T0_S + 3601);
      t.prepare(rec);
      assert.deepEqual(t.calls, []);
    }
  });

  it('signed and checked with an invalid field: refused, so FAILURE is reported (Port signed it)', () => {
    const t = preparer('required');
    const prepared = t.prepare(record(signed(envelope('a b'))));
    assert.equal(t.calls.length, 1);
    assert.equal(t.calls[0]!.kind, 'refusal');
    assert.equal(t.calls[0]!.runId, RUN_ID);
    assert.equal(t.calls[0]!.outcome, 'invalid');
    assert.match(t.calls[0]!.reason ?? '', /invalid run message: invocationMethod\.repo is not a repository name/);
    assert.equal(prepared.runId, RUN_ID);
  });

  it('repository "." and ".." are invalid fields like "a b": refused when signed, untouched when not', () => {
    for (const repo of ['.', '..']) {
      const t = preparer('required');
      t.prepare(record(signed(envelope(repo))));
      assert.deepEqual(
        t.calls.map((c) => c.kind),
        ['refusal'],
        repo,
      );
      const u = preparer('if-present');
      u.prepare(record(envelope(repo)));
      assert.deepEqual(u.calls, [], repo);
    }
  });

  it('if-present and off: an unsigned message with an invalid field is not trusted, nothing is written', () => {
    for (const mode of ['if-present', 'off'] as const) {
      const t = preparer(mode);
      const prepared = t.prepare(record(envelope('a b')));
      assert.deepEqual(t.calls, [], mode);
      assert.equal(prepared.runId, undefined, mode);
      assert.deepEqual(t.counted, ['invalid'], mode);
      assert.match(t.lines.find((l) => l.level === 'warn')?.message ?? '', /not signed, so not reported to the run it names/, mode);
    }
  });

  it('if-present: a signed message is still checked (a forged one refused), a signed valid one handled', () => {
    const t = preparer('if-present');
    t.prepare(record(tamperSignature(signed(envelope('a b')))));
    assert.deepEqual(t.counted, ['signature_rejected']);
    t.prepare(record(signed(envelope())));
    assert.deepEqual(
      t.calls.map((c) => c.kind),
      ['job'],
    );
  });

  it('if-present: an unsigned valid message is handled, but without a run id for the poison guard', () => {
    const t = preparer('if-present');
    const prepared = t.prepare(record(envelope()));
    assert.deepEqual(t.calls, [{ kind: 'job', runId: RUN_ID }]);
    assert.equal(prepared.runId, undefined);
  });

  it('if-present: unsigned messages accepted are each counted, and logged at most once a minute (injected clock)', async () => {
    const t = preparer('if-present');
    const unsignedLines = () => t.lines.filter((l) => /unsigned message/.test(l.message));
    t.prepare(record(envelope(), T0_S, '1'));
    t.advance(10_000);
    t.prepare(record(envelope(), T0_S, '2'));
    t.prepare(record(envelope(), T0_S, '3'));
    assert.equal(unsignedLines().length, 1, 'one line for the first minute');
    t.advance(50_001);
    t.prepare(record(envelope(), T0_S, '4'));
    assert.equal(unsignedLines().length, 2, 'the next line a minute after the first');
    assert.match(unsignedLines()[1]!.message, /accepted 3 unsigned messages in the last 60 s because signature\.mode is "if-present"/);
    t.prepare(record(signed(envelope()), T0_S, '5'));
    assert.match(await t.metrics.registry.metrics(), /ghes_agent_unsigned_messages_accepted_total 4/);
  });

  it('off: unsigned messages are not counted as accepted-unsigned (nothing is checked at all)', async () => {
    const t = preparer('off');
    t.prepare(record(envelope()));
    assert.match(await t.metrics.registry.metrics(), /ghes_agent_unsigned_messages_accepted_total 0/);
  });
});

describe('the poison guard never reports FAILURE for an unverified message (issue 23)', () => {
  const trust: RecordTrust = { maxBytes: 1 << 20, mode: 'if-present', maxAgeSeconds: 300, secret: SECRET };

  it('trustedRunIdOf: only a checked, valid signature yields the run id', () => {
    const nowMs = (T0_S + 1) * 1000;
    assert.equal(trustedRunIdOf(record(signed(envelope())).value, T0_S * 1000, nowMs, trust), RUN_ID);
    assert.equal(trustedRunIdOf(record(signed(envelope('a b'))).value, T0_S * 1000, nowMs, trust), RUN_ID, 'signed, invalid field');
    assert.equal(trustedRunIdOf(record(envelope()).value, T0_S * 1000, nowMs, trust), undefined, 'unsigned (if-present)');
    assert.equal(trustedRunIdOf(record(tamperSignature(signed(envelope()))).value, T0_S * 1000, nowMs, trust), undefined, 'forged');
    assert.equal(trustedRunIdOf(record(signed(envelope())).value, (T0_S + 3600) * 1000, nowMs, trust), undefined, 'replayed');
    assert.equal(trustedRunIdOf(Buffer.from('{"context":{"runId":"r_x"'), 0, nowMs, trust), undefined, 'not JSON');
  });

  it('a prepare step that throws on an unsigned or forged message reports nothing; on a signed one, FAILURE', async () => {
    const sent: Array<{ runId: string; report: Report }> = [];
    const reporter: Reporter = {
      send: async (runId, report) => void sent.push({ runId, report }),
      pending: () => 0,
      drain: async () => undefined,
      stop: () => undefined,
    };
    const { clock } = manualClock((T0_S + 1) * 1000);
    const guarded = guardRecords(
      () => {
        throw new Error('decoder bug');
      },
      { reporter, metrics: createMetrics({ defaultMetrics: false }), logger: recordingLogger([]), clock, trust, attempts: 1 },
    );
    await guarded(record(envelope()), new AbortController().signal);
    await guarded(record(tamperSignature(signed(envelope()))), new AbortController().signal);
    assert.equal(sent.length, 0, 'nothing reported for an unverified message');
    await guarded(record(signed(envelope())), new AbortController().signal);
    assert.equal(sent.find((s) => s.report.kind === 'patch')?.runId, RUN_ID);
  });
});

describe('a refusal never ends a run Port shows dispatched (issue 23, defence in depth)', () => {
  it('showsDispatch: a link, an externalRunId or one of the agent labels', () => {
    const base: PortRun = { id: RUN_ID, status: 'IN_PROGRESS', statusLabel: null, link: null, externalRunId: null };
    assert.equal(showsDispatch(base), false);
    assert.equal(showsDispatch({ ...base, statusLabel: 'Waiting for a human' }), false);
    assert.equal(showsDispatch({ ...base, link: [] }), false);
    assert.equal(showsDispatch({ ...base, link: 'https://ghes.example.com/acme/infra/actions/runs/7' }), true);
    assert.equal(showsDispatch({ ...base, link: ['https://ghes.example.com/acme/infra/actions/runs/7'] }), true);
    assert.equal(showsDispatch({ ...base, externalRunId: 'gh_1_2_7' }), true);
    for (const label of [
      DISPATCHING_LABEL,
      'Workflow dispatched',
      'Workflow dispatched (taken over by replica-abc)',
      'Workflow completed: success',
    ]) {
      assert.equal(showsDispatch({ ...base, statusLabel: label }), true, label);
    }
  });

  function processorWith(run: PortRun | undefined, over: Partial<ProcessorDeps> = {}) {
    const sent: Array<{ runId: string; report: Report }> = [];
    const lines: Line[] = [];
    const reads = { n: 0 };
    const metrics = createMetrics({ defaultMetrics: false });
    const reporter: Reporter = {
      send: async (runId, report) => void sent.push({ runId, report }),
      pending: () => 0,
      drain: async () => undefined,
      stop: () => undefined,
    };
    const port = { getRun: async () => (reads.n++, run) } as unknown as PortRunApi;
    const deps = {
      settings: { ghesUrls: [] },
      port,
      reporter,
      metrics,
      logger: recordingLogger(lines),
      clock: manualClock(0).clock,
      ...over,
    } as unknown as ProcessorDeps;
    return { processor: createMessageProcessor(deps), sent, lines, metrics, reads };
  }
  const ctx = { intake: 'kafka' as const, where: { topic: 't', partition: 0, offset: '1' }, writtenAtMs: 0 };
  const handle = (p: PreparedRun) => p.handle(new AbortController().signal, new AbortController().signal);

  it('a run Port shows linked or labelled by the agent: nothing written, counted refusal_ignored, logged', async () => {
    for (const shown of [
      { link: 'https://ghes.example.com/acme/infra/actions/runs/7' },
      { externalRunId: 'gh_1_2_7' },
      { statusLabel: DISPATCHING_LABEL },
      { statusLabel: 'Workflow dispatched (taken over by replica-abc)' },
    ]) {
      const t = processorWith({ id: RUN_ID, status: 'IN_PROGRESS', ...shown });
      await handle(t.processor.refusal(RUN_ID, ctx, 'invalid run message: invocationMethod.repo is not a repository name', 'invalid'));
      assert.deepEqual(t.sent, [], JSON.stringify(shown));
      assert.match(await t.metrics.registry.metrics(), /ghes_agent_messages_total\{outcome="refusal_ignored",intake="kafka"\} 1/);
      assert.match(
        t.lines.find((l) => l.level === 'warn')?.message ?? '',
        /is dispatched already .*a refusal does not end it, nothing written/,
      );
    }
  });

  it("a run under way or done by another action type (its executor's own label): nothing written, refusal_ignored", async () => {
    // Issue 24's executors write their intent before the GHES write ("Merging pull request") and
    // their result after it: a refusal meeting such a run must not end it either.
    const withWrites = {
      content: {} as ContentApi,
      version: [3, 19, 0],
      settings: { ghesUrls: [], policy: [] },
    } as unknown as Partial<ProcessorDeps>;
    for (const statusLabel of ['Creating PR', 'Merging pull request', 'Submitting review', 'Deleting comment', 'Issue closed']) {
      const t = processorWith({ id: RUN_ID, status: 'IN_PROGRESS', statusLabel }, withWrites);
      await handle(t.processor.refusal(RUN_ID, ctx, 'invalid run: integrationActionExecutionProperties.prNumber is missing', 'invalid'));
      assert.deepEqual(t.sent, [], statusLabel);
      assert.match(
        await t.metrics.registry.metrics(),
        /ghes_agent_messages_total\{outcome="refusal_ignored",intake="kafka"\} 1/,
        statusLabel,
      );
    }
    const t = processorWith({ id: RUN_ID, status: 'IN_PROGRESS', statusLabel: 'Waiting for approval' }, withWrites);
    await handle(t.processor.refusal(RUN_ID, ctx, 'invalid run: x', 'invalid'));
    assert.ok(
      t.sent.some((x) => x.report.kind === 'patch' && x.report.patch.status === 'FAILURE'),
      "a label that is no executor's is refused as before",
    );
  });

  it('a run not yet dispatched is refused as before: its log line and FAILURE, with one read of the run', async () => {
    const t = processorWith({ id: RUN_ID, status: 'IN_PROGRESS', statusLabel: null });
    await handle(t.processor.refusal(RUN_ID, ctx, 'invalid run message: x', 'invalid'));
    assert.equal(t.reads.n, 1, 'the record read for the check is the one the final report uses');
    const patch = t.sent.find((s) => s.report.kind === 'patch');
    assert.equal(patch?.report.kind === 'patch' && patch.report.patch.status, 'FAILURE');
    assert.ok(t.sent.some((s) => s.report.kind === 'log'));
    assert.match(await t.metrics.registry.metrics(), /ghes_agent_messages_total\{outcome="invalid",intake="kafka"\} 1/);
  });
});

describe('readRecord', () => {
  it('an oversized or unparseable record is untrusted and invalid, with the limit named', () => {
    const trust: RecordTrust = { maxBytes: 10, mode: 'required', maxAgeSeconds: 300, secret: SECRET };
    const big = readRecord(Buffer.from(JSON.stringify(envelope())), 0, 0, trust);
    assert.equal(big.kind === 'untrusted' && big.limit, 'message_bytes');
    const junk = readRecord(Buffer.from('not json'), 0, 0, { ...trust, maxBytes: 1 << 20 });
    assert.equal(junk.kind === 'untrusted' && junk.outcome, 'invalid');
  });
});
