import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeGithubInvocation, decodeMessage, messageKeys, type DecodeResult } from '../../agent/port/decode-message.js';

const MAX = 1_048_576;

/** The documented envelope (port-protocol.md), with per-test overrides of invocationMethod. */
function envelope(method: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: 'Create',
    resourceType: 'run',
    status: 'TRIGGERED',
    trigger: { by: { orgId: 'org_1', userId: 'user_1' }, origin: 'UI', at: '2022-11-16T16:31:32.447Z' },
    context: { entity: null, blueprint: 'Service', runId: 'r_jE5FhDURh4Uen2Qr' },
    payload: {
      entity: null,
      action: {
        id: 'action_34aweFQtayw7SCVb',
        identifier: 'Create',
        blueprint: 'Service',
        invocationMethod: {
          type: 'GITHUB',
          org: 'acme',
          repo: 'infra',
          workflow: 'deploy.yml',
          workflowInputs: { service: 'api', port_context: { runId: 'r_jE5FhDURh4Uen2Qr' } },
          reportWorkflowStatus: true,
          ...method,
        },
      },
      properties: { secretish: 'user input' },
    },
    headers: { 'X-Port-Signature': 'v1,abc=', 'X-Port-Timestamp': 1713277889 },
    ...top,
  };
}

const decode = (v: unknown, max = MAX): DecodeResult => decodeMessage(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), max);

function expectRun(r: DecodeResult) {
  assert.equal(r.kind, 'run', `expected a run, got ${JSON.stringify(r)}`);
  return r.run;
}
function expectInvalid(r: DecodeResult, reason: RegExp, runId?: string) {
  assert.equal(r.kind, 'invalid', `expected invalid, got ${JSON.stringify(r).slice(0, 300)}`);
  const inv = r;
  assert.match(inv.reason, reason);
  assert.equal(inv.runId, runId);
}

