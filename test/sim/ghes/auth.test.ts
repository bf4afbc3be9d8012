import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { JWT_MESSAGES } from './jwt.js';
import { startGhesSim } from './server.js';
import { call, makeJwt, sleep } from './test-helpers.js';
import type { GhesSim } from './types.js';

describe('authentication and authorization', () => {
  let sim: GhesSim;
  let instId: number;
  let narrowId: number;

  before(async () => {
    sim = await startGhesSim({ tokenTtlMs: 400 });
    sim.addRepo({ owner: 'acme', name: 'infra' });
    sim.addRepo({ owner: 'acme', name: 'secret' });
    sim.addRepo({ owner: 'other', name: 'app' });
    instId = sim.addInstallation('acme');
    narrowId = sim.addInstallation('other', { repositories: ['nothing-here'] });
    sim.addToken('pat-acme', { orgs: ['acme'], login: 'alice' });
    sim.addToken('pat-one', { repos: ['acme/infra'] });
  });
  after(() => sim.close());

  const jwt = (o: Parameters<typeof makeJwt>[2] = {}, iss: number | string = sim.app.appId, key = sim.app.privateKeyPem) =>
    makeJwt(key, iss, o);

  it('a valid App JWT (iss as number or string) reads /app and installations', async () => {
    for (const iss of [sim.app.appId, String(sim.app.appId)]) {
      const r = await call(sim, '/app', { token: jwt({}, iss) });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.id, sim.app.appId);
    }
    const org = await call(sim, '/orgs/acme/installation', { token: jwt() });
    assert.equal(org.json.id, instId);
    const repo = await call(sim, '/repos/acme/infra/installation', { token: jwt() });
    assert.equal(repo.json.id, instId);
    assert.equal((await call(sim, '/orgs/nobody/installation', { token: jwt() })).status, 404);
    assert.equal((await call(sim, '/repos/other/app/installation', { token: jwt() })).status, 404);
    assert.equal((await call(sim, '/app/installations/999999/access_tokens', { token: jwt(), method: 'POST' })).status, 404);
    assert.equal(sim.requests().at(-1)!.auth, 'jwt');
  });

  it('JWT: expired, too long-lived, issued in the future, wrong key, wrong app → 401 with GitHub messages', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, string]> = [
      [jwt({ nowS: now - 1200 }), JWT_MESSAGES.expired],
      [jwt({ lifetimeS: 3600 }), JWT_MESSAGES.tooFar],
      [jwt({ iatOffsetS: 300, lifetimeS: 200 }), JWT_MESSAGES.iatFuture],
      [
        jwt(
          {},
          sim.app.appId,
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        ),
        JWT_MESSAGES.undecodable,
      ],
      [jwt({}, sim.app.appId + 1), JWT_MESSAGES.unknownApp],
    ];
    for (const [token, message] of cases) {
      const r = await call(sim, '/app', { token });
      assert.equal(r.status, 401, message);
      assert.equal(r.json.message, message);
    }
    // GitHub enforces both claims against its own clock, to the second (jwt.ts): issued one
    // second ahead, or expiring one second beyond 10 minutes, is refused; at the limits it is not.
    assert.equal((await call(sim, '/app', { token: jwt({ iatOffsetS: 2 }) })).json.message, JWT_MESSAGES.iatFuture);
    assert.equal((await call(sim, '/app', { token: jwt({ iatOffsetS: -30, lifetimeS: 632 }) })).json.message, JWT_MESSAGES.tooFar);
    assert.equal((await call(sim, '/app', { token: jwt({ iatOffsetS: 0, lifetimeS: 598 }) })).status, 200);
    assert.equal((await call(sim, '/app', { token: jwt({ iatOffsetS: -700, lifetimeS: 600 }) })).json.message, JWT_MESSAGES.expired);
  });

  it('JWT is refused on repository routes; tokens are refused on /app routes', async () => {
    assert.equal((await call(sim, '/repos/acme/infra', { token: jwt() })).status, 403);
    const r = await call(sim, '/app', { token: 'pat-acme' });
    assert.equal(r.status, 401);
  });

  it('installation tokens: 201 with expiry, access to the account repos, 403 elsewhere, 401 once expired', async () => {
    const t = await call(sim, `/app/installations/${instId}/access_tokens`, { token: jwt(), method: 'POST' });
    assert.equal(t.status, 201);
    assert.match(t.json.token, /^ghs_/);
    const exp = Date.parse(t.json.expires_at);
    assert.ok(exp > Date.now() - 1000 && exp < Date.now() + 2000, t.json.expires_at);
    assert.equal((await call(sim, '/repos/acme/secret', { token: t.json.token })).status, 200);
    assert.equal(sim.requests().at(-1)!.auth, 'installation');
    const denied = await call(sim, '/repos/other/app', { token: t.json.token });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.message, 'Resource not accessible by integration');
    await sleep(450);
    const expired = await call(sim, '/repos/acme/infra', { token: t.json.token });
    assert.equal(expired.status, 401);
    assert.equal(expired.json.message, 'Bad credentials');
  });

  it('installation limited to selected repositories is refused the others', async () => {
    const t = await call(sim, `/app/installations/${narrowId}/access_tokens`, { token: jwt(), method: 'POST' });
    assert.equal(t.json.repository_selection, 'selected');
    assert.equal((await call(sim, '/repos/other/app', { token: t.json.token })).status, 403);
  });

  it('PATs: org-wide and single-repo access; 403 without access; 401 for unknown or missing', async () => {
    assert.equal((await call(sim, '/repos/acme/secret', { token: 'pat-acme' })).status, 200);
    assert.equal((await call(sim, '/repos/acme/infra', { token: 'pat-one' })).status, 200);
    const d = await call(sim, '/repos/acme/secret', { token: 'pat-one' });
    assert.equal(d.status, 403);
    assert.equal(d.json.message, 'Resource not accessible by personal access token');
    const bad = await call(sim, '/repos/acme/infra', { token: 'nope' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.message, 'Bad credentials');
    assert.match(bad.json.documentation_url, /^https:\/\/docs\.github\.com\/enterprise-server@3\.21\/rest/);
    const none = await call(sim, '/repos/acme/infra');
    assert.equal(none.status, 401);
    assert.equal(none.json.message, 'Requires authentication');
    // Unknown repos are 404 whatever the token may see.
    assert.equal((await call(sim, '/repos/acme/ghost', { token: 'pat-one' })).status, 404);
    // /meta needs no credentials.
    assert.equal((await call(sim, '/meta')).status, 200);
  });
});
