// Issue 26, the relay's refusals: every token that is not GHES's, for the relay, current and
// signed is refused before Port is asked anything; a valid token writes only the Port run whose
// record names its own workflow run, and only the blueprints relay.policy gives its repository;
// bodies over relay.maxBodyBytes and floods over relay.requestsPerRepoPerMinute are cut without
// costing other repositories anything. Each case checks Port's request log: nothing reached it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metricValue } from '../stack/agent-process.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPortGithubAction } from '../relay/port-github-action.js';
import { type RelayFixture, decodeClaims, startRelayFixture } from '../relay/relay-fixture.js';
import { generateCa, issueServerCert } from '../stack/certs.js';

const upsert = (bp: string, id: string) => ({ identifier: id, blueprint: bp, properties: { tier: 'gold' }, relations: {} });

describe('relay: tokens', () => {
  let f: RelayFixture;
  let ghRunId: number;
  before(async () => {
    f = await startRelayFixture();
    ({ ghRunId } = await f.linkedRun());
  });
  after(() => f.close());

  test('a valid GHES token gets Port-shaped credentials and writes an allowed blueprint', async () => {
    const token = await f.token(ghRunId);
    const t = await f.call('POST', '/v1/auth/access_token', { body: { clientId: 'any', clientSecret: token } });
    assert.equal(t.status, 200);
    assert.deepEqual(
      { ok: t.body.ok, tokenType: t.body.tokenType, accessToken: t.body.accessToken },
      { ok: true, tokenType: 'Bearer', accessToken: token },
    );
    assert.ok(typeof t.body.expiresIn === 'number' && t.body.expiresIn > 200 && t.body.expiresIn <= 300);
    const since = f.port.requests().length;
    const r = await f.call('POST', '/v1/blueprints/service/entities?upsert=true&merge=true', { token, body: upsert('service', 'svc-ok') });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(
      f.portWrites(since).map((w) => `${w.method} ${w.path} ${w.status}`),
      ['POST /v1/blueprints/service/entities 201'],
    );
  });

  const refusedTokens: Array<[string, (f: RelayFixture) => Promise<string>, RegExp]> = [
    ['an expired token', (x) => x.token(ghRunId, { iatOffsetS: -900 }), /expired/],
    ['a token for another audience', (x) => x.token(ghRunId, { audience: 'https://github.com/acme' }), /aud/],
    ['a token of another issuer', (x) => x.token(ghRunId, { issuer: 'https://token.actions.githubusercontent.com' }), /iss/],
    ['an unsigned token (alg none)', (x) => x.token(ghRunId, { signer: 'none' }), /not a signed JWT|algorithm/],
    ['a token signed by a key GHES never published (its kid copied)', (x) => x.token(ghRunId, { signer: 'other' }), /signature/],
  ];
  for (const [name, mint, reason] of refusedTokens) {
    test(`${name} is refused at the token route and as a bearer, and Port gets nothing`, async () => {
      const token = await mint(f);
      const since = f.port.requests().length;
      const t = await f.call('POST', '/v1/auth/access_token', { body: { clientId: 'any', clientSecret: token } });
      assert.equal(t.status, 401);
      assert.equal(t.body.ok, false);
      assert.match(String(t.body.message), reason);
      const w = await f.call('POST', '/v1/blueprints/service/entities?upsert=true&merge=true', {
        token,
        body: upsert('service', 'svc-forged'),
      });
      assert.equal(w.status, 401);
      assert.deepEqual(f.port.requests().slice(since), []);
      assert.ok(!f.logLines.some((l) => JSON.stringify(l).includes(token)), 'the token is never logged');
    });
  }

  test("GHES's simulator hands out the same tokens over its control surface (/_sim/oidc/token), for the demo and bench", async () => {
    const res = await fetch(`${f.ghes.origin}/_sim/oidc/token`, {
      method: 'POST',
      body: JSON.stringify({ runId: ghRunId, audience: 'ghes-agent-relay-test' }),
    });
    assert.equal(res.status, 201);
    const { token } = (await res.json()) as { token: string };
    assert.equal((await f.call('POST', '/v1/auth/access_token', { body: { clientId: 'any', clientSecret: token } })).status, 200);
  });

  test("a token signed with GHES's rotated key is accepted: the unknown kid refreshes the JWKS", async () => {
    await f.call('POST', '/v1/auth/access_token', { body: { clientId: 'any', clientSecret: await f.token(ghRunId) } });
    await f.ghes.oidc.rotate({ dropOld: true });
    const t = await f.call('POST', '/v1/auth/access_token', { body: { clientId: 'any', clientSecret: await f.token(ghRunId) } });
    assert.equal(t.status, 200, JSON.stringify(t.body));
  });
});

