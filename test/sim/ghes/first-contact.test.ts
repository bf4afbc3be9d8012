// What a real GHES does that the simulator used to leave out (issue 12): a clock of its own in
// every Date header and in its JWT checks, faults after a request took effect, runs that reach
// the lists late, the 1,000-result cap of filtered lists, x-poll-interval, ETags that change
// with every installation token, and the routes the agent added (GET /user, installation by user).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { JWT_MESSAGES } from './jwt.js';
import { startGhesSim } from './server.js';
import { call, makeJwt, sleep } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('GHES simulator: first contact with the real thing', () => {
  let sim: GhesSim;
  let inst: number;
  const pat = 'pat-first';
  const jwt = (o: Parameters<typeof makeJwt>[2] = {}) => makeJwt(sim.app.privateKeyPem, sim.app.appId, o);
  const token = async () =>
    (await call(sim, `/app/installations/${inst}/access_tokens`, { token: jwt(), method: 'POST' })).json.token as string;
  const dispatch = (t: string, inputs: Record<string, string> = {}) =>
    call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/dispatches', { token: t, method: 'POST', body: { ref: 'main', inputs } });

  before(async () => {
    sim = await startGhesSim({ version: '3.19.0', runAppearDelayMs: 0, timeScale: 1000 });
    sim.addRepo({ owner: 'acme', name: 'infra' });
    sim.addWorkflow('acme', 'infra', { path: 'deploy.yml', inputs: { id: {} }, runName: 'D ${{ inputs.id }}' });
    sim.addToken(pat, { orgs: ['acme'], login: 'alice' });
    inst = sim.addInstallation('acme');
  });
  afterEach(() => {
    sim.clearFaults();
    sim.setClockOffset(0);
    sim.setRunTiming({ appearDelayMs: 0, listLagMs: 0 });
  });
  after(() => sim.close());

  it('a settable clock: Date headers, created_at and JWT checks follow the appliance, not the caller', async () => {
    sim.setClockOffset(-120_000);
    for (const r of [await call(sim, '/meta'), await call(sim, '/repos/acme/infra', { token: 'bad' }), await call(sim, '/nope')]) {
      const skew = Date.parse(r.headers.get('date')!) - Date.now();
      assert.ok(Math.abs(skew + 120_000) < 2000, `Date ${r.headers.get('date')} is not 120 s behind`);
    }
    // auth-app's JWT (iat = now - 30 s, exp = iat + 600 s) from a caller 120 s ahead: exp is too far.
    const callerNowS = Math.floor(Date.now() / 1000);
    const r = await call(sim, '/app', { token: jwt({ nowS: callerNowS, iatOffsetS: -30, lifetimeS: 600 }) });
    assert.equal(r.status, 401);
    assert.equal(r.json.message, JWT_MESSAGES.tooFar);
    // The same JWT made on the appliance's clock is accepted.
    assert.equal((await call(sim, '/app', { token: jwt({ nowS: callerNowS - 120, iatOffsetS: -30, lifetimeS: 600 }) })).status, 200);
    // 20 s ahead without backdating: the caller's iat is in the appliance's future.
    sim.setClockOffset(-20_000);
    assert.equal(
      (await call(sim, '/app', { token: jwt({ nowS: callerNowS, iatOffsetS: 0, lifetimeS: 540 }) })).json.message,
      JWT_MESSAGES.iatFuture,
    );
    // auth-app's own backdating (30 s) absorbs that much.
    assert.equal((await call(sim, '/app', { token: jwt({ nowS: callerNowS, iatOffsetS: -30, lifetimeS: 600 }) })).status, 200);
    sim.setClockOffset(0);
    await dispatch(pat, { id: 'clock' });
    const run = sim.runs().at(-1)!;
    assert.ok(Math.abs(Date.parse(run.createdAt) - Date.now()) < 2000);
  });

  it('a fault after the request took effect: the dispatch created its run, then 502 or a dropped connection', async () => {
    const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
    const before = sim.runs().length;
    sim.fault({ route, kind: 'status', status: 502, when: 'after', count: 1 });
    const r = await dispatch(pat, { id: 'after-502' });
    assert.equal(r.status, 502);
    assert.equal(sim.runs().length, before + 1, 'the run exists although the answer was 502');
    assert.equal(sim.requests().at(-1)!.faultWhen, 'after');
    sim.fault({ route, kind: 'reset', when: 'after', count: 1 });
    await assert.rejects(dispatch(pat, { id: 'after-reset' }));
    assert.equal(sim.runs().length, before + 2, 'the run exists although the connection dropped');
    // Before (the default): no effect.
    sim.fault({ route, kind: 'status', status: 502, count: 1 });
    assert.equal((await dispatch(pat, { id: 'before-502' })).status, 502);
    assert.equal(sim.runs().length, before + 2);
    assert.equal(sim.requests().at(-1)!.faultWhen, 'before');
  });

  it('runs are created after a delay and reach the lists later still; GET by id sees them first', async () => {
    sim.setRunTiming({ appearDelayMs: 150, listLagMs: 300 });
    await dispatch(pat, { id: 'late' });
    const id = sim.dispatches().at(-1)!.runId!;
    const listed = async () =>
      (await call(sim, '/repos/acme/infra/actions/runs?event=workflow_dispatch', { token: pat })).json.workflow_runs.some(
        (r: { id: number }) => r.id === id,
      );
    assert.equal((await call(sim, `/repos/acme/infra/actions/runs/${id}`, { token: pat })).status, 404);
    await sleep(200);
    assert.equal((await call(sim, `/repos/acme/infra/actions/runs/${id}`, { token: pat })).status, 200);
    assert.equal(await listed(), false);
    await sleep(300);
    assert.equal(await listed(), true);
  });

  it('filtered lists reach 1,000 results at most, and say total_count 1,000; unfiltered lists reach all', async () => {
    const small = await startGhesSim({ searchCap: 50 });
    try {
      small.addRepo({ owner: 'o', name: 'r' });
      small.addWorkflow('o', 'r', { path: 'w.yml' });
      small.addToken('p', { all: true });
      small.addRuns({ owner: 'o', repo: 'r', workflow: 'w.yml', count: 70 });
      const get = async (q: string) => (await call(small, `/repos/o/r/actions/runs?${q}`, { token: 'p' })).json;
      const p1 = await get('event=workflow_dispatch&per_page=40');
      assert.equal(p1.total_count, 50);
      assert.equal((await get('event=workflow_dispatch&per_page=40&page=2')).workflow_runs.length, 10);
      assert.equal((await get('event=workflow_dispatch&per_page=40&page=3')).workflow_runs.length, 0);
      assert.equal((await get('per_page=40&page=2')).total_count, 70);
      assert.equal((await get('per_page=40&page=2')).workflow_runs.length, 30);
    } finally {
      await small.close();
    }
    // The real default.
    const r = await call(sim, '/repos/acme/infra/actions/runs?event=workflow_dispatch', { token: pat });
    assert.ok(r.json.total_count < 1000);
  });

  it('x-poll-interval on run lists, 304s included', async () => {
    const first = await call(sim, '/repos/acme/infra/actions/runs?status=completed', { token: pat });
    assert.equal(first.headers.get('x-poll-interval'), '1');
    const again = await call(sim, '/repos/acme/infra/actions/runs?status=completed', {
      token: pat,
      headers: { 'if-none-match': first.headers.get('etag')! },
    });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('x-poll-interval'), '1');
    assert.equal((await call(sim, '/repos/acme/infra', { token: pat })).headers.get('x-poll-interval'), null);
  });

  it("a list's ETag is per token: a renewed installation token gets a 200 for an unchanged list", async () => {
    const a = await token();
    const b = await token();
    const path = '/repos/acme/infra/actions/runs?status=completed';
    const withA = await call(sim, path, { token: a });
    assert.equal((await call(sim, path, { token: a, headers: { 'if-none-match': withA.headers.get('etag')! } })).status, 304);
    const withB = await call(sim, path, { token: b, headers: { 'if-none-match': withA.headers.get('etag')! } });
    assert.equal(withB.status, 200, 'same installation, same list, new token: a new ETag');
    assert.notEqual(withB.headers.get('etag'), withA.headers.get('etag'));
  });

  it("GET /user names a token's owner (installation tokens are refused); installation by user account", async () => {
    const me = await call(sim, '/user', { token: pat });
    assert.equal(me.status, 200);
    assert.equal(me.json.login, 'alice');
    const t = await token();
    assert.equal((await call(sim, '/user', { token: t })).status, 403);
    sim.addRepo({ owner: 'bob', name: 'dots' });
    const bobInst = sim.addInstallation('bob');
    assert.equal((await call(sim, '/users/bob/installation', { token: jwt() })).json.id, bobInst);
    assert.equal((await call(sim, '/users/nobody/installation', { token: jwt() })).status, 404);
  });

  it("uninstalling revokes the installation's tokens; a reinstall has a new id", async () => {
    const t = await token();
    assert.equal((await call(sim, '/repos/acme/infra', { token: t })).status, 200);
    sim.removeInstallation(inst);
    const revoked = await call(sim, '/repos/acme/infra', { token: t });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.json.message, 'Bad credentials');
    assert.equal((await call(sim, `/app/installations/${inst}/access_tokens`, { token: jwt(), method: 'POST' })).status, 404);
    const again = sim.addInstallation('acme');
    assert.notEqual(again, inst);
    assert.equal((await call(sim, '/orgs/acme/installation', { token: jwt() })).json.id, again);
    inst = again;
  });

  it('onDispatch sees each accepted dispatch; addRuns creates runs as someone else', async () => {
    const seen: string[] = [];
    const off = sim.onDispatch((d) => seen.push(String(d.inputs.id)));
    await dispatch(pat, { id: 'seen' });
    off();
    await dispatch(pat, { id: 'unseen' });
    assert.deepEqual(seen, ['seen']);
    const ids = sim.addRuns({ owner: 'acme', repo: 'infra', workflow: 'deploy.yml', count: 3, actor: 'carol', inputs: { id: 'x' } });
    assert.equal(ids.length, 3);
    const carol = (await call(sim, '/repos/acme/infra/actions/runs?actor=carol', { token: pat })).json;
    assert.deepEqual(carol.workflow_runs.map((r: { id: number }) => r.id).sort(), [...ids].sort());
    assert.equal(carol.workflow_runs[0].display_title, 'D x');
  });
});
