import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DISPATCH_WINDOW_MS, createDispatchPacer } from '../../agent/github/dispatch-pacer.js';

/** Largest number of starts in any window of DISPATCH_WINDOW_MS. */
function busiestWindow(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= DISPATCH_WINDOW_MS) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('dispatch pacer', () => {
  it('a burst for one repository: the first `limit` at once, the rest a window later, never more than `limit` per window', () => {
    const pacer = createDispatchPacer(400);
    const at = Array.from({ length: 1000 }, () => pacer.reserve('acme/infra', 0));
    assert.equal(at.filter((t) => t === 0).length, 400);
    assert.equal(at.filter((t) => t === DISPATCH_WINDOW_MS).length, 400);
    assert.equal(at.filter((t) => t === 2 * DISPATCH_WINDOW_MS).length, 200);
    assert.equal(busiestWindow(at), 400);
  });

  it('repositories are paced apart: one busy repository does not delay another', () => {
    const pacer = createDispatchPacer(3);
    for (let i = 0; i < 9; i++) pacer.reserve('acme/busy', 0);
    assert.equal(pacer.reserve('acme/quiet', 0), 0);
  });

  it('a steady stream under the limit never waits; above it, any window holds at most `limit`', () => {
    const pacer = createDispatchPacer(50);
    const under = Array.from({ length: 200 }, (_, i) => pacer.reserve('a/under', i * 250)); // 40 per 10 s
    assert.ok(under.every((t, i) => t === i * 250));
    const over = Array.from({ length: 600 }, (_, i) => pacer.reserve('a/over', i * 100)); // 100 per 10 s
    assert.equal(busiestWindow(over), 50);
    assert.ok(over.every((t, i) => i === 0 || t >= over[i - 1]!), 'starts keep their order');
  });

  it('forgets quiet repositories', () => {
    const pacer = createDispatchPacer(5);
    for (let i = 0; i < 50; i++) pacer.reserve(`acme/r${i}`, 0);
    assert.equal(pacer.size(), 50);
    for (let i = 0; i < 1000; i++) pacer.reserve('acme/hot', 60_000 + i * 1000);
    assert.equal(pacer.size(), 1);
  });
});
