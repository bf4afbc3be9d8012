// Issue 24, item 6: the pull-request, issue, comment and custom-property routes behave as GitHub
// documents, and faults before and after effect leave what a retry must find (the agent's
// at-most-once rests on it: a write whose answer was lost is found by head/base or by a marker).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGhesSim } from './server.js';
import { call, makeJwt } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('GHES simulator: pull requests, issues, comments, custom properties', () => {
  let sim: GhesSim;
  let inst: string;
  const pat = 'pat-tracker';
  const bot = (): string => `${sim.app.slug}[bot]`;

  before(async () => {
    sim = await startGhesSim({ timeScale: 1000, runAppearDelayMs: 0 });
    sim.addRepo({ owner: 'acme', name: 'infra', branches: ['a', 'b', 'c', 'd', 'e'] });
    sim.addRepo({ owner: 'other', name: 'secret', branches: ['x'] });
    sim.addToken(pat, { orgs: ['acme'], login: 'alice' });
    const id = sim.addInstallation('acme');
    const t = await call(sim, `/app/installations/${id}/access_tokens`, { token: makeJwt(sim.app.privateKeyPem, sim.app.appId), method: 'POST' });
    inst = t.json.token;
  });
  after(() => sim.close());

  const openPull = (head: string, token = inst) => call(sim, '/repos/acme/infra/pulls', { token, method: 'POST', body: { title: `PR ${head}`, head, base: 'main' } });

  it('a pull request created behind a 502 (after effect) exists once: the retry gets 422 and the list by owner:head finds it', async () => {
    sim.fault({ route: 'POST /repos/{owner}/{repo}/pulls', kind: 'status', status: 502, when: 'after', count: 1 });
    assert.equal((await openPull('a')).status, 502);
    assert.equal(sim.tracker.pulls().filter((p) => p.head === 'a').length, 1, 'the write took effect');
    const retry = await openPull('a');
    assert.equal(retry.status, 422);
    assert.match(retry.json.errors[0].message, /already exists for acme:a/);
    const found = await call(sim, '/repos/acme/infra/pulls?head=acme:a&base=main&state=all', { token: inst });
    assert.equal(found.json.length, 1);
    assert.equal(found.json[0].user.login, bot());
    assert.equal(sim.tracker.pulls().filter((p) => p.head === 'a').length, 1);
  });

  it('a fault before effect (a 503 or a dropped connection) creates nothing', async () => {
    sim.fault({ route: 'POST /repos/{owner}/{repo}/pulls', kind: 'outage', count: 1 });
    assert.equal((await openPull('b')).status, 503);
    sim.fault({ route: 'POST /repos/{owner}/{repo}/issues', kind: 'reset', count: 1 });
    await assert.rejects(call(sim, '/repos/acme/infra/issues', { token: inst, method: 'POST', body: { title: 'lost' } }));
    assert.equal(sim.tracker.pulls().filter((p) => p.head === 'b').length, 0);
    assert.equal(sim.tracker.issues().filter((i) => i.title === 'lost').length, 0);
  });

  it('list by head ignores a bare branch name, as GitHub does: only owner:branch filters', async () => {
    assert.equal((await openPull('c')).status, 201);
    const bare = await call(sim, '/repos/acme/infra/pulls?head=c', { token: inst });
    const qualified = await call(sim, '/repos/acme/infra/pulls?head=acme:c', { token: inst });
    assert.ok(bare.json.length > 1, 'every open pull request is listed');
    assert.deepEqual(qualified.json.map((p: { head: { ref: string } }) => p.head.ref), ['c']);
  });

  it('an issue and a comment written behind a lost answer are found by the marker in their body', async () => {
    const marker = 'port-run-id: r_lost_1';
    sim.fault({ route: 'POST /repos/{owner}/{repo}/issues', kind: 'reset', when: 'after', count: 1 });
    await assert.rejects(call(sim, '/repos/acme/infra/issues', { token: inst, method: 'POST', body: { title: 'From Port', body: `text\n\n${marker}` } }));
    const byCreator = await call(sim, `/repos/acme/infra/issues?creator=${encodeURIComponent(bot())}&state=all`, { token: inst });
    // The issue list carries pull requests too (every pull request is an issue), bodies may be null.
    assert.equal(byCreator.json.filter((i: { body: string | null }) => i.body?.includes(marker)).length, 1);
    const search = await call(sim, `/search/issues?q=${encodeURIComponent(`repo:acme/infra is:issue author:app/${sim.app.slug} in:body "${marker}"`)}`, { token: inst });
    assert.equal(search.json.total_count, 1);
    const n = search.json.items[0].number;
    sim.fault({ route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', kind: 'status', status: 500, when: 'after', count: 1 });
    assert.equal((await call(sim, `/repos/acme/infra/issues/${n}/comments`, { token: inst, method: 'POST', body: { body: `done\n${marker}` } })).status, 500);
    const comments = await call(sim, `/repos/acme/infra/issues/${n}/comments`, { token: inst });
    assert.equal(comments.json.filter((c: { body: string }) => c.body.includes(marker)).length, 1);
    // Someone else can plant the marker too: the author tells them apart.
    sim.tracker.addComment('acme', 'infra', n, { body: marker, user: 'mallory' });
    const all = await call(sim, `/repos/acme/infra/issues/${n}/comments`, { token: inst });
    assert.deepEqual(all.json.filter((c: { body: string }) => c.body.includes(marker)).map((c: { user: { login: string } }) => c.user.login), [bot(), 'mallory']);
  });

  it('search lags the write (searchLagMs); the repository list does not', async () => {
    const lagged = await startGhesSim({ searchLagMs: 60_000 });
    try {
      lagged.addRepo({ owner: 'acme', name: 'infra' });
      lagged.addToken(pat, { orgs: ['acme'], login: 'alice' });
      await call(lagged, '/repos/acme/infra/issues', { token: pat, method: 'POST', body: { title: 'new', body: 'r_lag_1' } });
      const s = await call(lagged, `/search/issues?q=${encodeURIComponent('repo:acme/infra r_lag_1')}`, { token: pat });
      assert.equal(s.json.total_count, 0);
      const l = await call(lagged, '/repos/acme/infra/issues?creator=alice', { token: pat });
      assert.equal(l.json.length, 1);
    } finally {
      await lagged.close();
    }
  });

  it('lists carry ETags (304 until something changes) and Link pagination', async () => {
    const path = '/repos/acme/infra/issues?state=all&per_page=1';
    const first = await call(sim, path, { token: inst });
    assert.match(first.headers.get('link') ?? '', /rel="next"/);
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^W\//);
    assert.equal((await call(sim, path, { token: inst, headers: { 'if-none-match': etag } })).status, 304);
    await call(sim, '/repos/acme/infra/issues', { token: inst, method: 'POST', body: { title: 'newer' } });
    const changed = await call(sim, path, { token: inst, headers: { 'if-none-match': etag } });
    assert.equal(changed.status, 200);
    assert.equal(changed.json[0].title, 'newer');
  });

  it('who may write: another organization is refused, an installation without the permission gets 403', async () => {
    assert.equal((await call(sim, '/repos/other/secret/pulls', { token: inst, method: 'POST', body: { title: 't', head: 'x', base: 'main' } })).status, 403);
    sim.addRepo({ owner: 'lean', name: 'app', branches: ['f'] });
    const id = sim.addInstallation('lean', { permissions: { actions: 'write', contents: 'read', metadata: 'read' } });
    const t = await call(sim, `/app/installations/${id}/access_tokens`, { token: makeJwt(sim.app.privateKeyPem, sim.app.appId), method: 'POST' });
    const r = await call(sim, '/repos/lean/app/pulls', { token: t.json.token, method: 'POST', body: { title: 't', head: 'f', base: 'main' } });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'Resource not accessible by integration');
    assert.equal((await call(sim, '/repos/lean/app/issues', { token: t.json.token, method: 'POST', body: { title: 't' } })).status, 403);
    assert.equal(sim.tracker.pulls().filter((p) => p.owner === 'lean').length, 0);
  });

  it('merge: 405 once merged (a retried merge is refused; GET …/merge says 204), review of one\'s own pull request 422', async () => {
    const c = await openPull('d');
    const n = c.json.number;
    const own = await call(sim, `/repos/acme/infra/pulls/${n}/reviews`, { token: inst, method: 'POST', body: { event: 'APPROVE' } });
    assert.equal(own.status, 422);
    const noBody = await call(sim, `/repos/acme/infra/pulls/${n}/reviews`, { token: pat, method: 'POST', body: { event: 'REQUEST_CHANGES' } });
    assert.equal(noBody.status, 422);
    sim.fault({ route: 'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', kind: 'status', status: 502, when: 'after', count: 1 });
    assert.equal((await call(sim, `/repos/acme/infra/pulls/${n}/merge`, { token: inst, method: 'PUT', body: {} })).status, 502);
    assert.equal((await call(sim, `/repos/acme/infra/pulls/${n}/merge`, { token: inst })).status, 204);
    assert.equal((await call(sim, `/repos/acme/infra/pulls/${n}/merge`, { token: inst, method: 'PUT', body: {} })).status, 405);
    assert.equal(sim.tracker.pulls().find((p) => p.number === n)?.merged, true);
  });

  it('Ocean\'s external custom-property route is in no GHES description: 404, nothing written; the documented one writes', async () => {
    sim.tracker.defineProperty('acme', { name: 'tier', valueType: 'string' });
    const body = { repository_names: ['infra'], properties: [{ property_name: 'tier', value: '1' }] };
    const r = await call(sim, '/orgs/acme/properties/installations/values', { token: inst, method: 'PATCH', body });
    assert.equal(r.status, 404);
    assert.deepEqual(sim.tracker.propertyValues('acme', 'infra'), {});
    assert.equal((await call(sim, '/orgs/acme/properties/values', { token: inst, method: 'PATCH', body })).status, 204);
    assert.deepEqual(sim.tracker.propertyValues('acme', 'infra'), { tier: '1' });
    assert.equal((await call(sim, '/orgs/acme/properties/values', { token: inst, method: 'PATCH', body: { ...body, properties: [{ property_name: 'tier', value: null }] } })).status, 204);
  });

  it('custom property values: null unsets, an undefined property or a value outside the allowed set is 422 and changes nothing', async () => {
    sim.tracker.defineProperty('acme', { name: 'env', valueType: 'single_select', allowedValues: ['prod', 'dev'] });
    const patch = (properties: unknown) => call(sim, '/repos/acme/infra/properties/values', { token: inst, method: 'PATCH', body: { properties } });
    assert.equal((await patch([{ property_name: 'env', value: 'prod' }])).status, 204);
    assert.equal((await patch([{ property_name: 'env', value: 'staging' }])).status, 422);
    assert.equal((await patch([{ property_name: 'env', value: 'dev' }, { property_name: 'nope', value: 'x' }])).status, 422);
    assert.deepEqual(sim.tracker.propertyValues('acme', 'infra'), { env: 'prod' });
    assert.equal((await patch([{ property_name: 'env', value: null }])).status, 204);
    assert.deepEqual(sim.tracker.propertyValues('acme', 'infra'), {});
    const tooMany = await call(sim, '/orgs/acme/properties/values', { token: inst, method: 'PATCH', body: { repository_names: Array.from({ length: 31 }, () => 'infra'), properties: [] } });
    assert.equal(tooMany.status, 422);
  });
});
