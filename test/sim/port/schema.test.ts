// Every answer the Port simulator gives on the routes the agent uses must satisfy the schema
// written from Port's own API description (port-api-schema.ts), error bodies, 429 and 5xx
// included; and its rate-limit headers must read as Port documents them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Answer, checkedCall } from './checked-call.js';
import { ACTION_RUN, responseSchema } from './port-api-schema.js';
import { checkSchema } from './schema-check.js';
import { startPortSim, type PortSim } from './server.js';
import type { GithubInvocation } from './types.js';

const invocation: GithubInvocation = {
  type: 'GITHUB',
  org: 'acme',
  repo: 'infra',
  workflow: 'deploy.yml',
  workflowInputs: { service: 'api' },
};
const creds = { orgId: 'org_schema', clientId: 'cid', clientSecret: 'csecret' };

describe('Port simulator answers match the schema from Port API description', () => {
  let clock = Date.parse('2026-03-01T10:00:00.250Z');
  let sim: PortSim;
  let token = '';
  const checked: string[] = [];

  /** Sends one request and checks the answer against the route's schema for its status. */
  async function call(
    method: string,
    path: string,
    _route: string,
    opts: { body?: unknown; raw?: string; auth?: boolean } = {},
  ): Promise<Answer> {
    const answer = await checkedCall(sim, method, path, { body: opts.body, raw: opts.raw, token: opts.auth === false ? undefined : token });
    checked.push(`${method} ${path} ${answer.status}`);
    return answer;
  }

  before(async () => {
    sim = await startPortSim({
      ...creds,
      tokenTtlS: 60,
      now: () => clock,
      kafka: { brokers: ['127.0.0.1:9093'], username: 'agent', password: 'pw' },
    });
    const t = await call('POST', '/v1/auth/access_token', '/v1/auth/access_token', {
      body: { clientId: 'cid', clientSecret: 'csecret' },
      auth: false,
    });
    assert.equal(t.status, 200);
    token = (t.body as { accessToken: string }).accessToken;
  });
  after(() => sim.close());

  it('the checker refuses what the description refuses (sanity)', () => {
    const fresh = { id: 'r_1', status: 'IN_PROGRESS', action: { identifier: 'a' }, properties: {}, requiredApproval: false, source: 'UI' };
    assert.deepEqual(checkSchema(fresh, ACTION_RUN, { strict: true }), []);
    assert.ok(checkSchema({ ...fresh, blueprint: null }, ACTION_RUN).some((e) => e.includes('$.blueprint: expected object')));
    assert.ok(checkSchema({ ...fresh, endedAt: null }, ACTION_RUN).some((e) => e.includes('$.endedAt')));
    assert.ok(checkSchema({ ...fresh, link: null }, ACTION_RUN).some((e) => e.includes('$.link')));
    assert.ok(checkSchema({ ...fresh, statusLabel: null }, ACTION_RUN).length === 0, 'statusLabel is nullable');
    assert.ok(
      checkSchema({ ...fresh, invocation: {} }, ACTION_RUN, { strict: true }).some((e) => e.includes('undeclared property invocation')),
    );
    assert.ok(
      checkSchema({ ok: true, runLog: { runId: 'r', message: 'm', at: 'x' } }, responseSchema('POST /v1/actions/runs/:id/logs', 201)!).some(
        (e) => e.includes('missing required id'),
      ),
    );
  });

  it('auth: 200, 401 for wrong credentials, 422 for a body that is not the schema, 413 over 1 MiB', async () => {
    assert.equal(
      (
        await call('POST', '/v1/auth/access_token', '/v1/auth/access_token', {
          body: { clientId: 'cid', clientSecret: 'nope' },
          auth: false,
        })
      ).status,
      401,
    );
    assert.equal(
      (await call('POST', '/v1/auth/access_token', '/v1/auth/access_token', { body: { clientId: 'cid' }, auth: false })).status,
      422,
    );
    assert.equal(
      (
        await call('POST', '/v1/auth/access_token', '/v1/auth/access_token', {
          body: { clientId: 'cid', clientSecret: 'x'.repeat(1 << 20) },
          auth: false,
        })
      ).status,
      413,
    );
  });

  it('action runs: fresh, linked, ended; GET v1 and v2; 404 and 401', async () => {
    const run = sim.createRun({ invocation, blueprint: 'service' });
    const fresh = await call('GET', `/v1/actions/runs/${run.id}?version=v2`, '/v1/actions/runs/:id');
    const served = (fresh.body as { run: Record<string, unknown> }).run;
    assert.equal(served.status, 'IN_PROGRESS');
    assert.equal('link' in served, false, 'no link yet: absent, not null');
    assert.deepEqual(served.blueprint, { identifier: 'service', title: 'service' });
    await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { body: { statusLabel: 'Dispatching workflow' } });
    await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', {
      body: { link: 'https://ghes/acme/infra/actions/runs/7', externalRunId: 'gh_1_2_7' },
    });
    const linked = await call('GET', `/v1/actions/runs/${run.id}?version=v1`, '/v1/actions/runs/:id');
    assert.equal((linked.body as { run: { link: string } }).run.link, 'https://ghes/acme/infra/actions/runs/7');
    const ended = await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', {
      body: { status: 'SUCCESS', summary: 'done' },
    });
    assert.equal(typeof (ended.body as { run: { endedAt: string } }).run.endedAt, 'string');
    await call('GET', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id');
    assert.equal((await call('GET', '/v1/actions/runs/r_missing', '/v1/actions/runs/:id')).status, 404);
    assert.equal((await call('GET', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { auth: false })).status, 401);
    assert.equal((await call('GET', `/v1/actions/runs/${run.id}?version=v3`, '/v1/actions/runs/:id')).status, 422);
  });

  it('PATCH refusals: 422 for unknown keys and a second status, 404, 413, 400', async () => {
    const run = sim.createRun({ invocation });
    assert.equal((await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { body: { conclusion: 'x' } })).status, 422);
    await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { body: { status: 'FAILURE' } });
    assert.equal((await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { body: { status: 'SUCCESS' } })).status, 422);
    assert.equal((await call('PATCH', '/v1/actions/runs/r_missing', '/v1/actions/runs/:id', { body: { statusLabel: 'x' } })).status, 404);
    assert.equal(
      (await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { body: { summary: 'x'.repeat(1 << 20) } })).status,
      413,
    );
    assert.equal((await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { raw: '{"summary":' })).status, 400);
  });

  it('logs: 201 with a full runLog, 422, 404', async () => {
    const run = sim.createRun({ invocation });
    const ok = await call('POST', `/v1/actions/runs/${run.id}/logs`, '/v1/actions/runs/:id/logs', { body: { message: 'hello' } });
    assert.equal(ok.status, 201);
    assert.equal((await call('POST', `/v1/actions/runs/${run.id}/logs`, '/v1/actions/runs/:id/logs', { body: { text: 'x' } })).status, 422);
    assert.equal(
      (await call('POST', '/v1/actions/runs/r_missing/logs', '/v1/actions/runs/:id/logs', { body: { message: 'x' } })).status,
      404,
    );
  });

  it('runs list by external_run_id and active, with version=v2', async () => {
    const run = sim.createRun({ invocation });
    await call('PATCH', `/v1/actions/runs/${run.id}`, '/v1/actions/runs/:id', { body: { externalRunId: 'gh_5_6_7' } });
    const hit = await call('GET', '/v1/actions/runs?version=v2&external_run_id=gh_5_6_7', '/v1/actions/runs');
    assert.deepEqual(
      (hit.body as { runs: Array<{ id: string }> }).runs.map((r) => r.id),
      [run.id],
    );
    await call('GET', '/v1/actions/runs?version=v2&active=true&limit=1000', '/v1/actions/runs');
  });

  it('kafka credentials: 200 and 404', async () => {
    await call('GET', '/v1/kafka-credentials', '/v1/kafka-credentials');
    sim.setKafkaCredentials(undefined);
    assert.equal((await call('GET', '/v1/kafka-credentials', '/v1/kafka-credentials')).status, 404);
  });

  it('injected 5xx, outages and 429 answer in the error shape', async () => {
    sim.fault({ kind: 'status', status: 503, count: 1, route: '/v1/actions/runs/:id' });
    assert.equal((await call('GET', '/v1/actions/runs/r_any', '/v1/actions/runs/:id')).status, 503);
    sim.fault({ kind: 'status', status: 500, count: 1, route: '/v1/actions/runs/:id/logs' });
    assert.equal((await call('POST', '/v1/actions/runs/r_any/logs', '/v1/actions/runs/:id/logs', { body: { message: 'x' } })).status, 500);
    sim.fault({ kind: 'outage', durationMs: 1 });
    assert.equal((await call('GET', '/v1/kafka-credentials', '/v1/kafka-credentials')).status, 503);
    clock += 5;
    sim.fault({ kind: 'status', status: 429, count: 1 });
    assert.equal((await call('GET', '/v1/kafka-credentials', '/v1/kafka-credentials')).status, 429);
    assert.ok(checked.length > 20);
  });
});

