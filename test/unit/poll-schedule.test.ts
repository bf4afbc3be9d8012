// The batched watcher's pure decisions (poll-schedule.ts), tested without a clock or a GitHub.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listKind, nextIntervalMs, reachFloorMs, worthAnotherPage } from '../../agent/tracking/poll-schedule.js';

describe('poll schedule (pure)', () => {
  const cfg = { baseMs: 10_000, maxMs: 60_000, youngMs: 60_000 };
  it('base pace while young or due, growing when quiet, floored by the server', () => {
    assert.equal(nextIntervalMs(cfg, { youngestAgeMs: 5_000, anyDue: false, quietPolls: 9 }, 0.5), 10_000);
    assert.equal(nextIntervalMs(cfg, { youngestAgeMs: 1e9, anyDue: true, quietPolls: 9 }, 0.5), 10_000);
    assert.equal(nextIntervalMs(cfg, { youngestAgeMs: 1e9, anyDue: false, quietPolls: 1 }, 0.5), 15_000);
    assert.equal(nextIntervalMs(cfg, { youngestAgeMs: 1e9, anyDue: false, quietPolls: 30 }, 0.5), 60_000);
    assert.equal(nextIntervalMs(cfg, { youngestAgeMs: 0, anyDue: true, quietPolls: 0, serverMinMs: 30_000 }, 0.5), 30_000);
    assert.equal(nextIntervalMs(cfg, { youngestAgeMs: 0, anyDue: true, quietPolls: 0 }, 0), 9_000);
  });
  it('sweeps when due, and only then', () => {
    assert.equal(listKind(100_000, 90_000, 30_000), 'completed');
    assert.equal(listKind(100_000, 70_000, 30_000), 'sweep');
    assert.equal(listKind(100_000, -Infinity, 30_000), 'sweep');
  });
  it('a full page cuts off runs older than its oldest entry', () => {
    const runs = [{ created_at: '2026-01-01T10:00:05Z' }, { created_at: '2026-01-01T10:00:01Z' }];
    assert.equal(reachFloorMs({ totalCount: 2, runs }), -Infinity);
    assert.equal(reachFloorMs({ totalCount: 3, runs }), Date.parse('2026-01-01T10:00:01Z') + 1000);
  });
  it('1,000 shown of a total_count of 1,000 is the cap: the rest is out of reach', () => {
    const runs = [{ created_at: '2026-01-01T10:00:05Z' }, { created_at: '2026-01-01T10:00:01Z' }];
    assert.equal(reachFloorMs({ totalCount: 1000, runs }, 1000), Date.parse('2026-01-01T10:00:01Z') + 1000);
    assert.equal(reachFloorMs({ totalCount: 999, runs }, 999), -Infinity);
  });
  it('another page only when the pages left cover several tracked runs each', () => {
    assert.equal(worthAnotherPage({ beyond: 1, shownSoFar: 100, totalCount: 1000, perPage: 100 }), false, 'one run: a GET, not nine pages');
    assert.equal(worthAnotherPage({ beyond: 17, shownSoFar: 100, totalCount: 1000, perPage: 100 }), false);
    assert.equal(worthAnotherPage({ beyond: 18, shownSoFar: 100, totalCount: 1000, perPage: 100 }), true);
    assert.equal(worthAnotherPage({ beyond: 2, shownSoFar: 100, totalCount: 150, perPage: 100 }), true);
    assert.equal(
      worthAnotherPage({ beyond: 50, shownSoFar: 1000, totalCount: 1000, perPage: 100 }),
      false,
      'nothing beyond 1,000 can be read',
    );
    assert.equal(worthAnotherPage({ beyond: 0, shownSoFar: 100, totalCount: 300, perPage: 100 }), false);
  });
});
