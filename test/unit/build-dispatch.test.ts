import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { buildDispatch, MAX_INPUTS_PAYLOAD, maxInputsFor, payloadSize } from '../../agent/github/build-dispatch.js';
import type { RunRequest } from '../../agent/types/run-request.js';

function run(workflowInputs: Record<string, unknown>, extra: Partial<RunRequest> = {}): RunRequest {
  return {
    runId: 'r_abc123',
    runKind: 'action',
    org: 'acme',
    repo: 'infra',
    workflow: 'deploy.yml',
    workflowInputs,
    reportWorkflowStatus: true,
    portPayload: undefined,
    ...extra,
  };
}
const OPTS = { defaultBranch: 'main', maxInputs: 10, runIdInput: 'port_run_id' };

function inputsError(fn: () => unknown, message: RegExp): AgentError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AgentError, `expected an AgentError, got ${String(caught)}`);
  assert.equal(caught.code, 'inputs');
  assert.equal(caught.retriable, false);
  assert.match(caught.message, message);
  return caught;
}

describe('buildDispatch', () => {
  it('pops ref out of the inputs', () => {
    const d = buildDispatch(run({ ref: 'release/1.0', service: 'api' }), OPTS);
    assert.equal(d.ref, 'release/1.0');
    assert.deepEqual(d.inputs, { service: 'api', port_run_id: 'r_abc123' });
  });

  it('uses the default branch when ref is absent, null or empty', () => {
    for (const wi of [{}, { ref: null }, { ref: '' }]) {
      const d = buildDispatch(run(wi), { ...OPTS, defaultBranch: 'trunk' });
      assert.equal(d.ref, 'trunk');
      assert.equal('ref' in d.inputs, false);
    }
  });

  it('accepts qualified refs', () => {
    assert.equal(buildDispatch(run({ ref: 'refs/tags/v1.2.3' }), OPTS).ref, 'refs/tags/v1.2.3');
  });

  it('refuses invalid refs', () => {
    for (const ref of ['a b', 'a..b', 'x~1', 'x^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 5, { branch: 'main' }, true]) {
      inputsError(() => buildDispatch(run({ ref }), OPTS), /workflowInputs\.ref must be a branch, tag or refs\/… name/);
    }
  });

  it('JSON-stringifies non-string inputs and leaves strings alone', () => {
    const d = buildDispatch(run({ s: 'text', n: 42, f: 1.5, t: true, b: false, z: null, o: { a: [1, 'x'] }, a: [1, 2], e: '' }), {
      ...OPTS,
      maxInputs: 25,
    });
    assert.deepEqual(d.inputs, {
      s: 'text',
      n: '42',
      f: '1.5',
      t: 'true',
      b: 'false',
      z: 'null',
      o: '{"a":[1,"x"]}',
      a: '[1,2]',
      e: '',
      port_run_id: 'r_abc123',
    });
    for (const v of Object.values(d.inputs)) assert.equal(typeof v, 'string');
  });

  it('adds port_payload from the legacy portPayload, without overriding a user input of that name', () => {
    const payload = '{"context":{"runId":"r_abc123"}}';
    assert.equal(buildDispatch(run({}, { portPayload: payload }), OPTS).inputs.port_payload, payload);
    assert.equal(buildDispatch(run({ port_payload: 'mine' }, { portPayload: payload }), OPTS).inputs.port_payload, 'mine');
    assert.equal('port_payload' in buildDispatch(run({}), OPTS).inputs, false);
  });

  it('adds the run id input when there is room, and reports it', () => {
    const d = buildDispatch(run({ a: '1' }), OPTS);
    assert.equal(d.inputs.port_run_id, 'r_abc123');
    assert.equal(d.runIdInput, 'port_run_id');
  });

  it('does not add the run id input when the inputs are already at maxInputs', () => {
    const wi = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`in${i}`, String(i)]));
    const d = buildDispatch(run(wi), OPTS);
    assert.equal(Object.keys(d.inputs).length, 10);
    assert.equal('port_run_id' in d.inputs, false);
    assert.equal(d.runIdInput, undefined);
  });

  it('does not overwrite a run id input the action already sends', () => {
    const d = buildDispatch(run({ port_run_id: 'user-value' }), OPTS);
    assert.equal(d.inputs.port_run_id, 'user-value');
    assert.equal(d.runIdInput, undefined);
  });

  it('adds nothing when runIdInput is disabled (empty)', () => {
    const d = buildDispatch(run({ a: '1' }), { ...OPTS, runIdInput: '' });
    assert.deepEqual(d.inputs, { a: '1' });
    assert.equal(d.runIdInput, undefined);
  });

  it('refuses too many inputs with a message saying what to change', () => {
    const wi = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`in${i}`, String(i)]));
    const err = inputsError(
      () => buildDispatch(run(wi), OPTS),
      /sends 11 workflow inputs but this GitHub Enterprise Server accepts at most 10/,
    );
    assert.match(err.message, /Combine inputs into one JSON input|remove some/);
    // ref does not count: 10 inputs + ref is fine
    assert.equal(
      Object.keys(buildDispatch(run({ ...Object.fromEntries(Object.entries(wi).slice(0, 10)), ref: 'main' }), OPTS).inputs).length,
      10,
    );
  });

  it('port_payload counts towards the input limit', () => {
    const wi = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`in${i}`, String(i)]));
    inputsError(() => buildDispatch(run(wi, { portPayload: '{}' }), OPTS), /sends 11 workflow inputs/);
  });

  it('refuses more than 65,535 characters, naming the largest input', () => {
    const err = inputsError(
      () => buildDispatch(run({ small: 'x', entity: 'e'.repeat(70_000), medium: 'm'.repeat(1000) }), OPTS),
      /over GitHub's limit of 65535; the largest is "entity" \(70000 characters\)/,
    );
    assert.match(err.message, /Send less data/);
  });

  it('accepts inputs just under the limit', () => {
    const fixed = JSON.stringify({ big: '', port_run_id: 'r_abc123' }).length;
    const d = buildDispatch(run({ big: 'b'.repeat(MAX_INPUTS_PAYLOAD - fixed) }), OPTS);
    assert.equal(payloadSize(d.inputs), MAX_INPUTS_PAYLOAD);
    inputsError(() => buildDispatch(run({ big: 'b'.repeat(MAX_INPUTS_PAYLOAD - fixed + 1) }), OPTS), /over GitHub's limit/);
  });

  it('passes an input named __proto__ on instead of silently dropping it', () => {
    // "__proto__" is a legal workflow_dispatch input id (letters, digits, _ and -); JSON.parse
    // makes it an own key, but assigning it to a plain {} changes the prototype instead.
    const d = buildDispatch(run(JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, unknown>), OPTS);
    assert.deepEqual(Object.keys(d.inputs).sort(), ['__proto__', 'a', 'port_run_id']);
    assert.equal(JSON.parse(JSON.stringify(d.inputs)).__proto__, 'x');
  });

  it("never mutates the run's workflowInputs", () => {
    const wi = { ref: 'main', n: 1 };
    buildDispatch(run(wi), OPTS);
    assert.deepEqual(wi, { ref: 'main', n: 1 });
  });
});

describe('maxInputsFor', () => {
  it('10 before GHES 3.21, 25 from 3.21', () => {
    assert.equal(maxInputsFor([3, 19]), 10);
    assert.equal(maxInputsFor([3, 20]), 10);
    assert.equal(maxInputsFor([3, 21]), 25);
    assert.equal(maxInputsFor([3, 22]), 25);
    assert.equal(maxInputsFor([4, 0]), 25);
    assert.equal(maxInputsFor([2, 99]), 10);
  });
});
