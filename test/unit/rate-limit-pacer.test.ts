import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimitPacer } from '../../agent/port/rate-limit-pacer.js';

const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] ?? null });
const T0 = Date.parse('2026-03-01T10:00:00Z');
/** Port's headers: limit, remaining, reset as UTC epoch seconds. */
const answer = (remaining: number, resetInS: number, limit = 1000) =>
  headers({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(Math.ceil(T0 / 1000) + resetInS),
  });

describe('Port rate-limit pacer', () => {
  it('lets requests go at once while much of the window is left, and before any answer', () => {
    const p = createRateLimitPacer();
    assert.equal(p.take(T0), 0);
    p.observe(answer(900, 60), T0);
    for (let i = 0; i < 100; i++) assert.equal(p.take(T0), 0);
  });

  it('spreads the requests left over the time to the reset when the budget runs low', () => {
    const p = createRateLimitPacer();
    p.observe(answer(150, 60), T0); // 15% of 1000 left, 50 kept in reserve: 100 over 60 s
    const waits = Array.from({ length: 5 }, () => p.take(T0));
    assert.equal(waits[0], 0);
    assert.ok(waits[1]! > 500 && waits[1]! < 700, `about 0.6 s apart: ${waits.join(', ')}`);
    assert.ok(
      waits.every((w, i) => i === 0 || w > waits[i - 1]!),
      'each later than the one before',
    );
  });

  it('waits for the reset at the reserve (x-ratelimit-reset is epoch seconds), and not after it', () => {
    const p = createRateLimitPacer();
    p.observe(answer(40, 20), T0);
    assert.equal(p.take(T0), 20_000);
    assert.equal(p.untilReset(T0), 20_000);
    assert.equal(p.take(T0 + 20_000), 0, 'the window has reset');
  });

  it('counts requests started since the last answer, so a burst cannot overdraw a stale remaining', () => {
    const p = createRateLimitPacer();
    p.observe(answer(55, 30), T0); // 5 above the reserve of 50
    const waits = Array.from({ length: 8 }, () => p.take(T0));
    assert.ok(
      waits.slice(5).every((w) => w === 30_000),
      `the 6th request on waits for the reset: ${waits.join(', ')}`,
    );
  });

  it('reads a small reset as seconds from now, never as 1970', () => {
    const p = createRateLimitPacer();
    p.observe(headers({ 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '7' }), T0);
    assert.equal(p.take(T0), 7_000);
  });

  it('ignores answers without the headers', () => {
    const p = createRateLimitPacer();
    p.observe(headers({}), T0);
    assert.equal(p.remaining(), undefined);
    assert.equal(p.take(T0), 0);
  });
});
