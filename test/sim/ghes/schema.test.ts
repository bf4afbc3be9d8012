// Every body the simulator serves for the agent's endpoints must satisfy GitHub's own
// OpenAPI description (ghes-3.19; the 3.21 dispatch response from api.github.com).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { check, componentSchema, loadSpec, responseSchema, type Spec } from './openapi-check.js';
import { startGhesSim } from './server.js';
import { call, makeJwt, until } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('GHES simulator responses match the OpenAPI description', () => {
  let sim: GhesSim;
  let ghes: Spec;
  let dotcom: Spec;
  let jwt: string;
  let inst: string;
  let runId: number;
  const pat = 'pat-schema';

  const valid = (value: unknown, path: string, method: string, status: string, spec: Spec = ghes): void => {
    const errs = check(spec, value, responseSchema(spec, path, method, status), { strict: true });
    assert.deepEqual(errs, [], `${method} ${path} ${status}:\n${errs.join('\n')}`);
  };

  before(async () => {
    ghes = loadSpec('ghes-3.19.json');
    dotcom = loadSpec('api.github.com.json');
    sim = await startGhesSim({ timeScale: 1000, runAppearDelayMs: 0 });
    sim.addRepo({ owner: 'acme', name: 'infra', branches: ['dev', 'feature', 'conflict'] });
    sim.addWorkflow('acme', 'infra', { path: 'deploy.yml', name: 'Deploy', inputs: { env: { default: 'dev' } } });
    // Requested for a real second, pending the next (timeScale 1000).
    sim.addWorkflow('acme', 'infra', { path: 'slow.yml', name: 'Slow', script: { conclusion: 'success', queuedMs: 10_000_000 } });
    sim.addToken(pat, { orgs: ['acme'], login: 'alice' });
    const id = sim.addInstallation('acme');
    jwt = makeJwt(sim.app.privateKeyPem, sim.app.appId);
    const t = await call(sim, `/app/installations/${id}/access_tokens`, { token: jwt, method: 'POST' });
    valid(t.json, '/app/installations/{installation_id}/access_tokens', 'post', '201');
    inst = t.json.token;
    const d = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/dispatches', {
      token: inst,
      method: 'POST',
      body: { ref: 'main', inputs: { env: 'prod' }, return_run_details: true },
    });
    assert.equal(d.status, 200);
    valid(d.json, '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', 'post', '200', dotcom);
    runId = d.json.workflow_run_id;
  });
  after(() => sim.close());

  it('checker rejects what it should (sanity)', () => {
    const wf = componentSchema(ghes, 'workflow');
    assert.ok(check(ghes, { id: 'x' }, wf).some((e) => e.includes('expected integer')));
    assert.ok(check(ghes, { id: 1 }, wf).some((e) => e.includes('missing required node_id')));
    const job = componentSchema(ghes, 'job');
    assert.ok(check(ghes, { status: 'bogus' }, job).some((e) => e.includes('not in enum')));
    assert.ok(
      check(ghes, { id: 1, extra: true }, componentSchema(ghes, 'referenced-workflow'), { strict: true }).some((e) =>
        e.includes('undeclared'),
      ),
    );
  });

  it('GET /meta', async () => {
    const r = await call(sim, '/meta');
    valid(r.json, '/meta', 'get', '200');
    assert.equal(r.json.installed_version, '3.21.0');
  });

  it('GET /repos/{owner}/{repo}', async () => {
    const r = await call(sim, '/repos/acme/infra', { token: pat });
    valid(r.json, '/repos/{owner}/{repo}', 'get', '200');
    assert.equal(r.json.default_branch, 'main');
    assert.equal(r.json.full_name, 'acme/infra');
  });

  it('GET workflows list and one workflow by file name and id', async () => {
    const l = await call(sim, '/repos/acme/infra/actions/workflows', { token: pat });
    valid(l.json, '/repos/{owner}/{repo}/actions/workflows', 'get', '200');
    const byName = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml', { token: pat });
    valid(byName.json, '/repos/{owner}/{repo}/actions/workflows/{workflow_id}', 'get', '200');
    const byId = await call(sim, `/repos/acme/infra/actions/workflows/${byName.json.id}`, { token: pat });
    assert.deepEqual(byId.json, byName.json);
    assert.equal(byName.json.path, '.github/workflows/deploy.yml');
  });

  it('GET run, run lists and jobs (queued and completed)', async () => {
    const check1 = async (): Promise<void> => {
      const run = await call(sim, `/repos/acme/infra/actions/runs/${runId}`, { token: inst });
      valid(run.json, '/repos/{owner}/{repo}/actions/runs/{run_id}', 'get', '200');
      const list = await call(sim, '/repos/acme/infra/actions/runs', { token: inst });
      valid(list.json, '/repos/{owner}/{repo}/actions/runs', 'get', '200');
      const wl = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/runs', { token: inst });
      valid(wl.json, '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', 'get', '200');
      const jobs = await call(sim, `/repos/acme/infra/actions/runs/${runId}/jobs`, { token: inst });
      valid(jobs.json, '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', 'get', '200');
    };
    await check1();
    await until(() => sim.runs()[0]?.status === 'completed');
    await check1();
    const r = await call(sim, `/repos/acme/infra/actions/runs/${runId}`, { token: inst });
    assert.equal(r.json.actor.login, `${sim.app.slug}[bot]`);
    assert.equal(r.json.conclusion, 'success');
  });

  it('a run and its job while requested, then pending (the statuses before queued)', async () => {
    const d = await call(sim, '/repos/acme/infra/actions/workflows/slow.yml/dispatches', {
      token: inst,
      method: 'POST',
      body: { ref: 'main', return_run_details: true },
    });
    const id = d.json.workflow_run_id;
    const checkNow = async (status: string) => {
      const run = await call(sim, `/repos/acme/infra/actions/runs/${id}`, { token: inst });
      assert.equal(run.json.status, status);
      valid(run.json, '/repos/{owner}/{repo}/actions/runs/{run_id}', 'get', '200');
      const jobs = await call(sim, `/repos/acme/infra/actions/runs/${id}/jobs`, { token: inst });
      assert.equal(jobs.json.jobs[0].status, status);
      valid(jobs.json, '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', 'get', '200');
    };
    await checkNow('requested');
    await until(() => sim.runs().find((r) => r.id === id)?.status === 'pending', 3000);
    await checkNow('pending');
  });

  it("GET /user (a PAT's owner) and the installation on a user account", async () => {
    const me = await call(sim, '/user', { token: pat });
    valid(me.json, '/user', 'get', '200');
    assert.equal(me.json.login, 'alice');
    const forbidden = await call(sim, '/user', { token: inst });
    assert.equal(forbidden.status, 403);
    valid(forbidden.json, '/user', 'get', '403');
    sim.addRepo({ owner: 'dana', name: 'dots' });
    sim.addInstallation('dana');
    valid((await call(sim, '/users/dana/installation', { token: jwt })).json, '/users/{username}/installation', 'get', '200');
  });

  it('POST rerun answers an empty object', async () => {
    await until(() => sim.runs()[0]?.status === 'completed');
    const r = await call(sim, `/repos/acme/infra/actions/runs/${runId}/rerun`, { token: inst, method: 'POST' });
    assert.equal(r.status, 201);
    valid(r.json, '/repos/{owner}/{repo}/actions/runs/{run_id}/rerun', 'post', '201');
  });

  it('App endpoints: /app, installation by org and by repo', async () => {
    valid((await call(sim, '/app', { token: jwt })).json, '/app', 'get', '200');
    valid((await call(sim, '/orgs/acme/installation', { token: jwt })).json, '/orgs/{org}/installation', 'get', '200');
    valid((await call(sim, '/repos/acme/infra/installation', { token: jwt })).json, '/repos/{owner}/{repo}/installation', 'get', '200');
  });

  // Issue 24, item 6: the routes Port's GitHub Ocean executors use (agent/github/ghes-routes.ts).
  it('pull requests: create, list by head and base, get, update, merge, check-if-merged, reviews', async () => {
    const c = await call(sim, '/repos/acme/infra/pulls', {
      token: inst,
      method: 'POST',
      body: { title: 'Add feature', head: 'feature', base: 'main', body: 'marker r_1' },
    });
    assert.equal(c.status, 201);
    valid(c.json, '/repos/{owner}/{repo}/pulls', 'post', '201');
    assert.equal(c.headers.get('location'), c.json.url);
    const n = c.json.number;
    const l = await call(sim, '/repos/acme/infra/pulls?head=acme:feature&base=main', { token: inst });
    valid(l.json, '/repos/{owner}/{repo}/pulls', 'get', '200');
    assert.deepEqual(
      l.json.map((p: { number: number }) => p.number),
      [n],
    );
    valid(
      (await call(sim, `/repos/acme/infra/pulls/${n}`, { token: inst })).json,
      '/repos/{owner}/{repo}/pulls/{pull_number}',
      'get',
      '200',
    );
    const u = await call(sim, `/repos/acme/infra/pulls/${n}`, { token: inst, method: 'PATCH', body: { title: 'Add the feature' } });
    valid(u.json, '/repos/{owner}/{repo}/pulls/{pull_number}', 'patch', '200');
    const rv = await call(sim, `/repos/acme/infra/pulls/${n}/reviews`, { token: pat, method: 'POST', body: { event: 'APPROVE' } });
    valid(rv.json, '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'post', '200');
    valid(
      (await call(sim, `/repos/acme/infra/pulls/${n}/reviews`, { token: pat })).json,
      '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      'get',
      '200',
    );
    const m = await call(sim, `/repos/acme/infra/pulls/${n}/merge`, { token: inst, method: 'PUT', body: { merge_method: 'squash' } });
    assert.equal(m.status, 200);
    valid(m.json, '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'put', '200');
    assert.equal((await call(sim, `/repos/acme/infra/pulls/${n}/merge`, { token: inst })).status, 204);
    const merged = await call(sim, `/repos/acme/infra/pulls/${n}`, { token: inst });
    valid(merged.json, '/repos/{owner}/{repo}/pulls/{pull_number}', 'get', '200');
    assert.equal(merged.json.merged, true);
    assert.equal(merged.json.state, 'closed');
  });

  it('pull requests: the documented refusals (422 existing and invalid head, 405 not mergeable, 409 head moved, 404)', async () => {
    const c = await call(sim, '/repos/acme/infra/pulls', {
      token: inst,
      method: 'POST',
      body: { title: 'Conflict', head: 'acme:conflict', base: 'main' },
    });
    assert.equal(c.status, 201);
    const again = await call(sim, '/repos/acme/infra/pulls', {
      token: inst,
      method: 'POST',
      body: { title: 'Conflict', head: 'conflict', base: 'main' },
    });
    assert.equal(again.status, 422);
    valid(again.json, '/repos/{owner}/{repo}/pulls', 'post', '422');
    assert.equal(again.json.errors[0].message, 'A pull request already exists for acme:conflict.');
    const badHead = await call(sim, '/repos/acme/infra/pulls', {
      token: inst,
      method: 'POST',
      body: { title: 'x', head: 'nope', base: 'main' },
    });
    assert.equal(badHead.status, 422);
    assert.deepEqual(badHead.json.errors, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    const moved = await call(sim, `/repos/acme/infra/pulls/${c.json.number}/merge`, {
      token: inst,
      method: 'PUT',
      body: { sha: '0'.repeat(40) },
    });
    assert.equal(moved.status, 409);
    valid(moved.json, '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'put', '409');
    sim.tracker.setMergeState('acme', 'infra', c.json.number, 'dirty');
    const pr = await call(sim, `/repos/acme/infra/pulls/${c.json.number}`, { token: inst });
    assert.equal(pr.json.mergeable, false);
    assert.equal(pr.json.mergeable_state, 'dirty');
    const conflict = await call(sim, `/repos/acme/infra/pulls/${c.json.number}/merge`, { token: inst, method: 'PUT', body: {} });
    assert.equal(conflict.status, 405);
    valid(conflict.json, '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'put', '405');
    assert.equal(conflict.json.message, 'Pull Request is not mergeable');
    const missing = await call(sim, '/repos/acme/infra/pulls/9999', { token: inst });
    assert.equal(missing.status, 404);
    valid(missing.json, '/repos/{owner}/{repo}/pulls/{pull_number}', 'get', '404');
  });

  it('issues and their comments: create, list, get, edit, close; comment create, list, get, edit, delete', async () => {
    const c = await call(sim, '/repos/acme/infra/issues', {
      token: inst,
      method: 'POST',
      body: { title: 'Broken', body: 'port-run: r_2', labels: ['bug'], assignees: ['alice'] },
    });
    assert.equal(c.status, 201);
    valid(c.json, '/repos/{owner}/{repo}/issues', 'post', '201');
    const n = c.json.number;
    const l = await call(sim, `/repos/acme/infra/issues?creator=${encodeURIComponent(`${sim.app.slug}[bot]`)}&state=all`, { token: inst });
    valid(l.json, '/repos/{owner}/{repo}/issues', 'get', '200');
    assert.ok(l.json.some((i: { number: number }) => i.number === n));
    valid(
      (await call(sim, `/repos/acme/infra/issues/${n}`, { token: inst })).json,
      '/repos/{owner}/{repo}/issues/{issue_number}',
      'get',
      '200',
    );
    const closed = await call(sim, `/repos/acme/infra/issues/${n}`, {
      token: inst,
      method: 'PATCH',
      body: { state: 'closed', state_reason: 'not_planned' },
    });
    valid(closed.json, '/repos/{owner}/{repo}/issues/{issue_number}', 'patch', '200');
    assert.equal(closed.json.state_reason, 'not_planned');
    const k = await call(sim, `/repos/acme/infra/issues/${n}/comments`, { token: inst, method: 'POST', body: { body: 'hello' } });
    assert.equal(k.status, 201);
    valid(k.json, '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'post', '201');
    valid(
      (await call(sim, `/repos/acme/infra/issues/${n}/comments`, { token: inst })).json,
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      'get',
      '200',
    );
    valid(
      (await call(sim, `/repos/acme/infra/issues/comments/${k.json.id}`, { token: inst })).json,
      '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      'get',
      '200',
    );
    const e = await call(sim, `/repos/acme/infra/issues/comments/${k.json.id}`, { token: inst, method: 'PATCH', body: { body: 'edited' } });
    valid(e.json, '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'patch', '200');
    assert.equal((await call(sim, `/repos/acme/infra/issues/comments/${k.json.id}`, { token: inst, method: 'DELETE' })).status, 204);
    const gone = await call(sim, `/repos/acme/infra/issues/comments/${k.json.id}`, { token: inst, method: 'DELETE' });
    assert.equal(gone.status, 404);
    // DELETE documents only 204; its 404 body is basic-error, as GET's.
    valid(gone.json, '/repos/{owner}/{repo}/issues/{issue_number}', 'get', '404');
    const bad = await call(sim, '/repos/acme/infra/issues', { token: inst, method: 'POST', body: { body: 'no title' } });
    assert.equal(bad.status, 422);
    valid(bad.json, '/repos/{owner}/{repo}/issues', 'post', '422');
  });

  it("issue and comment edits' documented refusals (edit_issue, close_issue, edit/delete_pr_comment): 410, 422, 404 of another repository's comment", async () => {
    sim.addRepo({ owner: 'acme', name: 'quiet', hasIssues: false });
    sim.addRepo({ owner: 'acme', name: 'other' });
    const off = await call(sim, '/repos/acme/quiet/issues/1', { token: inst, method: 'PATCH', body: { title: 'x' } });
    assert.equal(off.status, 410);
    valid(off.json, '/repos/{owner}/{repo}/issues/{issue_number}', 'patch', '410');
    assert.equal(off.json.message, 'Issues are disabled for this repo');
    const created = await call(sim, '/repos/acme/quiet/issues', { token: inst, method: 'POST', body: { title: 'x' } });
    assert.equal(created.status, 410);
    valid(created.json, '/repos/{owner}/{repo}/issues', 'post', '410');
    const i = await call(sim, '/repos/acme/infra/issues', { token: inst, method: 'POST', body: { title: 'Edit me' } });
    const path = `/repos/acme/infra/issues/${i.json.number}`;
    const milestone = await call(sim, path, { token: inst, method: 'PATCH', body: { milestone: 3 } });
    assert.equal(milestone.status, 422);
    valid(milestone.json, '/repos/{owner}/{repo}/issues/{issue_number}', 'patch', '422');
    const noCanonical = await call(sim, path, { token: inst, method: 'PATCH', body: { state: 'closed', state_reason: 'duplicate' } });
    assert.equal(noCanonical.status, 422);
    const canonical = await call(sim, '/repos/acme/infra/issues', { token: inst, method: 'POST', body: { title: 'Canonical' } });
    const dup = await call(sim, path, {
      token: inst,
      method: 'PATCH',
      body: { state: 'closed', state_reason: 'duplicate', duplicate_issue_id: canonical.json.id, milestone: null },
    });
    assert.equal(dup.status, 200);
    valid(dup.json, '/repos/{owner}/{repo}/issues/{issue_number}', 'patch', '200');
    assert.deepEqual([dup.json.state, dup.json.state_reason], ['closed', 'duplicate']);
    // A comment id is global on GitHub, but the routes carry owner and repository: under another one it is not found.
    const o = await call(sim, '/repos/acme/other/issues', { token: inst, method: 'POST', body: { title: 'Elsewhere' } });
    const k = await call(sim, `/repos/acme/other/issues/${o.json.number}/comments`, {
      token: inst,
      method: 'POST',
      body: { body: 'keep' },
    });
    const cross = `/repos/acme/infra/issues/comments/${k.json.id}`;
    const edit = await call(sim, cross, { token: inst, method: 'PATCH', body: { body: 'taken over' } });
    assert.equal(edit.status, 404);
    valid(edit.json, '/repos/{owner}/{repo}/issues/{issue_number}', 'get', '404');
    assert.equal((await call(sim, cross, { token: inst, method: 'DELETE' })).status, 404);
    const still = await call(sim, `/repos/acme/other/issues/comments/${k.json.id}`, { token: inst });
    assert.equal(still.json.body, 'keep');
    const empty = await call(sim, `/repos/acme/other/issues/comments/${k.json.id}`, { token: inst, method: 'PATCH', body: { body: '' } });
    assert.equal(empty.status, 422);
    valid(empty.json, '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'patch', '422');
  });

  it('GET /search/issues finds an issue by a marker in its body', async () => {
    await call(sim, '/repos/acme/infra/issues', {
      token: inst,
      method: 'POST',
      body: { title: 'Found', body: 'made by port run r_search_1' },
    });
    const r = await call(sim, `/search/issues?q=${encodeURIComponent('repo:acme/infra is:issue in:body "r_search_1"')}`, { token: inst });
    assert.equal(r.status, 200);
    valid(r.json, '/search/issues', 'get', '200');
    assert.equal(r.json.total_count, 1);
    assert.equal(r.json.items[0].title, 'Found');
  });

  it('custom properties: schema, organization values, repository values', async () => {
    sim.tracker.defineProperty('acme', { name: 'team', valueType: 'single_select', allowedValues: ['core', 'web'] });
    sim.tracker.defineProperty('acme', { name: 'owner', valueType: 'string' });
    sim.addInstallation('acme', { permissions: { organization_custom_properties: 'write', repository_custom_properties: 'write' } });
    const schema = await call(sim, '/orgs/acme/properties/schema', { token: pat });
    valid(schema.json, '/orgs/{org}/properties/schema', 'get', '200');
    assert.equal(
      (
        await call(sim, '/orgs/acme/properties/values', {
          token: pat,
          method: 'PATCH',
          body: { repository_names: ['infra'], properties: [{ property_name: 'team', value: 'core' }] },
        })
      ).status,
      204,
    );
    assert.equal(
      (
        await call(sim, '/repos/acme/infra/properties/values', {
          token: pat,
          method: 'PATCH',
          body: { properties: [{ property_name: 'owner', value: 'alice' }] },
        })
      ).status,
      204,
    );
    const repoValues = await call(sim, '/repos/acme/infra/properties/values', { token: pat });
    valid(repoValues.json, '/repos/{owner}/{repo}/properties/values', 'get', '200');
    assert.deepEqual(repoValues.json, [
      { property_name: 'team', value: 'core' },
      { property_name: 'owner', value: 'alice' },
    ]);
    const orgValues = await call(sim, '/orgs/acme/properties/values', { token: pat });
    valid(orgValues.json, '/orgs/{org}/properties/values', 'get', '200');
    const bad = await call(sim, '/repos/acme/infra/properties/values', {
      token: pat,
      method: 'PATCH',
      body: { properties: [{ property_name: 'team', value: 'nope' }] },
    });
    assert.equal(bad.status, 422);
    valid(bad.json, '/repos/{owner}/{repo}/properties/values', 'patch', '422');
  });

  it('error bodies (401, 403, 404, 422) are basic-error / validation-error', async () => {
    const e401 = await call(sim, '/repos/acme/infra', { token: 'nope' });
    assert.equal(e401.status, 401);
    valid(e401.json, '/app/installations/{installation_id}/access_tokens', 'post', '401');
    sim.addToken('pat-other', { orgs: ['other'] });
    const e403 = await call(sim, '/repos/acme/infra', { token: 'pat-other' });
    assert.equal(e403.status, 403);
    valid(e403.json, '/repos/{owner}/{repo}', 'get', '403');
    const e404 = await call(sim, '/repos/acme/nope', { token: pat });
    assert.equal(e404.status, 404);
    valid(e404.json, '/repos/{owner}/{repo}', 'get', '404');
    const e422 = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/dispatches', {
      token: pat,
      method: 'POST',
      body: { ref: 'nope' },
    });
    assert.equal(e422.status, 422);
    valid(e422.json, '/app/installations/{installation_id}/access_tokens', 'post', '422');
  });
});
