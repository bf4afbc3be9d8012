// The relay's OIDC verifier (issue 26) against a scripted GHES: keys fetched through the agent's
// fetch, refreshed on an unknown kid at most every minRefreshMs, and GHES being unreachable
// answered as "cannot verify now" (503), never as a refused token (401).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { AgentError } from '../../agent/errors.js';
import { createOidcVerifier } from '../../agent/relay/oidc-verifier.js';
import { type FetchFn, type HttpResponse, ResponseHeaders } from '../../agent/util/http-fetch.js';

const ISSUER = 'https://ghes.example.com/_services/token';

function answer(status: number, body: unknown): HttpResponse {
  const text = JSON.stringify(body);
  return {
    ok: status < 300,
    status,
    statusText: '',
    url: '',
    headers: new ResponseHeaders({}),
    body: undefined as never,
    text: async () => text,
    json: async () => body,
    arrayBuffer: async () => new ArrayBuffer(0),
  };
}

async function key(kid: string) {
  const pair = await generateKeyPair('RS256', { extractable: true });
  return { kid, pair, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256' } as JWK };
}

function ghes(jwks: () => JWK[]) {
  const calls: string[] = [];
  let down = false;
  const fetch: FetchFn = async (url) => {
    calls.push(String(url));
    if (down) throw new Error('connect ECONNREFUSED');
    if (String(url).endsWith('/openid-configuration')) return answer(200, { issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks` });
    return answer(200, { keys: jwks() });
  };
  return { fetch, calls, setDown: (d: boolean) => (down = d) };
}

const sign = (k: Awaited<ReturnType<typeof key>>, nowS: number) =>
  new SignJWT({ repository: 'acme/infra' })
    .setProtectedHeader({ alg: 'RS256', kid: k.kid })
    .setIssuer(ISSUER)
    .setAudience('ghes-agent')
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + 300)
    .sign(k.pair.privateKey);

describe('OIDC verifier', () => {
  test('an unknown kid refreshes the keys, at most once per minRefreshMs', async () => {
    const k1 = await key('k1');
    const k2 = await key('k2');
    let published = [k1.jwk];
    const g = ghes(() => published);
    let now = 1_700_000_000_000;
    const v = createOidcVerifier({ issuer: ISSUER, audience: 'ghes-agent', fetch: g.fetch, now: () => now, minRefreshMs: 30_000 });
    await v.verify(await sign(k1, now / 1000));
    assert.equal(g.calls.length, 2);
    published = [k1.jwk, k2.jwk];
    // Within 30 s of the last load: no new fetch, the token is refused.
    await assert.rejects(
      v.verify(await sign(k2, now / 1000)),
      (e: unknown) => e instanceof AgentError && e.status === 401 && /unknown kid/.test(e.message),
    );
    assert.equal(g.calls.length, 2);
    now += 30_000;
    await v.verify(await sign(k2, now / 1000));
    assert.equal(g.calls.length, 4);
  });

  test('GHES unreachable or failing: 503 (cannot verify now), not a refused token', async () => {
    const k1 = await key('k1');
    const g = ghes(() => [k1.jwk]);
    g.setDown(true);
    const now = 1_700_000_000_000;
    const v = createOidcVerifier({ issuer: ISSUER, audience: 'ghes-agent', fetch: g.fetch, now: () => now, minRefreshMs: 30_000 });
    await assert.rejects(v.verify(await sign(k1, now / 1000)), (e: unknown) => e instanceof AgentError && e.status === 503 && e.retriable);
    const bad = createOidcVerifier({
      issuer: ISSUER,
      audience: 'ghes-agent',
      fetch: async () => answer(500, { message: 'Server Error' }),
      now: () => now,
    });
    await assert.rejects(bad.verify(await sign(k1, now / 1000)), (e: unknown) => e instanceof AgentError && e.status === 503);
  });

  test('a discovery document naming keys on another origin is not trusted', async () => {
    const k1 = await key('k1');
    const fetch: FetchFn = async (url) =>
      String(url).endsWith('/openid-configuration')
        ? answer(200, { issuer: ISSUER, jwks_uri: 'https://evil.example.com/jwks' })
        : answer(200, { keys: [k1.jwk] });
    const now = 1_700_000_000_000;
    const v = createOidcVerifier({ issuer: ISSUER, audience: 'ghes-agent', fetch, now: () => now });
    await assert.rejects(
      v.verify(await sign(k1, now / 1000)),
      (e: unknown) => e instanceof AgentError && e.status === 503 && /not on https:\/\/ghes.example.com/.test(e.message),
    );
  });
});
