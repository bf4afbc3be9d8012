import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { backoffDelay, realClock, retry, type Clock } from '../../agent/util/backoff.js';

/** A clock whose sleep resolves at once and records what was asked. */
function fakeClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  let now = 0;
  return {
    delays,
    now: () => now,
    sleep: async (ms) => {
      delays.push(ms);
      now += ms;
    },
  };
}
const transient = (retryAfterMs?: number) => new AgentError('server', 'GHES answered 503', { retriable: true, retryAfterMs });

describe('backoffDelay', () => {
  it('stays within [exp/2, exp] with exp = min(cap, base·2^attempt)', () => {
    const opts = { baseMs: 100, capMs: 5000 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const exp = Math.min(5000, 100 * 2 ** attempt);
      assert.equal(backoffDelay(attempt, { ...opts, random: () => 0 }), exp / 2);
      assert.equal(backoffDelay(attempt, { ...opts, random: () => 0.999999 }) <= exp, true);
      assert.ok(backoffDelay(attempt, { ...opts, random: () => 0.999999 }) > exp * 0.99);
      const r = backoffDelay(attempt, opts);
      assert.ok(r >= exp / 2 && r <= exp, `attempt ${attempt}: ${r}`);
    }
  });

  it('is capped even for huge attempt numbers', () => {
    assert.equal(backoffDelay(1000, { baseMs: 500, capMs: 30_000, random: () => 1 }), 30_000);
    assert.ok(Number.isFinite(backoffDelay(1e9, { baseMs: 500, capMs: 30_000 })));
  });

  it('a longer retry-after wins; a shorter one does not shorten the backoff', () => {
    assert.equal(backoffDelay(0, { baseMs: 100, capMs: 1000, random: () => 0 }, 60_000), 60_000);
    assert.equal(backoffDelay(5, { baseMs: 100, capMs: 1000, random: () => 0 }, 10), 500);
  });
});

describe('retry', () => {
  it('returns the first success, retrying transient failures with growing delays', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        assert.equal(attempt, calls - 1);
        if (calls < 4) throw transient();
        return 'ok';
      },
      { clock, baseMs: 100, capMs: 10_000 },
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 4);
    assert.equal(clock.delays.length, 3);
    clock.delays.forEach((d, i) => assert.ok(d >= (100 * 2 ** i) / 2 && d <= 100 * 2 ** i, `delay ${i}: ${d}`));
  });

  it('stops at once on a non-retriable error', async () => {
    const clock = fakeClock();
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new AgentError('not_found', 'no such workflow');
        },
        { clock },
      ),
      (err: unknown) => err instanceof AgentError && err.code === 'not_found',
    );
    assert.equal(calls, 1);
    assert.deepEqual(clock.delays, []);
  });

  it('wraps a foreign error as a non-retriable internal AgentError without retrying', async () => {
    const clock = fakeClock();
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new TypeError('boom');
        },
        { clock },
      ),
      (err: unknown) => err instanceof AgentError && err.code === 'internal' && err.message === 'boom',
    );
    assert.equal(calls, 1);
  });

  it('honours maxAttempts and throws the last error', async () => {
    const clock = fakeClock();
    let calls = 0;
    const retries: number[] = [];
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw transient();
        },
        { clock, maxAttempts: 3, onRetry: (_e, attempt) => retries.push(attempt) },
      ),
      (err: unknown) => err instanceof AgentError && err.code === 'server',
    );
    assert.equal(calls, 3);
    assert.equal(clock.delays.length, 2);
    assert.deepEqual(retries, [0, 1]);
  });

  it('waits at least the server retry-after', async () => {
    const clock = fakeClock();
    let calls = 0;
    await retry(
      async () => {
        if (calls++ === 0) throw transient(45_000);
        return 1;
      },
      { clock, baseMs: 10 },
    );
    assert.deepEqual(clock.delays, [45_000]);
  });

  it('an already aborted signal stops before calling', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    await assert.rejects(
      retry(async () => ++calls, { clock: fakeClock(), signal: controller.signal }),
      /aborted/,
    );
    assert.equal(calls, 0);
  });
});

describe('realClock.sleep', () => {
  it('takes a delay a hair below zero (deadline - now() just before a deadline with a fraction) as zero: no TimeoutNegativeWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      await realClock.sleep(-0.6177);
      await realClock.sleep(-5);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});