describe('decodeMessage: the documented envelope', () => {
  it('decodes every field of a GITHUB run', () => {
    const run = expectRun(decode(envelope()));
    assert.equal(run.runId, 'r_jE5FhDURh4Uen2Qr');
    assert.equal(run.runKind, 'action');
    assert.equal(run.org, 'acme');
    assert.equal(run.repo, 'infra');
    assert.equal(run.workflow, 'deploy.yml');
    assert.deepEqual(run.workflowInputs, { service: 'api', port_context: { runId: 'r_jE5FhDURh4Uen2Qr' } });
    assert.equal(run.reportWorkflowStatus, true);
    assert.equal(run.portPayload, undefined);
    assert.deepEqual(run.signature, { value: 'v1,abc=', timestamp: '1713277889' });
    assert.equal(run.message.action, 'Create');
  });

  it('defaults reportWorkflowStatus to true and keeps an explicit false', () => {
    assert.equal(expectRun(decode(envelope({ reportWorkflowStatus: undefined }))).reportWorkflowStatus, true);
    assert.equal(expectRun(decode(envelope({ reportWorkflowStatus: false }))).reportWorkflowStatus, false);
  });

  it('accepts reportWorkflowStatus as "true"/"false" strings (Port\'s action schema allows a string)', () => {
    assert.equal(expectRun(decode(envelope({ reportWorkflowStatus: 'false' }))).reportWorkflowStatus, false);
    assert.equal(expectRun(decode(envelope({ reportWorkflowStatus: 'true' }))).reportWorkflowStatus, true);
    assert.equal(expectRun(decode(envelope({ reportWorkflowStatus: ' False ' }))).reportWorkflowStatus, false);
  });

  it('accepts a numeric workflow id (number or digit string)', () => {
    assert.equal(expectRun(decode(envelope({ workflow: 123456 }))).workflow, '123456');
    assert.equal(expectRun(decode(envelope({ workflow: '987' }))).workflow, '987');
    assert.equal(expectRun(decode(envelope({ workflow: 'ci.yaml' }))).workflow, 'ci.yaml');
  });

  it('marks wfnr_ run ids as workflow-node runs', () => {
    const m = envelope();
    (m.context as Record<string, unknown>).runId = 'wfnr_abc123';
    const run = expectRun(decode(m));
    assert.equal(run.runId, 'wfnr_abc123');
    assert.equal(run.runKind, 'workflow-node');
  });

  it('treats missing or null workflowInputs as no inputs', () => {
    assert.deepEqual(expectRun(decode(envelope({ workflowInputs: undefined }))).workflowInputs, {});
    assert.deepEqual(expectRun(decode(envelope({ workflowInputs: null }))).workflowInputs, {});
  });

  it('has no signature when the headers are absent or malformed', () => {
    assert.equal(expectRun(decode(envelope({}, { headers: undefined }))).signature, undefined);
    assert.equal(expectRun(decode(envelope({}, { headers: { 'X-Port-Signature': 5, 'X-Port-Timestamp': 1 } }))).signature, undefined);
    assert.deepEqual(expectRun(decode(envelope({}, { headers: { 'X-Port-Signature': 'v1,x', 'X-Port-Timestamp': '17' } }))).signature, {
      value: 'v1,x',
      timestamp: '17',
    });
  });

  // Port's v1 actions (port-docs self-service-actions-deep-dive.md, 2023-24): omitPayload
  // (default false) sends port_payload; omitUserInputs (default false) sends the user inputs
  // (payload.properties) as separate inputs. v2 actions carry neither key.
  it('v1 defaults (both flags false): port_payload = the message without its headers, and the user inputs as inputs', () => {
    const msg = envelope({ omitPayload: false, omitUserInputs: false, workflowInputs: undefined });
    const run = expectRun(decode(msg));
    const payload = JSON.parse(run.portPayload!);
    const { headers: _h, ...expected } = JSON.parse(JSON.stringify(msg));
    assert.deepEqual(payload, expected);
    assert.deepEqual(run.workflowInputs, { secretish: 'user input' });
  });

  it('v1: a missing flag takes its documented default (false)', () => {
    const onlyPayloadFlag = expectRun(decode(envelope({ omitPayload: false, workflowInputs: undefined })));
    assert.deepEqual(onlyPayloadFlag.workflowInputs, { secretish: 'user input' });
    const onlyInputsFlag = expectRun(decode(envelope({ omitUserInputs: true, workflowInputs: undefined })));
    assert.ok(onlyInputsFlag.portPayload, 'omitPayload absent means port_payload is sent');
    assert.deepEqual(onlyInputsFlag.workflowInputs, {});
    const nulls = expectRun(decode(envelope({ omitPayload: null, omitUserInputs: null, workflowInputs: undefined })));
    assert.ok(nulls.portPayload);
    assert.deepEqual(nulls.workflowInputs, { secretish: 'user input' });
  });

  it('v1 omitUserInputs:true keeps the user inputs out of the inputs but in port_payload', () => {
    const run = expectRun(decode(envelope({ omitPayload: false, omitUserInputs: true, workflowInputs: undefined })));
    assert.deepEqual(run.workflowInputs, {});
    const payload = JSON.parse(run.portPayload!);
    assert.equal(payload.headers, undefined);
    assert.deepEqual(payload.payload.properties, { secretish: 'user input' });
    assert.equal(payload.context.runId, 'r_jE5FhDURh4Uen2Qr');
  });

  it('v1 omitPayload:true sends no port_payload; both true send neither', () => {
    const run = expectRun(decode(envelope({ omitPayload: true, omitUserInputs: false, workflowInputs: undefined })));
    assert.equal(run.portPayload, undefined);
    assert.deepEqual(run.workflowInputs, { secretish: 'user input' });
    const none = expectRun(decode(envelope({ omitPayload: true, omitUserInputs: true, workflowInputs: undefined })));
    assert.equal(none.portPayload, undefined);
    assert.deepEqual(none.workflowInputs, {});
  });

  it('v1 flags as "true"/"false" strings; anything else is refused naming the flag', () => {
    const run = expectRun(decode(envelope({ omitPayload: 'true', omitUserInputs: 'FALSE', workflowInputs: undefined })));
    assert.equal(run.portPayload, undefined);
    assert.deepEqual(run.workflowInputs, { secretish: 'user input' });
    expectInvalid(decode(envelope({ omitPayload: 'yes' })), /invocationMethod\.omitPayload is not a boolean/, 'r_jE5FhDURh4Uen2Qr');
    expectInvalid(decode(envelope({ omitUserInputs: 1 })), /invocationMethod\.omitUserInputs is not a boolean/, 'r_jE5FhDURh4Uen2Qr');
  });

  it('v1 with workflowInputs too: those win over a user input of the same name', () => {
    const run = expectRun(
      decode(envelope({ omitPayload: true, omitUserInputs: false, workflowInputs: { secretish: 'from the action', ref: 'main' } })),
    );
    assert.deepEqual(run.workflowInputs, { secretish: 'from the action', ref: 'main' });
  });

  it('a v2 action (neither key) is exactly its workflowInputs: no port_payload, no user inputs added', () => {
    const run = expectRun(decode(envelope()));
    assert.equal(run.portPayload, undefined);
    assert.deepEqual(run.workflowInputs, { service: 'api', port_context: { runId: 'r_jE5FhDURh4Uen2Qr' } });
    const noInputs = expectRun(decode(envelope({ workflowInputs: undefined })));
    assert.deepEqual(noInputs.workflowInputs, {});
    assert.equal(noInputs.portPayload, undefined);
  });
});

