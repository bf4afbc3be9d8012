// GHES's clock as the agent measures it (Date headers), and what it is used for: App JWTs made
// on GHES's clock, installation tokens renewed by GHES's expires_at.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { jwtOnServerClock } from '../../agent/github/app-jwt.js';
import { createClockSkew, measuringSkew } from '../../agent/github/clock-skew.js';
import { createTokenCache } from '../../agent/github/token-cache.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { reportClockSkew } from '../../agent/observability/clock-skew-report.js';
import { ResponseHeaders, type FetchFn, type HttpResponse } from '../../agent/util/http-fetch.js';

const T = Date.parse('2026-05-01T12:00:00Z');
const header = (ms: number) => new Date(ms).toUTCString();

describe('clock skew from Date headers', () => {
  it('is 0 until measured, then the median of the last samples, each taken mid-second', () => {
    const changes: number[] = [];
    const skew = createClockSkew({ samples: 3, onChange: (ms) => changes.push(ms) });
    assert.equal(skew.offsetMs(), 0);
    assert.equal(skew.measured(), false);
    skew.observe(header(T - 120_000), T);
    assert.equal(skew.offsetMs(), -119_500);
    assert.equal(skew.measured(), true);
    // One slow response (its Date 3 s older than it arrived) does not move the median.
    skew.observe(header(T - 123_000), T);
    skew.observe(header(T - 120_000), T);
    assert.equal(skew.offsetMs(), -119_500);
    // Garbage and missing headers are ignored.
    skew.observe('not a date', T);
    skew.observe(undefined, T);
    assert.equal(skew.offsetMs(), -119_500);
    // The clock is fixed: the samples follow.
    skew.observe(header(T), T);
    skew.observe(header(T), T);
    assert.equal(skew.offsetMs(), 500);
    assert.equal(changes[0], -119_500);
    assert.equal(changes.at(-1), 500);
  });

  it('measuringSkew feeds every response through the fetch it wraps', async () => {
    const skew = createClockSkew();
    const inner: FetchFn = async () => ({ headers: new ResponseHeaders({ date: header(T + 600_000) }) }) as unknown as HttpResponse;
    await measuringSkew(inner, skew, () => T)('https://ghes.example/api/v3/meta');
    assert.equal(skew.offsetMs(), 600_500);
  });

  it("the App JWT is made on GHES's clock (iat 30 s before it, exp 10 minutes after iat); auth-app's own figure wins", async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const skew = createClockSkew();
    skew.observe(header(T - 120_000), T); // GHES 2 min behind (119.5 s measured)
    const make = jwtOnServerClock(pem, skew, { now: () => T });
    const claims = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number; iss: number };
    const { jwt, expiresAt } = await make(42);
    const c = claims(jwt);
    assert.equal(c.iat, Math.floor((T - 119_500) / 1000) - 30);
    assert.equal(c.exp, c.iat + 600);
    assert.equal(c.iss, 42);
    assert.equal(Date.parse(expiresAt), c.exp * 1000);
    const fromAuthApp = claims((await make(42, 300)).jwt);
    assert.equal(fromAuthApp.iat, Math.floor(T / 1000) + 300 - 30);
  });

  it('reports the skew as a gauge and warns once it can break App JWTs', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const chunks: string[] = [];
    const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
    const logger = createLogger({ level: 'info', secrets: createSecretScrubber([]), stream });
    const report = reportClockSkew({ metrics, logger });
    report(-2_000);
    report(-121_000);
    report(-122_000); // no second warning for the same skew
    report(-1_000);
    await new Promise((r) => setImmediate(r));
    const text = await metrics.registry.getSingleMetricAsString('ghes_agent_github_clock_skew_seconds');
    assert.match(text, /ghes_agent_github_clock_skew_seconds -1$/m);
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; message: string });
    assert.deepEqual(
      lines.map((l) => l.level),
      ['warn', 'info'],
    );
    assert.match(lines[0]!.message, /GHES's clock is 121 s behind this host's/);
  });
});

describe('installation token cache', () => {
  const entry = (createdMs: number, expiresMs: number) =>
    `ghs_x|${new Date(createdMs).toISOString()}|${new Date(expiresMs).toISOString()}|all|actions!|`;

  it("keeps an hour-long token until 5 minutes before GHES says it expires, on GHES's clock", () => {
    let serverNow = T;
    const cache = createTokenCache({ serverNow: () => serverNow });
    cache.set('k', entry(Date.now(), T + 3_600_000));
    assert.ok(cache.get('k'));
    serverNow = T + 54 * 60_000;
    assert.ok(cache.get('k'));
    serverNow = T + 55 * 60_000 + 1;
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.get('k'), undefined, 'dropped');
  });

  it('renews a short-lived token a twelfth of its life early', () => {
    let serverNow = T;
    const cache = createTokenCache({ serverNow: () => serverNow });
    cache.set('k', entry(Date.now(), T + 60_000));
    serverNow = T + 54_000;
    assert.ok(cache.get('k'));
    serverNow = T + 55_001;
    assert.equal(cache.get('k'), undefined);
  });

  it('holds at most maxEntries', () => {
    const cache = createTokenCache({ serverNow: () => T, maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) cache.set(k, entry(Date.now(), T + 3_600_000));
    assert.equal(cache.get('a'), undefined);
    assert.ok(cache.get('c'));
  });
});
