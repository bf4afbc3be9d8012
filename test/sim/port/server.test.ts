import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPortSim, type PortSim } from './server.js';
import type { GithubInvocation } from './types.js';

const invocation: GithubInvocation = {
  type: 'GITHUB',
  org: 'acme',
  repo: 'infra',
  workflow: 'deploy.yml',
  workflowInputs: { service: 'api' },
};
const creds = { orgId: 'org_test', clientId: 'cid', clientSecret: 'csecret' };

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  sim: PortSim,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(sim.url + path, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function login(sim: PortSim): Promise<string> {
  const r = await call(sim, 'POST', '/v1/auth/access_token', { body: { clientId: sim.clientId, clientSecret: sim.clientSecret } });
  assert.equal(r.status, 200);
  return r.body.accessToken as string;
}

describe('Port simulator: auth', () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let sim: PortSim;
  before(async () => {
    sim = await startPortSim({ ...creds, tokenTtlS: 60, now: () => clock });
  });
  after(() => sim.close());

  it('issues opaque expiring bearer tokens for good credentials', async () => {
    const r = await call(sim, 'POST', '/v1/auth/access_token', { body: { clientId: 'cid', clientSecret: 'csecret' } });
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true);
    assert.equal(r.body.tokenType, 'Bearer');
    assert.equal(r.body.expiresIn, 60);
    assert.match(r.body.accessToken as string, /^[\w-]+\.[\w-]+\.[\w-]{20,}$/, 'a JWT');
    const again = await login(sim);
    assert.notEqual(again, r.body.accessToken);
  });

  it('refuses bad credentials with 401 in Port error shape, a body that is not the schema with 422', async () => {
    for (const body of [
      { clientId: 'cid', clientSecret: 'wrong' },
      { clientId: 'other', clientSecret: 'csecret' },
    ]) {
      const r = await call(sim, 'POST', '/v1/auth/access_token', { body });
      assert.equal(r.status, 401);
      assert.equal(r.body.ok, false);
      assert.equal(r.body.error, 'unauthorized');
      assert.equal(typeof r.body.message, 'string');
    }
    const empty = await call(sim, 'POST', '/v1/auth/access_token', { body: {} });
    assert.equal(empty.status, 422);
    assert.match(empty.body.message as string, /clientId/);
  });

  it('requires a valid bearer token on other routes, and expires it', async () => {
    assert.equal((await call(sim, 'GET', '/v1/kafka-credentials')).status, 401);
    assert.equal((await call(sim, 'GET', '/v1/kafka-credentials', { token: 'made-up' })).status, 401);
    assert.equal((await call(sim, 'GET', '/v1/actions/runs/r_x', { token: 'made-up' })).status, 401);
    const token = await login(sim);
    assert.equal((await call(sim, 'GET', '/v1/actions/runs/r_unknown', { token })).status, 404);
    clock += 59_000;
    assert.equal((await call(sim, 'GET', '/v1/actions/runs/r_unknown', { token })).status, 404);
    clock += 1_000;
    const expired = await call(sim, 'GET', '/v1/actions/runs/r_unknown', { token });
    assert.equal(expired.status, 401);
    assert.match(expired.body.message as string, /expired/);
  });

  it('keeps the client secret out of the request log', () => {
    const logged = sim.requests().filter((r) => r.route === '/v1/auth/access_token');
    assert.ok(logged.length > 0);
    assert.ok(!JSON.stringify(logged).includes('csecret'));
  });
});

describe('Port simulator: kafka credentials', () => {
  it('serves the configured credentials, then the updated ones; 404 when none', async () => {
    const sim = await startPortSim(creds);
    try {
      const token = await login(sim);
      assert.equal((await call(sim, 'GET', '/v1/kafka-credentials', { token })).status, 404);
      sim.setKafkaCredentials({ brokers: ['127.0.0.1:9093'], username: 'agent', password: 'pw' });
      const r = await call(sim, 'GET', '/v1/kafka-credentials', { token });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { ok: true, credentials: { brokers: ['127.0.0.1:9093'], username: 'agent', password: 'pw' } });
    } finally {
      await sim.close();
    }
  });
});