describe('decodeMessage: refused messages name their keys, never their values', () => {
  it('an invalid message carries the names of its top-level, payload and invocationMethod keys', () => {
    const r = decode(envelope({ org: '../x', secretField: 'hunter2' }, { extraTop: { deep: 'value-1' } }));
    assert.equal(r.kind, 'invalid');
    const keys = (r as { keys?: { messageKeys: string[]; payloadKeys?: string[]; invocationMethodKeys?: string[] } }).keys!;
    assert.deepEqual(keys.messageKeys, ['action', 'resourceType', 'status', 'trigger', 'context', 'payload', 'headers', 'extraTop']);
    assert.deepEqual(keys.payloadKeys, ['entity', 'action', 'properties']);
    assert.ok(keys.invocationMethodKeys!.includes('secretField') && keys.invocationMethodKeys!.includes('org'));
    const text = JSON.stringify(keys);
    for (const value of ['hunter2', 'value-1', '../x', 'user input']) assert.ok(!text.includes(value), `a value leaked: ${value}`);
  });

  it('a message without an invocationMethod still names what it has', () => {
    const m = envelope();
    delete ((m.payload as Record<string, Record<string, unknown>>).action as Record<string, unknown>).invocationMethod;
    const r = decode(m) as { keys?: { payloadKeys?: string[]; invocationMethodKeys?: string[] } };
    assert.deepEqual(r.keys?.payloadKeys, ['entity', 'action', 'properties']);
    assert.equal(r.keys?.invocationMethodKeys, undefined);
  });

  it('skipped messages name their keys too; key names are bounded', () => {
    const r = decode(envelope({ type: 'WEBHOOK' }));
    assert.equal(r.kind, 'skip');
    assert.ok((r as { keys?: { invocationMethodKeys?: string[] } }).keys?.invocationMethodKeys?.includes('type'));
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}${'x'.repeat(200)}`, i]));
    const big = messageKeys(many);
    assert.equal(big.messageKeys.length, 40);
    assert.ok(big.messageKeys.every((k) => k.length <= 64));
  });
});

describe('decodeGithubInvocation: the fields any intake validates', () => {
  it("names problems under the caller's prefix", () => {
    const r = decodeGithubInvocation({ org: 'acme', repo: 'a b', workflow: 'deploy.yml' }, 'integrationActionExecutionProperties');
    assert.deepEqual(r, { ok: false, problems: ['integrationActionExecutionProperties.repo is not a repository name'] });
    assert.deepEqual(decodeGithubInvocation({ org: 'acme', repo: 'infra', workflow: 7, reportWorkflowStatus: 'false' }, 'x'), {
      ok: true,
      value: { org: 'acme', repo: 'infra', workflow: '7', workflowInputs: {}, reportWorkflowStatus: false },
    });
  });
});

describe('decodeMessage: skips', () => {
  it('skips another invocation type, keeping the run id', () => {
    const r = decode(envelope({ type: 'WEBHOOK' }));
    assert.equal(r.kind, 'skip');
    assert.equal(r.runId, 'r_jE5FhDURh4Uen2Qr');
    assert.match((r as { reason: string }).reason, /WEBHOOK.*not GITHUB/);
  });

  it('skips a status other than TRIGGERED', () => {
    const r = decode(envelope({}, { status: 'SUCCESS' }));
    assert.equal(r.kind, 'skip');
    assert.equal(r.runId, 'r_jE5FhDURh4Uen2Qr');
    assert.match((r as { reason: string }).reason, /SUCCESS.*not TRIGGERED/);
  });

  it('skips empty messages (null value and zero bytes)', () => {
    assert.equal(decodeMessage(null, MAX).kind, 'skip');
    assert.equal(decodeMessage(Buffer.alloc(0), MAX).kind, 'skip');
  });
});

describe('decodeMessage: invalid messages with a clear reason', () => {
  it('not JSON', () => expectInvalid(decode('{not json'), /not JSON/));
  it('a JSON array', () => expectInvalid(decode([1, 2]), /not a JSON object/));
  it('a JSON scalar', () => expectInvalid(decode('42'), /not a JSON object/));
  it('no invocationMethod (run id kept)', () => {
    const m = envelope();
    delete ((m.payload as Record<string, Record<string, unknown>>).action as Record<string, unknown>).invocationMethod;
    expectInvalid(decode(m), /no payload\.action\.invocationMethod/, 'r_jE5FhDURh4Uen2Qr');
  });
  it('no run id', () => {
    const m = envelope();
    delete (m.context as Record<string, unknown>).runId;
    expectInvalid(decode(m), /no context\.runId/);
  });
  it('a run id that is not a Port run id', () => {
    for (const bad of ['x_123', 'r_', 'r_has space', 'r_../../x', 42]) {
      const m = envelope();
      (m.context as Record<string, unknown>).runId = bad;
      expectInvalid(decode(m), /context\.runId is not a Port run id/);
    }
  });
  it('bad org names (path traversal, spaces, slashes, too long, missing)', () => {
    for (const org of ['../x', 'ac me', 'a/b', '-acme', 'a'.repeat(40), '', 7]) {
      expectInvalid(decode(envelope({ org })), /invocationMethod\.org is not a GitHub organization name/, 'r_jE5FhDURh4Uen2Qr');
    }
    expectInvalid(decode(envelope({ org: undefined })), /invocationMethod\.org is missing/, 'r_jE5FhDURh4Uen2Qr');
  });
  it('bad repo names', () => {
    for (const repo of ['../x', 'in fra', 'a/b', '', 'r'.repeat(101)]) {
      expectInvalid(decode(envelope({ repo })), /invocationMethod\.repo is not a repository name/, 'r_jE5FhDURh4Uen2Qr');
    }
  });
  it('bad workflow names', () => {
    for (const workflow of ['../x.yml', 'deploy', 'a/b.yml', '../../etc/passwd', 1.5, '']) {
      expectInvalid(decode(envelope({ workflow })), /invocationMethod\.workflow is not a workflow file name/, 'r_jE5FhDURh4Uen2Qr');
    }
  });
  it('a numeric workflow id must be a positive safe integer (not -3, not 1e21)', () => {
    // -3 would become "/workflows/-3/dispatches"; 1e21 stringifies to "1e+21".
    for (const workflow of [-3, 1e21, 2 ** 53 + 2]) {
      expectInvalid(decode(envelope({ workflow })), /invocationMethod\.workflow is not a workflow file name/, 'r_jE5FhDURh4Uen2Qr');
    }
  });
  it('several problems are all named', () => {
    expectInvalid(decode(envelope({ org: '../x', repo: 'a b' })), /org is not .*; invocationMethod\.repo is not/, 'r_jE5FhDURh4Uen2Qr');
  });
  it('workflowInputs that is not an object', () => {
    for (const workflowInputs of ['a=b', [1], 3, true]) {
      expectInvalid(decode(envelope({ workflowInputs })), /workflowInputs is not an object/, 'r_jE5FhDURh4Uen2Qr');
    }
  });
  it('reportWorkflowStatus that is not a boolean', () => {
    for (const reportWorkflowStatus of ['yes', '', 1, null, {}]) {
      expectInvalid(decode(envelope({ reportWorkflowStatus })), /reportWorkflowStatus is not a boolean/, 'r_jE5FhDURh4Uen2Qr');
    }
  });
  it('oversize messages, naming the limit', () => {
    const buf = Buffer.from(JSON.stringify(envelope()));
    const r = decodeMessage(buf, buf.length - 1);
    expectInvalid(r, new RegExp(`${buf.length} bytes exceeds kafka\\.maxMessageBytes \\(${buf.length - 1}\\)`));
    assert.equal(decodeMessage(buf, buf.length).kind, 'run');
  });
});

// ---------- generated fuzz ----------

/** Small deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_STRINGS = [
  '',
  ' ',
  '../x',
  '..',
  '/',
  'a/b',
  '%2e%2e',
  '\u0000',
  '\uD800',
  '💥',
  'ａｃｍｅ',
  'acme\n',
  'acme ',
  'r_abc',
  'wfnr_x',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'GITHUB',
  'TRIGGERED',
  'deploy.yml',
  '123',
  '\u202Eevil.yml',
  'x'.repeat(300),
];
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'type',
  'org',
  'repo',
  'workflow',
  'workflowInputs',
  'ref',
  'runId',
  'headers',
  'payload',
  'status',
];

function randomValue(rnd: () => number, depth: number): unknown {
  const pick = Math.floor(rnd() * 10);
  if (depth > 6 && pick >= 7) return null;
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return [0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 123456][Math.floor(rnd() * 7)];
    case 3:
      return ODD_STRINGS[Math.floor(rnd() * ODD_STRINGS.length)];
    case 4:
      return String.fromCharCode(...Array.from({ length: Math.floor(rnd() * 20) }, () => Math.floor(rnd() * 0xffff)));
    case 5:
      return 'y'.repeat(Math.floor(rnd() * 5000));
    case 6:
    case 7:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(rnd() * 5);
      for (let i = 0; i < n; i++) {
        const key = rnd() < 0.6 ? KEYS[Math.floor(rnd() * KEYS.length)]! : (ODD_STRINGS[Math.floor(rnd() * ODD_STRINGS.length)] as string);
        Object.defineProperty(o, key, { value: randomValue(rnd, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
}

/** Replaces the value at a random path of a valid envelope: the interesting inputs are "almost valid". */
function mutate(rnd: () => number, msg: unknown, depth = 0): unknown {
  if (typeof msg !== 'object' || msg === null || depth > 8) return randomValue(rnd, depth);
  const keys = Object.keys(msg);
  if (keys.length === 0 || rnd() < 0.15) return randomValue(rnd, depth);
  const copy: Record<string, unknown> = Array.isArray(msg) ? ([...msg] as unknown as Record<string, unknown>) : { ...msg };
  const key = keys[Math.floor(rnd() * keys.length)]!;
  const r = rnd();
  if (r < 0.1) delete copy[key];
  else if (r < 0.2)
    Object.defineProperty(copy, '__proto__', {
      value: { polluted: true, type: 'GITHUB' },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else copy[key] = mutate(rnd, copy[key], depth + 1);
  return copy;
}

function deepNest(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

const ORG = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const WORKFLOW = /^(?:\d{1,20}|[A-Za-z0-9._ -]{1,255}\.ya?ml)$/;

function checkResult(r: DecodeResult, input: string): void {
  assert.ok(['run', 'skip', 'invalid'].includes(r.kind), `unknown kind for ${input.slice(0, 200)}`);
  assert.equal(typeof (r as { reason?: unknown }).reason === 'string' || r.kind === 'run', true);
  if (r.kind === 'run') {
    const { run } = r;
    assert.match(run.org, ORG, input.slice(0, 200));
    assert.match(run.repo, REPO, input.slice(0, 200));
    assert.match(run.workflow, WORKFLOW, input.slice(0, 200));
    assert.ok(!run.org.includes('..') && !run.repo.includes('/') && !run.workflow.includes('/'));
    assert.match(run.runId, /^(r|wfnr)_[A-Za-z0-9_-]+$/);
    assert.equal(typeof run.workflowInputs, 'object');
    assert.ok(run.workflowInputs !== null && !Array.isArray(run.workflowInputs));
    assert.equal(typeof run.reportWorkflowStatus, 'boolean');
  }
}

describe('decodeMessage: fuzz', () => {
  it('never throws and always answers run/skip/invalid for 4,000 random and mutated envelopes', () => {
    const rnd = prng(0x5eed);
    const counts = { run: 0, skip: 0, invalid: 0 };
    const base = envelope();
    for (let i = 0; i < 4000; i++) {
      const value = i % 4 === 0 ? randomValue(rnd, 0) : mutate(rnd, i % 3 === 0 ? mutate(rnd, base) : base);
      const text = JSON.stringify(value) ?? 'undefined';
      let r: DecodeResult;
      try {
        r = decodeMessage(Buffer.from(text), MAX);
      } catch (err) {
        assert.fail(`decodeMessage threw ${(err as Error).message} for ${text.slice(0, 300)}`);
      }
      checkResult(r, text);
      counts[r.kind]++;
    }
    // The mutations must exercise every outcome, or the fuzz proves little.
    assert.ok(counts.run > 100, JSON.stringify(counts));
    assert.ok(counts.skip > 20, JSON.stringify(counts));
    assert.ok(counts.invalid > 100, JSON.stringify(counts));
  });

  it('field-targeted: every invocationMethod field × every odd value gives a valid run or a refusal', () => {
    const odd: unknown[] = [...ODD_STRINGS, null, true, false, 0, -1, 1.5, 1e21, 2 ** 53 + 2, [], ['acme'], {}, { a: 1 }];
    for (const fieldName of [
      'type',
      'org',
      'repo',
      'workflow',
      'workflowInputs',
      'reportWorkflowStatus',
      'omitPayload',
      'omitUserInputs',
    ]) {
      for (const value of odd) {
        const text = JSON.stringify(envelope({ [fieldName]: value }));
        let r: DecodeResult;
        try {
          r = decodeMessage(Buffer.from(text), MAX);
        } catch (err) {
          assert.fail(`decodeMessage threw ${(err as Error).message} for ${fieldName}=${JSON.stringify(value)}`);
        }
        checkResult(r, `${fieldName}=${JSON.stringify(value)}`);
      }
    }
  });

  it('survives raw byte garbage, truncations, deep nesting, huge strings and prototype keys', () => {
    const rnd = prng(42);
    const good = JSON.stringify(envelope());
    const inputs: string[] = [
      deepNest(5000),
      '['.repeat(3000) + ']'.repeat(3000),
      JSON.stringify(envelope({ org: 'a'.repeat(500_000) })),
      JSON.stringify(envelope({ workflowInputs: { big: 'z'.repeat(500_000) } })),
      good.replace('"invocationMethod"', '"__proto__":{"invocationMethod":{"type":"GITHUB"}},"x"'),
      good.replace('"payload":', '"__proto__":{"payload":{}},"payload":'),
      good.replace('"org":"acme"', '"org":"acme","org":"../x"'),
      good.replace('"acme"', '"\\u0061cme"'),
      good.replace('"acme"', '"ａｃｍｅ"'),
      good.replace('"infra"', '"infra\\u0000"'),
      good.replace('"deploy.yml"', '"deploy.yml\\n"'),
      '\uFEFF' + good,
      'null',
      'true',
      '""',
    ];
    for (let i = 0; i < 500; i++) inputs.push(good.slice(0, Math.floor(rnd() * good.length)));
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(good);
      for (let k = 0; k < 3; k++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      inputs.push(bytes.toString('latin1'));
    }
    for (const text of inputs) {
      let r: DecodeResult;
      try {
        r = decodeMessage(Buffer.from(text), 2 * MAX);
      } catch (err) {
        assert.fail(`decodeMessage threw ${(err as Error).message} for ${text.slice(0, 200)}`);
      }
      checkResult(r, text);
    }
    // Specific outcomes among them:
    assert.equal(decodeMessage(Buffer.from(inputs[2]!), 2 * MAX).kind, 'invalid');
    assert.equal(decodeMessage(Buffer.from(inputs[6]!), MAX).kind, 'invalid', 'the last duplicate key wins and is checked');
    assert.equal(expectRun(decodeMessage(Buffer.from(inputs[7]!), MAX)).org, 'acme');
    assert.equal(decodeMessage(Buffer.from(inputs[8]!), MAX).kind, 'invalid', 'full-width letters are not a GitHub name');
  });
});

describe('decodeMessage: names that URL normalisation collapses (issue 23)', () => {
  it('repository and owner "." and ".." are invalid; names merely containing dots are not', () => {
    for (const name of ['.', '..']) {
      expectInvalid(decode(envelope({ repo: name })), /invocationMethod\.repo is not a repository name/, 'r_jE5FhDURh4Uen2Qr');
      expectInvalid(decode(envelope({ org: name })), /invocationMethod\.org is not a GitHub organization name/, 'r_jE5FhDURh4Uen2Qr');
    }
    for (const name of ['...', '.github', 'a..b', 'infra.']) assert.equal(expectRun(decode(envelope({ repo: name }))).repo, name);
  });
});
