import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapBudgetWarning, liveHeapMb, recommendedHeapMb } from '../../agent/observability/heap-budget.js';

describe('heap budget', () => {
  it('estimates the live heap from the runs in flight and recommends twice that, in 16 MB steps', () => {
    assert.equal(Math.round(liveHeapMb(10_000)), 73);
    assert.equal(recommendedHeapMb(10_000), 160);
    assert.equal(recommendedHeapMb(21_000), 256);
    assert.equal(recommendedHeapMb(1) % 16, 0);
  });

  it('is quiet when the heap has room, and names the flag, the Helm value and the setting when not', () => {
    assert.equal(heapBudgetWarning(160, 10_000), undefined);
    assert.equal(heapBudgetWarning(4144, 10_000), undefined);
    const w = heapBudgetWarning(64, 10_000);
    assert.ok(w);
    assert.match(w, /64 MB/);
    assert.match(w, /limits\.maxInflightRuns=10000/);
    assert.match(w, /--max-old-space-size=160/);
    assert.match(w, /nodeHeap\.maxOldSpaceMb/);
    assert.ok(heapBudgetWarning(160, 40_000), 'the image default does not hold 40,000 runs');
  });
});
