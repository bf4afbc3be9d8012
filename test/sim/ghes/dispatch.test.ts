import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startGhesSim } from './server.js';
import { call } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('workflow dispatch', () => {
  let sim: GhesSim;
  const pat = 'pat-dispatch';
  const path = '/repos/acme/infra/actions/workflows/deploy.yml/dispatches';
  const dispatch = (body: unknown, p = path) => call(sim, p, { token: pat, method: 'POST', body });

  before(async () => {
    sim = await startGhesSim({ runAppearDelayMs: 0, timeScale: 1000 });
    sim.addRepo({ owner: 'acme', name: 'infra', defaultBranch: 'main', branches: ['feature/x'], tags: ['v1.0.0'] });
    sim.addWorkflow('acme', 'infra', {
      path: 'deploy.yml',
      name: 'Deploy',
      inputs: {
        service: { required: true },
        env: { type: 'choice', options: ['dev', 'prod'], default: 'dev' },
        port_run_id: {},
      },
    });
    sim.addWorkflow('acme', 'infra', { path: 'off.yml', state: 'disabled_manually' });
    sim.addToken(pat, { repos: ['acme/infra'], login: 'alice' });
  });
  beforeEach(() => sim.setVersion('3.21.0'));
  after(() => sim.close());

  it('204 on success; the run gets effective inputs and the caller as actor', async () => {
    const r = await dispatch({ ref: 'main', inputs: { service: 'api' } });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    const d = sim.dispatches().at(-1)!;
    assert.equal(d.status, 204);
    assert.deepEqual(d.inputs, { service: 'api' });
    const run = sim.runs().find((x) => x.id === d.runId)!;
    assert.deepEqual(run.inputs, { service: 'api', env: 'dev' });
    assert.equal(run.actor, 'alice');
    assert.equal(run.headBranch, 'main');
  });

  it('return_run_details on 3.21 → 200 with run id and URLs; the run is visible at once', async () => {
    const r = await dispatch({ ref: 'main', inputs: { service: 'api' }, return_run_details: true });
    assert.equal(r.status, 200);
    const id = r.json.workflow_run_id as number;
    assert.equal(r.json.run_url, `${sim.url}/repos/acme/infra/actions/runs/${id}`);
    assert.equal(r.json.html_url, `${sim.origin}/acme/infra/actions/runs/${id}`);
    const run = await call(sim, `/repos/acme/infra/actions/runs/${id}`, { token: pat });
    assert.equal(run.status, 200);
    assert.equal(run.json.html_url, r.json.html_url);
  });

  it('return_run_details: false on 3.21 → 204', async () => {
    assert.equal((await dispatch({ ref: 'main', inputs: { service: 'a' }, return_run_details: false })).status, 204);
  });

  it('return_run_details on 3.19 → 400 "is not a permitted key", nothing dispatched', async () => {
    sim.setVersion('3.19.0');
    const before = sim.runs().length;
    const r = await dispatch({ ref: 'main', inputs: { service: 'api' }, return_run_details: true });
    assert.equal(r.status, 400);
    assert.equal(r.json.message, '"return_run_details" is not a permitted key.');
    assert.equal(r.headers.get('x-github-enterprise-version'), '3.19.0');
    assert.equal(sim.runs().length, before);
    assert.equal(sim.dispatches().at(-1)!.status, 400);
  });

  it('422 No ref found for unknown refs; branches, refs/heads, refs/tags and tag names resolve', async () => {
    for (const ref of ['nope', 'refs/heads/nope', 'refs/tags/v9']) {
      const r = await dispatch({ ref, inputs: { service: 'api' } });
      assert.equal(r.status, 422, ref);
      assert.equal(r.json.message, `No ref found for: ${ref}`);
    }
    for (const [ref, branch] of [
      ['feature/x', 'feature/x'],
      ['refs/heads/main', 'main'],
      ['refs/tags/v1.0.0', 'v1.0.0'],
      ['v1.0.0', 'v1.0.0'],
    ]) {
      const r = await dispatch({ ref, inputs: { service: 'api' } });
      assert.equal(r.status, 204, ref);
      assert.equal(sim.runs().find((x) => x.id === sim.dispatches().at(-1)!.runId)!.headBranch, branch);
    }
  });

  it('a short name that is both a branch and a tag runs the tag (SIM, as git resolves it); refs/heads/ and refs/tags/ pick one', async () => {
    sim.addRepo({ owner: 'acme', name: 'twin', defaultBranch: 'main', tags: ['main'] });
    sim.addWorkflow('acme', 'twin', { path: 'deploy.yml', inputs: { service: {} } });
    const twin = (ref: string) =>
      call(sim, '/repos/acme/twin/actions/workflows/deploy.yml/dispatches', {
        token: pat,
        method: 'POST',
        body: { ref, inputs: { service: 'api' } },
      });
    sim.addToken(pat, { repos: ['acme/infra', 'acme/twin'], login: 'alice' });
    for (const [ref, resolved] of [
      ['main', 'refs/tags/main'],
      ['refs/heads/main', 'refs/heads/main'],
      ['refs/tags/main', 'refs/tags/main'],
    ]) {
      assert.equal((await twin(ref!)).status, 204, ref);
      const d = sim.dispatches().at(-1)!;
      assert.equal(d.resolvedRef, resolved, ref);
      assert.equal(sim.runs().find((x) => x.id === d.runId)!.headBranch, 'main', 'head_branch is the short name either way');
    }
  });

  it('422 for undeclared inputs, missing required input, and a choice outside its options', async () => {
    let r = await dispatch({ ref: 'main', inputs: { service: 'api', foo: '1', bar: '2' } });
    assert.equal(r.status, 422);
    assert.equal(r.json.message, 'Unexpected inputs provided: ["foo","bar"]');
    r = await dispatch({ ref: 'main', inputs: { env: 'dev' } });
    assert.equal(r.status, 422);
    assert.equal(r.json.message, "Required input 'service' not provided");
    r = await dispatch({ ref: 'main', inputs: { service: 'api', env: 'staging' } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /not in the list of allowed values/);
  });

  it('422 for too many inputs: more than 10 before 3.21, more than 25 from it', async () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`i${i}`, 'x']));
    sim.setVersion('3.19.0');
    let r = await dispatch({ ref: 'main', inputs: many(11) });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /maximum of 10/);
    sim.setVersion('3.21.0');
    // 11 passes the count check on 3.21 and fails later, on the undeclared names.
    r = await dispatch({ ref: 'main', inputs: many(11) });
    assert.match(r.json.message, /Unexpected inputs/);
    r = await dispatch({ ref: 'main', inputs: many(26) });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /maximum of 25/);
  });

  it('422 when the inputs payload exceeds 65,535 characters', async () => {
    const r = await dispatch({ ref: 'main', inputs: { service: 'x'.repeat(65_600) } });
    assert.equal(r.status, 422);
    assert.match(r.json.message, /65535/);
    const ok = await dispatch({ ref: 'main', inputs: { service: 'x'.repeat(65_000) } });
    assert.equal(ok.status, 204);
  });

  it('404 for unknown workflow or repository; 422 for a disabled workflow; every attempt recorded', async () => {
    const n = sim.dispatches().length;
    let r = await dispatch({ ref: 'main' }, '/repos/acme/infra/actions/workflows/nope.yml/dispatches');
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'Not Found');
    r = await dispatch({ ref: 'main' }, '/repos/acme/nope/actions/workflows/deploy.yml/dispatches');
    assert.equal(r.status, 404);
    r = await dispatch({ ref: 'main' }, '/repos/acme/infra/actions/workflows/off.yml/dispatches');
    assert.equal(r.status, 422);
    assert.match(r.json.message, /disabled workflow/);
    const recorded = sim.dispatches().slice(n);
    assert.deepEqual(
      recorded.map((d) => d.status),
      [404, 404, 422],
    );
    assert.equal(recorded[0]!.workflowId, null);
  });

  it('dispatch by numeric workflow id works; malformed JSON → 400', async () => {
    const wf = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml', { token: pat });
    const r = await dispatch({ ref: 'main', inputs: { service: 'x' } }, `/repos/acme/infra/actions/workflows/${wf.json.id}/dispatches`);
    assert.equal(r.status, 204);
    const bad = await call(sim, path, { token: pat, method: 'POST', body: '{"ref":' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'Problems parsing JSON');
  });
});
