import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionOffsets } from '../../agent/kafka/offset-tracker.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PartitionOffsets', () => {
  it('with nothing seen, the commit point is 0', () => {
    assert.equal(new PartitionOffsets().commitPoint(), 0n);
  });

  it('in-order completion commits each next offset', () => {
    const p = new PartitionOffsets();
    for (const o of [5n, 6n, 7n]) p.add(o);
    assert.equal(p.size, 3);
    assert.equal(p.commitPoint(), 5n);
    assert.equal(p.done(5n), 6n);
    assert.equal(p.done(6n), 7n);
    assert.equal(p.done(7n), 8n);
    assert.equal(p.size, 0);
  });

  it('out-of-order completion commits only up to the oldest pending', () => {
    const p = new PartitionOffsets();
    for (const o of [10n, 11n, 12n, 13n]) p.add(o);
    // The first answer may name the oldest pending offset itself (committing 10 = "read 10 next"): safe.
    assert.equal(p.done(12n), 10n, 'oldest (10) still pending: commit point stays at 10');
    assert.equal(p.done(13n), undefined);
    assert.equal(p.commitPoint(), 10n);
    assert.equal(p.done(11n), undefined);
    assert.equal(p.done(10n), 14n, 'everything done: highest + 1');
    assert.equal(p.commitPoint(), 14n);
  });

  it('advances past the finished prefix only', () => {
    const p = new PartitionOffsets();
    for (const o of [0n, 1n, 2n, 3n]) p.add(o);
    p.done(1n);
    assert.equal(p.done(0n), 2n);
    assert.equal(p.commitPoint(), 2n);
  });

  it('gaps in offsets (compaction, transactions) are fine', () => {
    const p = new PartitionOffsets();
    for (const o of [3n, 7n, 20n]) p.add(o);
    assert.equal(p.done(3n), 7n);
    assert.equal(p.done(20n), undefined);
    assert.equal(p.done(7n), 21n);
  });

  it('redelivered offsets (already tracked or already done) are ignored', () => {
    const p = new PartitionOffsets();
    p.add(1n);
    p.add(2n);
    assert.equal(p.done(1n), 2n);
    p.add(1n); // redelivered after a seek: already done, must not be pending again
    p.add(2n); // redelivered while pending: tracked once
    assert.equal(p.size, 1);
    assert.equal(p.commitPoint(), 2n);
    assert.equal(p.done(2n), 3n);
    assert.equal(p.size, 0);
  });

  it('a done() that does not advance (or repeats) returns undefined and never moves backwards', () => {
    const p = new PartitionOffsets();
    p.add(1n);
    assert.equal(p.done(1n), 2n);
    assert.equal(p.done(1n), undefined);
    assert.equal(p.done(0n), undefined);
    assert.equal(p.commitPoint(), 2n);
  });

  it('property: for random completion orders, commits are monotonic and never pass a pending offset', () => {
    const rnd = prng(1234);
    for (let round = 0; round < 40; round++) {
      const p = new PartitionOffsets();
      const n = round === 0 ? 3000 : 1 + Math.floor(rnd() * 200); // round 0 crosses the 1024 compaction threshold
      const base = BigInt(Math.floor(rnd() * 1e6));
      const offsets: bigint[] = [];
      let o = base;
      for (let i = 0; i < n; i++) {
        o += 1n + (rnd() < 0.1 ? BigInt(Math.floor(rnd() * 5)) : 0n);
        offsets.push(o);
      }
      const pending = new Set<bigint>();
      const order = [...offsets];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      // Interleave adds (in offset order) with completions (in random order among added ones).
      let added = 0;
      let last = -1n;
      const completed: bigint[] = [];
      while (completed.length < n) {
        if (added < n && (pending.size === 0 || rnd() < 0.5)) {
          p.add(offsets[added]!);
          pending.add(offsets[added]!);
          if (rnd() < 0.05 && added > 0) p.add(offsets[Math.floor(rnd() * added)]!); // redelivery
          added++;
          continue;
        }
        const candidates = order.filter((x) => pending.has(x));
        const pick = candidates[0]!;
        order.splice(order.indexOf(pick), 1);
        pending.delete(pick);
        completed.push(pick);
        const commit = p.done(pick);
        const point = p.commitPoint();
        const oldestPending = [...pending].reduce<bigint | undefined>((m, x) => (m === undefined || x < m ? x : m), undefined);
        const expected = oldestPending ?? offsets[added - 1]! + 1n;
        assert.equal(point, expected, `round ${round}: commit point`);
        if (commit !== undefined) {
          assert.ok(commit > last, 'commits only move forward');
          assert.equal(commit, expected);
          last = commit;
        }
        assert.equal(p.size, pending.size);
      }
      assert.equal(last, offsets[n - 1]! + 1n, `round ${round}: after all done, highest + 1 committed`);
    }
  });
});