describe('Port simulator: runs', () => {
  let sim: PortSim;
  let token: string;
  before(async () => {
    sim = await startPortSim(creds);
    token = await login(sim);
  });
  after(() => sim.close());

  it('creates IN_PROGRESS runs with Port-looking ids and serves them', async () => {
    const run = sim.createRun({ invocation, blueprint: 'service' });
    assert.match(run.id, /^r_[A-Za-z0-9]{16}$/);
    assert.match(sim.createRun({ invocation, kind: 'workflow-node' }).id, /^wfnr_[A-Za-z0-9]{16}$/);
    const r = await call(sim, 'GET', `/v1/actions/runs/${run.id}`, { token });
    assert.equal(r.status, 200);
    const served = r.body.run as Record<string, unknown>;
    assert.equal(served.id, run.id);
    assert.equal(served.status, 'IN_PROGRESS');
    assert.equal('link' in served, false);
    assert.equal('endedAt' in served, false);
    assert.equal(served.createdAt, run.createdAt);
  });

  it('refuses PATCH keys outside the whitelist with 422 naming the key', async () => {
    const run = sim.createRun({ invocation });
    const r = await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, body: { status: 'SUCCESS', conclusion: 'success' } });
    assert.equal(r.status, 422);
    assert.equal(r.body.ok, false);
    assert.match(r.body.message as string, /conclusion/);
    assert.equal(sim.getRun(run.id)?.status, 'IN_PROGRESS');
    const badStatus = await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, body: { status: 'COMPLETED' } });
    assert.equal(badStatus.status, 422);
    const badLink = await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, body: { link: [1] } });
    assert.equal(badLink.status, 422);
    assert.deepEqual(
      sim.getRun(run.id)?.history.map((h) => h.status),
      [422, 422, 422],
    );
  });

  it('updates link/externalRunId/summary in progress, then sets status exactly once', async () => {
    const run = sim.createRun({ invocation });
    const path = `/v1/actions/runs/${run.id}`;
    const p1 = await call(sim, 'PATCH', path, {
      token,
      body: { link: ['https://ghe/run/1'], externalRunId: 'gh_1_2_3', summary: 'dispatched' },
    });
    assert.equal(p1.status, 200);
    assert.equal(sim.getRun(run.id)?.status, 'IN_PROGRESS');
    assert.equal(sim.getRun(run.id)?.statusWrites, 0);
    const p2 = await call(sim, 'PATCH', path, { token, body: { status: 'SUCCESS', statusLabel: 'done' } });
    assert.equal(p2.status, 200);
    assert.equal((p2.body.run as Record<string, unknown>).status, 'SUCCESS');
    assert.ok(sim.getRun(run.id)?.endedAt);
    const p3 = await call(sim, 'PATCH', path, { token, body: { status: 'FAILURE' } });
    assert.equal(p3.status, 422);
    assert.match(p3.body.message as string, /already ended/);
    const stored = sim.getRun(run.id)!;
    assert.equal(stored.status, 'SUCCESS');
    assert.equal(stored.statusWrites, 2);
    assert.deepEqual(stored.link, ['https://ghe/run/1']);
    assert.deepEqual(
      stored.history.map((h) => h.status),
      [200, 200, 422],
    );
    const g = await call(sim, 'GET', path, { token });
    assert.equal((g.body.run as Record<string, unknown>).externalRunId, 'gh_1_2_3');
  });

  it('answers 413 for a body over 1 MiB and 400 for broken JSON', async () => {
    const run = sim.createRun({ invocation });
    const big = await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, body: { summary: 'x'.repeat(1024 * 1024) } });
    assert.equal(big.status, 413);
    const broken = await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, raw: '{"summary":' });
    assert.equal(broken.status, 400);
    assert.equal(sim.getRun(run.id)?.summary, undefined);
    assert.deepEqual(
      sim.getRun(run.id)?.history.map((h) => h.status),
      [413, 400],
    );
  });

  it('appends logs; terminationStatus ends the run and is accepted once', async () => {
    const run = sim.createRun({ invocation });
    const path = `/v1/actions/runs/${run.id}/logs`;
    assert.equal((await call(sim, 'POST', path, { token, body: { message: 'Workflow started' } })).status, 201);
    assert.equal((await call(sim, 'POST', path, { token, body: { note: 'x', message: 'y' } })).status, 422);
    assert.equal((await call(sim, 'POST', path, { token, body: {} })).status, 422);
    const end = await call(sim, 'POST', path, {
      token,
      body: { message: 'Workflow completed: failure', terminationStatus: 'FAILURE', statusLabel: 'failed' },
    });
    assert.equal(end.status, 201);
    const again = await call(sim, 'POST', path, { token, body: { message: 'again', terminationStatus: 'SUCCESS' } });
    assert.equal(again.status, 422);
    const patch = await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, body: { status: 'SUCCESS' } });
    assert.equal(patch.status, 422);
    const stored = sim.getRun(run.id)!;
    assert.equal(stored.status, 'FAILURE');
    assert.equal(stored.statusLabel, 'failed');
    assert.equal(stored.statusWrites, 3);
    assert.deepEqual(
      stored.logs.map((l) => l.message),
      ['Workflow started', 'Workflow completed: failure'],
    );
  });

  it('looks runs up by external_run_id (empty list when none)', async () => {
    const run = sim.createRun({ invocation });
    await call(sim, 'PATCH', `/v1/actions/runs/${run.id}`, { token, body: { externalRunId: 'gh_9_9_42' } });
    const hit = await call(sim, 'GET', '/v1/actions/runs?version=v2&external_run_id=gh_9_9_42', { token });
    assert.equal(hit.status, 200);
    assert.deepEqual(
      (hit.body.runs as Array<{ id: string }>).map((r) => r.id),
      [run.id],
    );
    const miss = await call(sim, 'GET', '/v1/actions/runs?version=v2&external_run_id=nope', { token });
    assert.deepEqual(miss.body, { ok: true, runs: [] });
  });

  it('answers 404 for unknown runs and for workflow-node runs on action routes', async () => {
    const wf = sim.createRun({ invocation, kind: 'workflow-node' });
    assert.equal((await call(sim, 'PATCH', '/v1/actions/runs/r_nope', { token, body: { status: 'SUCCESS' } })).status, 404);
    assert.equal((await call(sim, 'GET', `/v1/actions/runs/${wf.id}`, { token })).status, 404);
  });

  it('sends rate-limit headers on every API response', async () => {
    for (const r of [await call(sim, 'GET', '/v1/actions/runs/r_nope', { token }), await call(sim, 'GET', '/v1/kafka-credentials')]) {
      for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) assert.match(r.headers.get(h) ?? '', /^\d+$/, h);
    }
  });
});

