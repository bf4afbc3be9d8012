import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startGhesSim } from './server.js';
import { call, until } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('HTTP behaviour: headers, ETags, rate limit, faults, log', () => {
  let sim: GhesSim;
  const pat = 'pat-http';
  before(async () => {
    sim = await startGhesSim({ version: '3.19.0', rateLimit: { limit: 8, windowMs: 60_000 } });
    sim.addRepo({ owner: 'acme', name: 'infra' });
    sim.addWorkflow('acme', 'infra', { path: 'deploy.yml' });
    sim.addToken(pat, { orgs: ['acme'] });
    for (let i = 0; i < 6; i++) sim.addToken(`pat-${i}`, { orgs: ['acme'] });
  });
  afterEach(() => sim.clearFaults());
  after(() => sim.close());

  it('every /api/v3 response carries the GHES version, a request id, JSON content type and Date', async () => {
    const ids = new Set<string>();
    for (const r of [
      await call(sim, '/meta'),
      await call(sim, '/repos/acme/infra', { token: 'x' }),
      await call(sim, '/nope', { token: pat }),
    ]) {
      assert.equal(r.headers.get('x-github-enterprise-version'), '3.19.0');
      assert.match(r.headers.get('x-github-request-id')!, /^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}$/);
      ids.add(r.headers.get('x-github-request-id')!);
      assert.match(r.headers.get('content-type')!, /^application\/json/);
      assert.ok(Math.abs(Date.parse(r.headers.get('date')!) - Date.now()) < 5000);
    }
    assert.equal(ids.size, 3, 'one id per request');
    assert.equal((await call(sim, '/meta')).json.installed_version, '3.19.0');
    assert.equal((await call(sim, '')).status, 200);
    sim.setVersion('3.21.1');
    assert.equal((await call(sim, '/meta')).headers.get('x-github-enterprise-version'), '3.21.1');
    sim.setVersion('3.19.0');
  });

  it('ETag: strong for objects, weak for lists, per credential; 304 without body leaves the rate limit alone', async () => {
    const one = await call(sim, '/repos/acme/infra', { token: 'pat-0' });
    const etag = one.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]+"$/);
    const list = await call(sim, '/repos/acme/infra/actions/runs', { token: 'pat-0' });
    assert.match(list.headers.get('etag')!, /^W\/"[0-9a-f]+"$/);
    const other = await call(sim, '/repos/acme/infra', { token: 'pat-1' });
    assert.notEqual(other.headers.get('etag'), etag);
    const remaining = Number(list.headers.get('x-ratelimit-remaining'));
    for (const inm of [etag, `W/${etag}`, `"zzz", ${etag}`]) {
      const nm = await call(sim, '/repos/acme/infra', { token: 'pat-0', headers: { 'if-none-match': inm } });
      assert.equal(nm.status, 304, inm);
      assert.equal(nm.text, '');
      assert.equal(nm.headers.get('etag'), etag);
      assert.equal(Number(nm.headers.get('x-ratelimit-remaining')), remaining);
    }
    const changed = await call(sim, '/repos/acme/infra', { token: 'pat-0', headers: { 'if-none-match': '"stale"' } });
    assert.equal(changed.status, 200);
    assert.equal(Number(changed.headers.get('x-ratelimit-remaining')), remaining - 1);
    const log = sim.requests().filter((e) => e.status === 304);
    assert.equal(log.length, 3);
    assert.ok(log.every((e) => e.conditional && e.auth === 'pat'));
    // A list's ETag changes when a run appears in it.
    const d = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/dispatches', {
      token: 'pat-0',
      method: 'POST',
      body: { ref: 'main' },
    });
    assert.equal(d.status, 204);
    await until(() => sim.runs().some((r) => r.visible));
    const after = await call(sim, '/repos/acme/infra/actions/runs', {
      token: 'pat-0',
      headers: { 'if-none-match': list.headers.get('etag')! },
    });
    assert.equal(after.status, 200);
    assert.equal(after.json.total_count, 1);
  });

  it('primary rate limit: headers, then 403 "API rate limit exceeded" when exhausted, per credential', async () => {
    let last = await call(sim, '/repos/acme/infra', { token: 'pat-2' });
    assert.equal(last.headers.get('x-ratelimit-limit'), '8');
    assert.equal(last.headers.get('x-ratelimit-used'), '1');
    assert.equal(last.headers.get('x-ratelimit-resource'), 'core');
    assert.ok(Number(last.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
    for (let i = 0; i < 7; i++) last = await call(sim, '/repos/acme/infra', { token: 'pat-2' });
    assert.equal(last.headers.get('x-ratelimit-remaining'), '0');
    const refused = await call(sim, '/repos/acme/infra', { token: 'pat-2' });
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /^API rate limit exceeded/);
    const post = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/dispatches', {
      token: 'pat-2',
      method: 'POST',
      body: { ref: 'main' },
    });
    assert.equal(post.status, 403);
    assert.equal(sim.dispatches().filter((d) => d.status !== 204 && d.ref === 'main' && d.at > Date.now() - 1000).length, 0);
    assert.equal((await call(sim, '/repos/acme/infra', { token: 'pat-3' })).status, 200);
  });

  it('secondary rate limit fault: 403 or 429 with retry-after and GitHub message; count bounds it', async () => {
    sim.fault({ kind: 'secondary-rate-limit', route: 'GET /repos/{owner}/{repo}', retryAfterS: 7, count: 1 });
    sim.fault({ kind: 'secondary-rate-limit', route: '/repos/{owner}/{repo}/actions/runs', status: 429, count: 1 });
    const r = await call(sim, '/repos/acme/infra', { token: pat });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.match(r.json.message, /^You have exceeded a secondary rate limit/);
    assert.equal((await call(sim, '/repos/acme/infra', { token: pat })).status, 200);
    const r2 = await call(sim, '/repos/acme/infra/actions/runs', { token: pat });
    assert.equal(r2.status, 429);
    assert.equal(r2.headers.get('retry-after'), '60');
    assert.equal(sim.requests().filter((e) => e.fault === 'secondary-rate-limit').length, 2);
  });

  it('faults apply before auth: 5xx, outage window, latency, socket reset, regex and method selectors, remover', async () => {
    const remove = sim.fault({ kind: 'status', status: 502, route: /\/actions\//, method: 'GET' });
    assert.equal((await call(sim, '/repos/acme/infra/actions/runs', { token: 'bad-token' })).status, 502);
    assert.equal((await call(sim, '/repos/acme/infra', { token: pat })).status, 200);
    remove();
    assert.equal((await call(sim, '/repos/acme/infra/actions/runs', { token: pat })).status, 200);

    sim.fault({ kind: 'outage', durationMs: 150 });
    const out = await call(sim, '/meta');
    assert.equal(out.status, 503);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await call(sim, '/meta')).status, 200);

    sim.fault({ kind: 'latency', latencyMs: 150, route: '/meta', count: 1 });
    const t0 = Date.now();
    assert.equal((await call(sim, '/meta')).status, 200);
    assert.ok(Date.now() - t0 >= 140);

    sim.fault({ kind: 'reset', route: '/meta', count: 1 });
    await assert.rejects(call(sim, '/meta'));
    assert.equal(sim.requests().at(-1)!.status, 0);
    assert.equal(sim.requests().at(-1)!.fault, 'reset');
    assert.equal((await call(sim, '/meta')).status, 200);

    sim.fault({ kind: 'status', status: 500, probability: 0 });
    assert.equal((await call(sim, '/meta')).status, 200);
  });

  it('request log and per-route counters use route templates', async () => {
    const before = sim.counters()['GET /repos/{owner}/{repo}/actions/runs/{run_id}'] ?? 0;
    await call(sim, '/repos/acme/infra/actions/runs/1', { token: pat });
    await call(sim, '/repos/acme/infra/actions/runs/2', { token: pat });
    assert.equal(sim.counters()['GET /repos/{owner}/{repo}/actions/runs/{run_id}'], before + 2);
    const e = sim.requests().at(-1)!;
    assert.equal(e.path, '/repos/acme/infra/actions/runs/2');
    assert.equal(e.route, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}');
    assert.equal(e.status, 404);
    assert.equal(e.auth, 'pat');
  });
});