describe('Port simulator rate limit: headers as Port documents them', () => {
  it('x-ratelimit-reset is the UTC epoch second the window resets; 429 beyond the limit with retry-after', async () => {
    let clock = Date.parse('2026-03-01T10:00:00.250Z');
    const sim = await startPortSim({ ...creds, rateLimit: { limit: 3, windowMs: 10_000 }, now: () => clock });
    try {
      const auth = await fetch(`${sim.url}/v1/auth/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'cid', clientSecret: 'csecret' }),
      });
      const { accessToken } = (await auth.json()) as { accessToken: string };
      const windowEnd = Math.ceil((Date.parse('2026-03-01T10:00:00.250Z') + 10_000) / 1000);
      assert.equal(auth.headers.get('x-ratelimit-reset'), String(windowEnd), 'UTC epoch seconds (docs api-reference/rate-limits)');
      assert.equal(auth.headers.get('x-ratelimit-period'), '10');
      assert.equal(auth.headers.get('x-ratelimit-remaining'), '2');
      const get = () => fetch(`${sim.url}/v1/actions/runs`, { headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal((await get()).status, 200);
      clock += 4_000;
      assert.equal((await get()).status, 200);
      const limited = await get();
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
      assert.equal(limited.headers.get('x-ratelimit-reset'), String(windowEnd));
      assert.equal(limited.headers.get('retry-after'), '6');
      const body = (await limited.json()) as unknown;
      assert.deepEqual(checkSchema(body, responseSchema('GET /v1/actions/runs', 429)!), []);
      clock += 6_000;
      assert.equal((await get()).status, 200);
    } finally {
      await sim.close();
    }
  });
});