describe('Port simulator: rate limit enforcement', () => {
  it('answers 429 with retry-after beyond the limit, and recovers after the window', async () => {
    let clock = 1_000_000;
    const sim = await startPortSim({ ...creds, rateLimit: { limit: 3, windowMs: 10_000 }, now: () => clock });
    try {
      const token = await login(sim);
      const a = await call(sim, 'GET', '/v1/actions/runs', { token });
      assert.equal(a.headers.get('x-ratelimit-limit'), '3');
      assert.equal(a.headers.get('x-ratelimit-remaining'), '1');
      assert.equal(a.headers.get('x-ratelimit-reset'), String(Math.ceil((1_000_000 + 10_000) / 1000)));
      assert.equal((await call(sim, 'GET', '/v1/actions/runs', { token })).status, 200);
      clock += 4_000;
      const limited = await call(sim, 'GET', '/v1/actions/runs', { token });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '6');
      assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
      clock += 6_000;
      assert.equal((await call(sim, 'GET', '/v1/actions/runs', { token })).status, 200);
    } finally {
      await sim.close();
    }
  });
});

describe('Port simulator: control surface', () => {
  it('creates runs, lists runs and requests, and manages faults over HTTP', async () => {
    const sim = await startPortSim(creds);
    try {
      const created = await call(sim, 'POST', '/_sim/runs', { body: { invocation, runId: 'r_fixed' } });
      assert.equal(created.status, 201);
      assert.equal(sim.getRun('r_fixed')?.status, 'IN_PROGRESS');
      const listed = await call(sim, 'GET', '/_sim/runs');
      assert.deepEqual(
        (listed.body.runs as Array<{ id: string }>).map((r) => r.id),
        ['r_fixed'],
      );
      assert.equal((await call(sim, 'POST', '/_sim/runs', { body: { invocation: { type: 'GITLAB' } } })).status, 400);

      const f = await call(sim, 'POST', '/_sim/faults', { body: { kind: 'status', status: 502, routeRegex: '^/v1/kafka' } });
      assert.equal(f.status, 201);
      assert.equal((await call(sim, 'GET', '/v1/kafka-credentials')).status, 502);
      assert.equal((await call(sim, 'DELETE', `/_sim/faults/${f.body.id as number}`)).status, 200);
      assert.equal((await call(sim, 'GET', '/v1/kafka-credentials')).status, 401);

      const reqs = await call(sim, 'GET', '/_sim/requests');
      assert.deepEqual(
        (reqs.body.requests as Array<{ status: number }>).map((r) => r.status),
        [502, 401],
      );
    } finally {
      await sim.close();
    }
  });
});
