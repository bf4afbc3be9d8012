// The Port client against a scripted fetch: rate-limit headers pace requests before a 429, a 429
// waits for the reset, reads ask for version=v2, a 401 renews the token once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp, decodeJwtClaims } from '../../agent/port/port-http.js';
import type { Clock } from '../../agent/util/backoff.js';
import { type FetchFn, type HttpResponse, ResponseHeaders } from '../../agent/util/http-fetch.js';

const quiet = {
  child: () => quiet,
  warn: () => undefined,
  info: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    url: '',
    headers: new ResponseHeaders(headers),
    body: undefined as never,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    arrayBuffer: async () => new ArrayBuffer(0),
  };
}

function setup(answer: (url: string, n: number) => HttpResponse) {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const sleeps: number[] = [];
  const urls: string[] = [];
  const clock: Clock = { now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) };
  const fetch: FetchFn = async (url) => {
    urls.push(String(url));
    return answer(String(url), urls.length);
  };
  const metrics = createMetrics({ defaultMetrics: false });
  const client = createPortClient({
    http: createPortHttp({ baseUrl: 'https://port.test', clientId: 'c', clientSecret: 's', fetch, clock, metrics, logger: quiet }),
  });
  return { client, sleeps, urls, metrics, now: () => now };
}

const token = response(200, { ok: true, accessToken: 'tok', expiresIn: 3600, tokenType: 'Bearer' });
const run = {
  ok: true,
  run: { id: 'r_1', status: 'IN_PROGRESS', action: { identifier: 'a' }, properties: {}, requiredApproval: false, source: 'UI' },
};

describe('Port client', () => {
  it('reads runs with version=v2', async () => {
    const s = setup((url) => (url.endsWith('access_token') ? token : response(200, run)));
    await s.client.getRun('r_1');
    assert.equal(s.urls[1], 'https://port.test/v1/actions/runs/r_1?version=v2');
  });

  it('slows down when x-ratelimit-remaining runs low, before Port answers 429', async () => {
    const resetS = Math.ceil(Date.parse('2026-03-01T10:00:00Z') / 1000) + 30;
    const s = setup((url) =>
      url.endsWith('access_token')
        ? token
        : response(200, run, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '6', 'x-ratelimit-reset': String(resetS) }),
    );
    for (let i = 0; i < 4; i++) await s.client.getRun('r_1');
    assert.ok(
      s.sleeps.some((ms) => ms > 1000),
      `waited towards the reset: ${s.sleeps.join(', ')}`,
    );
    assert.match(await s.metrics.registry.metrics(), /ghes_agent_port_rate_limit_remaining 6/);
    assert.match(await s.metrics.registry.metrics(), /ghes_agent_limit_reached_total\{limit="port_rate"\} [1-9]/);
  });

  it('a 429 without retry-after is retriable after the reset the headers give', async () => {
    const resetS = Math.ceil(Date.parse('2026-03-01T10:00:00Z') / 1000) + 12;
    const s = setup((url) =>
      url.endsWith('access_token')
        ? token
        : response(
            429,
            { ok: false, error: 'rate_limit_exceeded', message: 'slow down' },
            { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetS) },
          ),
    );
    const err = await s.client.getRun('r_1').then(
      () => undefined,
      (e: unknown) => e as { retriable: boolean; retryAfterMs: number; code: string },
    );
    assert.equal(err?.code, 'rate_limited');
    assert.equal(err?.retriable, true);
    assert.equal(err?.retryAfterMs, 12_000);
  });

  it('renews the token once on a 401', async () => {
    let tokens = 0;
    const s = setup((url, n) => {
      if (url.endsWith('access_token')) return (tokens++, token);
      return n === 2 ? response(401, { ok: false, error: 'unauthorized' }) : response(200, run);
    });
    assert.equal((await s.client.getRun('r_1'))?.id, 'r_1');
    assert.equal(tokens, 2);
  });
});

describe('decodeJwtClaims', () => {
  it('reads the payload of a JWT and nothing else', () => {
    const jwt = `x.${Buffer.from(JSON.stringify({ isMachine: true, orgId: 'org_1' })).toString('base64url')}.sig`;
    assert.deepEqual(decodeJwtClaims(jwt), { isMachine: true, orgId: 'org_1' });
    assert.deepEqual(decodeJwtClaims('opaque-token'), {});
    assert.deepEqual(decodeJwtClaims('a.!!!.c'), {});
  });
});
