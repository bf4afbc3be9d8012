import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { PortClient } from '../../agent/port/port-client.js';
import { createReporter } from '../../agent/port/reporter.js';
import type { Clock } from '../../agent/util/backoff.js';

const quietLogger = {
  child: () => quietLogger,
  warn: () => undefined,
  error: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

describe('reporter: reports of a run handed to another replica', () => {
  it('are not retried after the signal aborts, and queued ones are never sent', async () => {
    const attempts: string[] = [];
    let failing = true;
    const port: PortClient = {
      getRun: async () => undefined,
      patchRun: async (_runId, patch) => {
        attempts.push(`patch ${patch.status ?? patch.statusLabel}`);
        if (failing) throw new AgentError('server', 'Port answered 503', { status: 503, retriable: true });
      },
      addLog: async (_runId, log) => void attempts.push(`log ${log.message}`),
      getKafkaCredentials: async () => ({ brokers: [], username: '', password: '' }),
    };
    const owned = new AbortController();
    const sleeping: Array<() => void> = [];
    const clock: Clock = {
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((resolve, reject) => {
          sleeping.push(resolve);
          signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    };
    const reporter = createReporter({ port, clock, metrics: createMetrics({ defaultMetrics: false }), logger: quietLogger });
    const status = reporter.send('r_1', { kind: 'patch', patch: { status: 'SUCCESS' } }, owned.signal);
    const after = reporter.send('r_1', { kind: 'log', log: { message: 'later' } }, owned.signal);
    const other = reporter.send('r_2', { kind: 'log', log: { message: 'other run' } });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(attempts, ['patch SUCCESS', 'log other run']);
    owned.abort();
    failing = false;
    await assert.rejects(status, /handed to another replica/);
    await assert.rejects(after, /handed to another replica/);
    await other;
    assert.deepEqual(attempts, ['patch SUCCESS', 'log other run'], 'no retry, nothing queued sent');
    assert.equal(reporter.pending(), 0);
    reporter.stop();
  });
});
