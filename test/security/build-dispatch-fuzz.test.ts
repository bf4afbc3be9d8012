// Generated inputs through the input builder (and the decoder in front of it): thousands of
// random workflowInputs — wrong types, huge strings, deep nesting, odd Unicode, hostile keys.
// Every outcome is an AgentError('inputs') or a dispatch request GHES would accept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { MAX_INPUTS_PAYLOAD, buildDispatch, payloadSize } from '../../agent/github/build-dispatch.js';
import { decodeMessage } from '../../agent/port/decode-message.js';
import type { RunRequest } from '../../agent/types/run-request.js';

/** mulberry32: a seeded generator, so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type R = ReturnType<typeof rng>;

const ODD = [
  '',
  ' ',
  '\u0000',
  '\u202e',
  '\ud800',
  '💥',
  'é',
  '日本語',
  '\n',
  '"',
  '\\',
  '__proto__',
  'constructor',
  'refs/heads/x',
  '..',
  '~',
  '^',
  ':',
  '*',
  '?',
  '[',
];

function str(r: R): string {
  switch (r.int(5)) {
    case 0:
      return r.pick(ODD);
    case 1:
      return 'x'.repeat(r.pick([1, 100, 1000, 30_000, 70_000]));
    case 2:
      return Array.from({ length: r.int(20) }, () => String.fromCodePoint(r.int(0x11000))).join('');
    default:
      return Array.from({ length: 1 + r.int(12) }, () => r.pick(ODD) || 'a').join('');
  }
}

function value(r: R, depth: number): unknown {
  switch (r.int(depth > 4 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return r.pick([0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER]);
    case 2:
      return r.next() < 0.5;
    case 3:
    case 4:
      return str(r);
    case 5:
      return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) o[str(r).slice(0, 40)] = value(r, depth + 1);
      return o;
    }
    default: {
      // Deep nesting: thousands of levels, more than JSON.stringify can recurse through.
      let v: unknown = 'leaf';
      for (let i = r.pick([10, 100, 20_000]); i > 0; i--) v = [v];
      return v;
    }
  }
}

function inputs(r: R): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = r.int(30); i > 0; i--)
    o[r.next() < 0.2 ? r.pick(['ref', '__proto__', 'port_run_id', 'port_payload']) : str(r).slice(0, 60)] = value(r, 0);
  return o;
}

function run(workflowInputs: Record<string, unknown>): RunRequest {
  return {
    runId: 'r_fuzz123',
    runKind: 'action',
    org: 'acme',
    repo: 'infra',
    workflow: 'deploy.yml',
    workflowInputs,
    reportWorkflowStatus: true,
    portPayload: undefined,
  };
}

describe('buildDispatch on generated inputs', () => {
  it('3000 random workflowInputs: AgentError("inputs") or a valid request', () => {
    let valid = 0;
    let refused = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      const wi = inputs(r);
      const maxInputs = r.pick([10, 25]);
      let req;
      try {
        req = buildDispatch(run(wi), { defaultBranch: 'main', maxInputs, runIdInput: r.next() < 0.8 ? 'port_run_id' : '' });
      } catch (err) {
        assert.ok(err instanceof AgentError, `seed ${seed}: ${String(err)}`);
        assert.equal(err.code, 'inputs', `seed ${seed}`);
        assert.ok(err.message.length < 1000, `seed ${seed}: the message stays short (${err.message.length})`);
        refused++;
        continue;
      }
      valid++;
      assert.equal(Object.getPrototypeOf(req.inputs), Object.prototype, `seed ${seed}: inputs keep a plain prototype`);
      const entries = Object.entries(req.inputs);
      assert.ok(entries.length <= maxInputs, `seed ${seed}: ${entries.length} inputs > ${maxInputs}`);
      for (const [k, v] of entries) assert.equal(typeof v, 'string', `seed ${seed}: input ${k} is a string`);
      assert.ok(payloadSize(req.inputs) <= MAX_INPUTS_PAYLOAD, `seed ${seed}: payload within GitHub's limit`);
      assert.equal('ref' in req.inputs, false, `seed ${seed}: ref is never an input`);
      assert.equal(typeof req.ref, 'string');
      assert.ok(req.ref.length > 0 && !/\s|\.\.|[~^:?*[\\]/.test(req.ref), `seed ${seed}: ref ${JSON.stringify(req.ref)} is a valid name`);
    }
    // The generator reaches both outcomes in quantity, or it proves little.
    assert.ok(valid > 300 && refused > 300, `valid ${valid}, refused ${refused}`);
  });

  it('deeply nested inputs are refused by the decoder before they reach the builder', () => {
    const deep = `{"context":{"runId":"r_deep1"},"payload":{"action":{"invocationMethod":{"type":"GITHUB","org":"acme","repo":"infra","workflow":"deploy.yml","workflowInputs":{"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}}}}}`;
    const d = decodeMessage(Buffer.from(deep), 1 << 20);
    assert.equal(d.kind, 'invalid');
    assert.match((d as { reason: string }).reason, /nested deeper than 64 levels/);
  });

  it('a deeply nested input that got past the decoder is still an inputs error, not a RangeError', () => {
    let v: unknown = 1;
    for (let i = 0; i < 50_000; i++) v = [v];
    assert.throws(
      () => buildDispatch(run({ x: v }), { defaultBranch: 'main', maxInputs: 10, runIdInput: '' }),
      (e: unknown) => e instanceof AgentError && e.code === 'inputs' && /"x" cannot be sent as JSON/.test(e.message),
    );
    assert.throws(
      () => buildDispatch(run({ ref: v }), { defaultBranch: 'main', maxInputs: 10, runIdInput: '' }),
      (e: unknown) => e instanceof AgentError && e.code === 'inputs',
    );
  });
});

describe('decodeMessage on hostile nesting', () => {
  it('deep values where the decoder describes them (type, status) are reported, never thrown', () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    for (const text of [
      `{"context":{"runId":"r_x1"},"payload":{"action":{"invocationMethod":{"type":${deep}}}}}`,
      `{"status":${deep},"context":{"runId":"r_x1"},"payload":{"action":{"invocationMethod":{"type":"GITHUB"}}}}`,
    ]) {
      const d = decodeMessage(Buffer.from(text), 1 << 20);
      assert.equal(d.kind, 'skip');
      assert.match((d as { reason: string }).reason, /a list/);
    }
  });

  it('a deeply nested run message keeps its run id, so the run is reported FAILURE', () => {
    const text = `{"context":{"runId":"r_deep2"},"payload":{"action":{"invocationMethod":{"type":"GITHUB","org":"acme","repo":"infra","workflow":"deploy.yml"}},"properties":{"x":${'['.repeat(100)}${']'.repeat(100)}}}}`;
    const d = decodeMessage(Buffer.from(text), 1 << 20);
    assert.deepEqual(d, {
      kind: 'invalid',
      reason: 'message is nested deeper than 64 levels',
      runId: 'r_deep2',
      // The names of its keys, for the refusal's log line (never their values).
      keys: {
        messageKeys: ['context', 'payload'],
        payloadKeys: ['action', 'properties'],
        invocationMethodKeys: ['type', 'org', 'repo', 'workflow'],
      },
    });
  });
});