describe('control surface /_sim', () => {
  it('configures repos, workflows, tokens, installations, faults and version over HTTP', async () => {
    const sim = await startGhesSim({ runAppearDelayMs: 0 });
    const ctl = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${sim.origin}/_sim${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, json: text ? JSON.parse(text) : undefined };
    };
    try {
      assert.equal((await ctl('POST', '/repos', { owner: 'acme', name: 'infra' })).status, 201);
      const wf = await ctl('POST', '/workflows', {
        owner: 'acme',
        repo: 'infra',
        path: 'deploy.yml',
        runName: 'D ${{ inputs.id }}',
        inputs: { id: {} },
        script: { conclusion: 'failure', queuedMs: 0, durationMs: 0 },
      });
      assert.equal(typeof wf.json.id, 'number');
      assert.equal((await ctl('POST', '/tokens', { token: 'pat-c', orgs: ['acme'], login: 'carol' })).status, 201);
      const inst = await ctl('POST', '/installations', { account: 'acme', repositories: ['infra'] });
      assert.equal(typeof inst.json.id, 'number');
      const app = await ctl('GET', '/app');
      assert.equal(app.json.appId, sim.app.appId);
      assert.match(app.json.privateKeyPem, /BEGIN RSA PRIVATE KEY/);

      const d = await call(sim, '/repos/acme/infra/actions/workflows/deploy.yml/dispatches', {
        token: 'pat-c',
        method: 'POST',
        body: { ref: 'main', inputs: { id: '7' } },
      });
      assert.equal(d.status, 204);
      const runs = await ctl('GET', '/runs');
      assert.equal(runs.json[0].displayTitle, 'D 7');
      assert.equal(runs.json[0].conclusion, 'failure');
      assert.equal((await ctl('GET', '/dispatches')).json[0].actor, 'carol');
      assert.equal((await ctl('POST', `/runs/${runs.json[0].id}/rerun`)).status, 204);
      assert.equal((await ctl('GET', '/runs')).json[0].runAttempt, 2);

      const f = await ctl('POST', '/faults', { kind: 'status', status: 500, routePattern: '^GET /meta$' });
      assert.equal(f.status, 201);
      assert.equal((await call(sim, '/meta')).status, 500);
      assert.equal((await ctl('DELETE', `/faults/${f.json.id}`)).status, 204);
      await ctl('POST', '/faults', { kind: 'outage', route: '/meta' });
      assert.equal((await call(sim, '/meta')).status, 503);
      assert.equal((await ctl('DELETE', '/faults')).status, 204);
      assert.equal((await call(sim, '/meta')).status, 200);
      assert.equal((await ctl('POST', '/faults', { kind: 'bogus' })).status, 400);

      assert.equal((await ctl('POST', '/version', { version: '3.19.2' })).status, 200);
      assert.equal((await call(sim, '/meta')).json.installed_version, '3.19.2');
      assert.ok((await ctl('GET', '/counters')).json['GET /meta'] >= 4);
      assert.ok((await ctl('GET', '/requests')).json.length >= 5);
      assert.equal((await ctl('GET', '/nope')).status, 404);
    } finally {
      await sim.close();
    }
  });
});

describe('TLS', () => {
  it('serves https with the given certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghes-sim-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'c.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
      const sim = await startGhesSim({ tls: { certPem, keyPem: readFileSync(join(dir, 'k.pem'), 'utf8') } });
      try {
        assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
        const body = await new Promise<string>((resolve, reject) => {
          httpsRequest(`${sim.url}/meta`, { ca: certPem }, (res) => {
            let s = '';
            res.on('data', (c) => (s += c));
            res.on('end', () => resolve(s));
          })
            .on('error', reject)
            .end();
        });
        assert.equal(JSON.parse(body).installed_version, '3.21.0');
      } finally {
        await sim.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
