import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapBudgetWarning, liveHeapMb, oldSpaceLimitMb, recommendedHeapMb } from '../../agent/observability/heap-budget.js';

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

  it('measures the old space the flag sets, not heap_size_limit, which adds a young generation Node 24 makes 4x larger', () => {
    // Node 24.18 with --max-old-space-size=128: heap_size_limit 320 MB (128 + 3 x 64 MB semi-spaces).
    assert.equal(oldSpaceLimitMb(320, ['--max-old-space-size=128']), 128);
    assert.ok(heapBudgetWarning(oldSpaceLimitMb(320, ['--max-old-space-size=128']), 40_000), 'Node 24 hid this warning');
    assert.equal(oldSpaceLimitMb(166, ['--enable-source-maps', '--max-old-space-size=160', '--max-semi-space-size=2']), 160);
    assert.equal(oldSpaceLimitMb(300, ['--max_old_space_size=96']), 96, 'V8 accepts underscores');
    assert.equal(oldSpaceLimitMb(300, ['--max-old-space-size', '64']), 64, 'value as the next argument');
    assert.equal(
      oldSpaceLimitMb(300, ['--max-old-space-size=160', '--max-old-space-size=256']),
      256,
      'the command line (last) wins over NODE_OPTIONS',
    );
    assert.equal(oldSpaceLimitMb(4144, ['', '--enable-source-maps']), 4144, 'no flag: V8 default, heap_size_limit');
    assert.equal(oldSpaceLimitMb(4144, ['--max-old-space-size=lots']), 4144);
  });
});