describe('relay: scope of a token', () => {
  let f: RelayFixture;
  before(async () => {
    f = await startRelayFixture();
  });
  after(() => f.close());

  test("the workflow run Port's record names may log to and patch its Port run", async () => {
    const { ghRunId, portRun } = await f.linkedRun();
    const token = await f.token(ghRunId);
    const since = f.port.requests().length;
    assert.equal(
      (await f.call('POST', `/v1/actions/runs/${portRun.id}/logs`, { token, body: { message: 'hello from the workflow' } })).status,
      201,
    );
    assert.equal(
      (await f.call('PATCH', `/v1/actions/runs/${portRun.id}?runId=${portRun.id}`, { token, body: { summary: 'done' } })).status,
      200,
    );
    assert.deepEqual(
      f.portWrites(since).map((w) => `${w.method} ${w.path} ${w.status}`),
      [`POST /v1/actions/runs/${portRun.id}/logs 201`, `PATCH /v1/actions/runs/${portRun.id} 200`],
    );
    assert.equal(f.port.getRun(portRun.id)!.summary, 'done');
    // One Port read of the run for both writes (cached for the run's life).
    assert.equal(
      f.port
        .requests()
        .slice(since)
        .filter((r) => r.method === 'GET' && r.route === '/v1/actions/runs/:id').length,
      1,
    );
    const audit = f.logLines.filter((l) => l.audit === true && l.portRunId === portRun.id);
    assert.deepEqual(
      audit.map((l) => [l.route, l.repository, l.githubRunId, l.workflow, l.status]),
      [
        ['add_run_log', 'acme/infra', ghRunId, 'deploy.yml', 201],
        ['patch_run', 'acme/infra', ghRunId, 'deploy.yml', 200],
      ],
    );
  });

  test('a run recorded by its link alone may be written by the run it links', async () => {
    const { ghRunId, portRun } = await f.linkedRun('infra', 'link');
    const r = await f.call('POST', `/v1/actions/runs/${portRun.id}/logs`, { token: await f.token(ghRunId), body: { message: 'linked' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });

  test("another run of the same repository cannot write this run: 403 with the reason, Port's record unchanged", async () => {
    const { portRun } = await f.linkedRun();
    const { ghRunId: otherRun } = await f.linkedRun();
    const token = await f.token(otherRun);
    const since = f.port.requests().length;
    const r = await f.call('PATCH', `/v1/actions/runs/${portRun.id}?runId=${portRun.id}`, { token, body: { status: 'FAILURE' } });
    assert.equal(r.status, 403);
    assert.deepEqual({ ok: r.body.ok, error: r.body.error }, { ok: false, error: 'forbidden' });
    assert.match(String(r.body.message), new RegExp(`names GitHub run \\d+, the token is of run ${otherRun}`));
    const l = await f.call('POST', `/v1/actions/runs/${portRun.id}/logs`, { token, body: { message: 'forged' } });
    assert.equal(l.status, 403);
    assert.deepEqual(f.portWrites(since), []);
    assert.equal(f.port.getRun(portRun.id)!.status, 'IN_PROGRESS');
    assert.equal(f.port.getRun(portRun.id)!.logs.length, 0);
  });

  test("a token of another repository cannot write this run, even with this run's run_id claim", async () => {
    const { ghRunId, portRun } = await f.linkedRun();
    const { ghRunId: otherRepoRun } = await f.linkedRun('other');
    // A run of acme/other claiming this run's id: its repository ids still give it away.
    const claims = decodeClaims(await f.token(otherRepoRun));
    const token = await f.token(otherRepoRun, { claims: { run_id: String(ghRunId), repository_id: claims.repository_id } });
    const since = f.port.requests().length;
    const r = await f.call('POST', `/v1/actions/runs/${portRun.id}/logs`, { token, body: { message: 'forged' } });
    assert.equal(r.status, 403);
    assert.match(String(r.body.message), /names repository \d+ of owner \d+, the token is of acme\/other/);
    // And a plain token of acme/other's own run.
    const r2 = await f.call('PATCH', `/v1/actions/runs/${portRun.id}`, { token: await f.token(otherRepoRun), body: { summary: 'forged' } });
    assert.equal(r2.status, 403);
    assert.deepEqual(f.portWrites(since), []);
    assert.equal(f.port.getRun(portRun.id)!.summary, undefined);
  });

  test('a run_id on an entity write must be the token’s own run too', async () => {
    const { portRun } = await f.linkedRun();
    const { ghRunId: mine } = await f.linkedRun();
    const since = f.port.requests().length;
    const r = await f.call('POST', `/v1/blueprints/service/entities?upsert=true&merge=true&run_id=${portRun.id}`, {
      token: await f.token(mine),
      body: upsert('service', 'svc-x'),
    });
    assert.equal(r.status, 403);
    assert.deepEqual(f.portWrites(since), []);
  });

  test('a blueprint outside relay.policy is refused for writes and reads; another repository gets nothing', async () => {
    const { ghRunId } = await f.linkedRun();
    const token = await f.token(ghRunId);
    const since = f.port.requests().length;
    const w = await f.call('POST', '/v1/blueprints/cluster/entities?upsert=true&merge=true', { token, body: upsert('cluster', 'c1') });
    assert.equal(w.status, 403);
    assert.match(String(w.body.message), /does not let acme\/infra .* write blueprint cluster/);
    // environment is readable, not writable.
    assert.equal((await f.call('DELETE', '/v1/blueprints/environment/entities/prod?delete_dependents=false', { token })).status, 403);
    assert.equal((await f.call('GET', '/v1/blueprints/cluster/entities/c1', { token })).status, 403);
    // A search must name readable blueprints, at the top of an "and".
    assert.equal(
      (
        await f.call('POST', '/v1/entities/search', {
          token,
          body: { combinator: 'and', rules: [{ property: '$blueprint', operator: '=', value: 'cluster' }] },
        })
      ).status,
      403,
    );
    assert.equal(
      (
        await f.call('POST', '/v1/entities/search', {
          token,
          body: {
            combinator: 'or',
            rules: [
              { property: '$blueprint', operator: '=', value: 'service' },
              { property: '$identifier', operator: '=', value: 'x' },
            ],
          },
        })
      ).status,
      403,
    );
    // delete_dependents=true reaches other blueprints: refused without a write-everything rule.
    assert.equal((await f.call('DELETE', '/v1/blueprints/service/entities/svc-ok?delete_dependents=true', { token })).status, 403);
    const { ghRunId: otherRepoRun } = await f.linkedRun('other');
    const o = await f.call('POST', '/v1/blueprints/service/entities?upsert=true&merge=true', {
      token: await f.token(otherRepoRun),
      body: upsert('service', 's2'),
    });
    assert.equal(o.status, 403);
    assert.match(String(o.body.message), /relay.policy has no rule for acme\/other/);
    assert.deepEqual(f.portWrites(since), []);
    // What the policy allows goes through.
    assert.equal(
      (
        await f.call('POST', '/v1/entities/search', {
          token,
          body: { combinator: 'and', rules: [{ property: '$blueprint', operator: '=', value: 'service' }] },
        })
      ).status,
      200,
    );
  });
});

describe('relay: limits', () => {
  let f: RelayFixture;
  before(async () => {
    f = await startRelayFixture({ maxBodyBytes: 4096, perMinute: 20 });
  });
  after(() => f.close());

  test('a body over relay.maxBodyBytes gets 413 and reaches neither the token check nor Port', async () => {
    const { ghRunId } = await f.linkedRun();
    const token = await f.token(ghRunId);
    const since = f.port.requests().length;
    const big = JSON.stringify(upsert('service', 'svc-big')).replace('"gold"', JSON.stringify('x'.repeat(10_000)));
    const r = await f.call('POST', '/v1/blueprints/service/entities?upsert=true&merge=true', { token, rawBody: big });
    assert.equal(r.status, 413);
    assert.equal(r.body.error, 'payload_too_large');
    assert.deepEqual(f.port.requests().slice(since), []);
    assert.equal(
      metricValue(await f.metrics.registry.metrics(), 'ghes_agent_relay_requests_total', { route: 'upsert_entity', outcome: 'too_large' }),
      1,
    );
  });

  test("a flood from one repository is cut at relay.requestsPerRepoPerMinute while another repository's writes pass", async () => {
    const { ghRunId } = await f.linkedRun();
    const flooder = await f.token(ghRunId);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await f.call('GET', '/v1/blueprints/service/entities/none', { token: flooder })).status);
    assert.ok(statuses.filter((s) => s === 429).length >= 19, `statuses: ${statuses.join(',')}`);
    // The other repository's run writes its own Port run meanwhile (acme/other has no entity rule: a run log).
    const { ghRunId: otherRun, portRun } = await f.linkedRun('other');
    const other = await f.token(otherRun);
    for (let i = 0; i < 5; i++) {
      const r = await f.call('POST', `/v1/actions/runs/${portRun.id}/logs`, { token: other, body: { message: `line ${i}` } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await f.call('GET', '/v1/blueprints/service/entities/none', { token: flooder })).status, 429);
    assert.ok(
      metricValue(await f.metrics.registry.metrics(), 'ghes_agent_relay_requests_total', {
        route: 'get_entity',
        outcome: 'rate_limited',
      }) >= 19,
    );
  });
});

describe('relay: deadline', () => {
  let f: RelayFixture;
  before(async () => {
    f = await startRelayFixture({ deadlineMs: 500 });
  });
  after(() => f.close());

  test('a Port answer slower than relay.requestDeadlineMs gets the caller a 504 in time', async () => {
    const { ghRunId } = await f.linkedRun();
    const remove = f.port.fault({ route: '/v1/blueprints/:blueprint/entities', kind: 'latency', latencyMs: 3000 });
    const started = Date.now();
    const r = await f.call('POST', '/v1/blueprints/service/entities?upsert=true&merge=true', {
      token: await f.token(ghRunId),
      body: upsert('service', 'svc-slow'),
    });
    remove();
    assert.equal(r.status, 504);
    assert.equal(r.body.error, 'timeout');
    assert.ok(Date.now() - started < 2500, `answered after ${Date.now() - started} ms`);
    assert.equal(
      metricValue(await f.metrics.registry.metrics(), 'ghes_agent_relay_requests_total', { route: 'upsert_entity', outcome: 'timeout' }),
      1,
    );
  });
});

describe('relay: TLS', () => {
  let f: RelayFixture;
  let caFile: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-tls-'));
    const cert = await issueServerCert(await generateCa(dir, 'relay-ca'), dir, 'relay');
    caFile = cert.caFile;
    f = await startRelayFixture({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } });
  });
  after(() => f.close());

  test('with relay.tlsCertFile the listener is HTTPS, and the action reaches it trusting the private CA', async () => {
    const { ghRunId, portRun } = await f.linkedRun();
    const r = await runPortGithubAction(
      {
        baseUrl: f.url,
        clientId: 'github-oidc',
        clientSecret: await f.token(ghRunId),
        operation: 'PATCH_RUN',
        runId: portRun.id,
        logMessage: 'over TLS',
      },
      { NODE_EXTRA_CA_CERTS: caFile },
    );
    assert.equal(r.code, 0, r.stdout);
    assert.match(f.url, /^https:/);
    assert.deepEqual(
      f.port.getRun(portRun.id)!.logs.map((l) => l.message),
      ['over TLS'],
    );
  });
});
