// Jobs with steps and failures, job logs behind a redirect to a second host that refuses the
// GHES credentials, pending deployments, cancel and force-cancel — checked against GitHub's
// OpenAPI description (ghes-3.19) and the behaviour run-control.ts cites.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { check, loadSpec, responseSchema, type Spec } from './openapi-check.js';
import { startGhesSim } from './server.js';
import { call, until } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('GHES simulator: jobs, logs, approvals, cancel', () => {
  let sim: GhesSim;
  let ghes: Spec;
  const pat = 'pat-control';
  const valid = (value: unknown, path: string, method: string, status: string): void => {
    const errs = check(ghes, value, responseSchema(ghes, path, method, status), { strict: true });
    assert.deepEqual(errs, [], `${method} ${path} ${status}:\n${errs.join('\n')}`);
  };
  const dispatch = async (wf: string): Promise<number> => {
    const d = await call(sim, `/repos/acme/infra/actions/workflows/${wf}/dispatches`, {
      token: pat,
      method: 'POST',
      body: { ref: 'main', return_run_details: true },
    });
    assert.equal(d.status, 200, d.text);
    return d.json.workflow_run_id as number;
  };
  const runOf = (id: number) => sim.runs().find((r) => r.id === id)!;

  before(async () => {
    ghes = loadSpec('ghes-3.19.json');
    sim = await startGhesSim({ version: '3.21.0', timeScale: 100, runAppearDelayMs: 0 });
    sim.addRepo({ owner: 'acme', name: 'infra' });
    sim.addToken(pat, { orgs: ['acme'], login: 'alice' });
    sim.addWorkflow('acme', 'infra', {
      path: 'fail.yml',
      script: {
        conclusion: 'failure',
        queuedMs: 100,
        durationMs: 3000,
        jobs: [
          { name: 'build', steps: [{ name: 'Checkout' }, { name: 'Compile' }] },
          {
            name: 'test',
            steps: [
              { name: 'Setup' },
              { name: 'Run tests', conclusion: 'failure', log: ['FAIL src/a.test.ts', 'Expected 1, got 2'] },
              { name: 'Upload' },
            ],
          },
        ],
      },
    });
    sim.addWorkflow('acme', 'infra', {
      path: 'gated.yml',
      script: {
        conclusion: 'success',
        queuedMs: 100,
        waitingMs: 10_000_000,
        environments: [{ name: 'production', reviewers: ['bob', 'team:platform'] }],
      },
    });
    sim.addWorkflow('acme', 'infra', {
      path: 'long.yml',
      script: { conclusion: 'success', queuedMs: 100, durationMs: 10_000_000, cancelDelayMs: 50_000 },
    });
    sim.addWorkflow('acme', 'infra', {
      path: 'stubborn.yml',
      script: { conclusion: 'success', queuedMs: 100, durationMs: 10_000_000, ignoresCancel: true },
    });
  });
  after(() => sim.close());

  it('jobs carry their steps; the failed step fails its job, later steps are skipped', async () => {
    const id = await dispatch('fail.yml');
    await until(() => runOf(id).status === 'completed', 5000);
    assert.equal(runOf(id).conclusion, 'failure');
    const r = await call(sim, `/repos/acme/infra/actions/runs/${id}/jobs`, { token: pat });
    valid(r.json, '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', 'get', '200');
    const [build, test] = r.json.jobs;
    assert.deepEqual([build.name, build.conclusion, test.name, test.conclusion], ['build', 'success', 'test', 'failure']);
    assert.deepEqual(
      test.steps.map((s: { conclusion: string }) => s.conclusion),
      ['success', 'failure', 'skipped'],
    );
  });

  it('job logs: a 302 to another host, which serves the log by its signed URL and refuses credentials', async () => {
    const id = await dispatch('fail.yml');
    await until(() => runOf(id).status === 'completed', 5000);
    const jobs = (await call(sim, `/repos/acme/infra/actions/runs/${id}/jobs`, { token: pat })).json.jobs;
    const res = await fetch(`${sim.url}/repos/acme/infra/actions/jobs/${jobs[1].id}/logs`, {
      headers: { authorization: `token ${pat}` },
      redirect: 'manual',
    });
    assert.equal(res.status, 302);
    const location = res.headers.get('location')!;
    assert.equal(new URL(location).origin, sim.storageOrigin);
    assert.notEqual(new URL(location).origin, sim.origin);
    const refused = await fetch(location, { headers: { authorization: `token ${pat}` } });
    assert.equal(refused.status, 403);
    const ok = await fetch(location);
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.match(text, /^\S+Z ##\[group\]Run Run tests$/m);
    assert.match(text, /Expected 1, got 2/);
    assert.match(text, /##\[error\]Process completed with exit code 1\./);
    assert.deepEqual(
      sim.storageRequests().map((e) => [e.status, e.authorization !== null]),
      [
        [403, true],
        [200, false],
      ],
    );
    const tampered = await fetch(location.replace(/sig=../, 'sig=00'));
    assert.equal(tampered.status, 403);
  });

  it('pending deployments while the run waits: environments and reviewers', async () => {
    const id = await dispatch('gated.yml');
    await until(() => runOf(id).status === 'waiting', 5000);
    const r = await call(sim, `/repos/acme/infra/actions/runs/${id}/pending_deployments`, { token: pat });
    valid(r.json, '/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments', 'get', '200');
    assert.equal(r.json[0].environment.name, 'production');
    assert.deepEqual(
      r.json[0].reviewers.map(
        (x: { type: string; reviewer: { login?: string; slug?: string } }) => `${x.type}:${x.reviewer.login ?? x.reviewer.slug}`,
      ),
      ['User:bob', 'Team:platform'],
    );
  });

  it('cancel: 202, the run ends cancelled after a moment; 409 once completed', async () => {
    const id = await dispatch('long.yml');
    await until(() => runOf(id).status === 'in_progress', 5000);
    const c = await call(sim, `/repos/acme/infra/actions/runs/${id}/cancel`, { token: pat, method: 'POST' });
    assert.equal(c.status, 202);
    assert.equal(runOf(id).status, 'in_progress', 'a cancel takes effect after a moment, not at once');
    await until(() => runOf(id).status === 'completed', 5000);
    assert.equal(runOf(id).conclusion, 'cancelled');
    const again = await call(sim, `/repos/acme/infra/actions/runs/${id}/cancel`, { token: pat, method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(again.json.message, 'Cannot cancel a workflow run that is completed.');
  });

  it('a cancel that does not take (if: always()); force-cancel ends it; absent before 3.17', async () => {
    const id = await dispatch('stubborn.yml');
    await until(() => runOf(id).status === 'in_progress', 5000);
    assert.equal((await call(sim, `/repos/acme/infra/actions/runs/${id}/cancel`, { token: pat, method: 'POST' })).status, 202);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(runOf(id).status, 'in_progress');
    sim.setVersion('3.16.0');
    assert.equal((await call(sim, `/repos/acme/infra/actions/runs/${id}/force-cancel`, { token: pat, method: 'POST' })).status, 404);
    sim.setVersion('3.21.0');
    assert.equal((await call(sim, `/repos/acme/infra/actions/runs/${id}/force-cancel`, { token: pat, method: 'POST' })).status, 202);
    assert.equal(runOf(id).status, 'completed');
    assert.equal(runOf(id).conclusion, 'cancelled');
  });

  it('faults after the request took effect: the cancel lands, the answer is lost', async () => {
    const id = await dispatch('long.yml');
    await until(() => runOf(id).status === 'in_progress', 5000);
    const remove = sim.fault({
      route: 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel',
      kind: 'status',
      status: 502,
      when: 'after',
      count: 1,
    });
    const c = await call(sim, `/repos/acme/infra/actions/runs/${id}/cancel`, { token: pat, method: 'POST' });
    remove();
    assert.equal(c.status, 502);
    await until(() => runOf(id).status === 'completed', 5000);
    assert.equal(runOf(id).conclusion, 'cancelled');
  });
});
