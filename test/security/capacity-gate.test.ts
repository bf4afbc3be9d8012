// The consumer's gate: a bound reached closes it, is counted once and logged once per episode,
// and opens again when the work in hand shrinks.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createCapacityGate } from '../../agent/util/capacity-gate.js';

describe('capacity gate', () => {
  it('closes at a bound, counts and logs each episode once, reopens below it', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    const logger = createLogger({ level: 'info', secrets: createSecretScrubber(), stream });
    const metrics = createMetrics({ defaultMetrics: false });
    let runs = 0;
    let reports = 0;
    const open = createCapacityGate({
      bounds: [
        { limit: 'inflight_runs', setting: 'limits.maxInflightRuns', max: 2, current: () => runs },
        { limit: 'queued_reports', setting: 'limits.maxQueuedReports', max: 10, current: () => reports },
      ],
      metrics,
      logger,
    });
    const count = async (limit: string) => (await metrics.limitReached.get()).values.find((v) => v.labels.limit === limit)?.value ?? 0;

    assert.equal(open(), true);
    runs = 2;
    for (let i = 0; i < 50; i++) assert.equal(open(), false); // the consumer polls while it waits
    assert.equal(await count('inflight_runs'), 1);
    runs = 1;
    assert.equal(open(), true);
    runs = 2;
    reports = 11;
    assert.equal(open(), false);
    assert.equal(await count('inflight_runs'), 2);
    assert.equal(await count('queued_reports'), 1);
    await new Promise((r) => setImmediate(r));
    const warn = lines.filter((l) => l.includes('"level":"warn"'));
    assert.equal(warn.length, 3, lines.join(''));
    assert.match(warn[0]!, /limits\.maxInflightRuns \(2\) reached/);
    assert.ok(lines.some((l) => /limits\.maxInflightRuns: back under 2/.test(l)));
  });
});
