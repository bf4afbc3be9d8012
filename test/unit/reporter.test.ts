import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { PortClient } from '../../agent/port/port-client.js';
import type { PortLog, PortPatch } from '../../agent/types/port-run.js';
import { createReporter } from '../../agent/port/reporter.js';
import type { Clock } from '../../agent/util/backoff.js';

type Call = { runId: string; what: string };

/** A Port client that records calls and fails each call according to a script. */
function fakePort(script: (call: Call, n: number) => Error | undefined = () => undefined) {
  const calls: Call[] = [];
  const delivered: Call[] = [];
  const record = async (call: Call) => {
    calls.push(call);
    const err = script(call, calls.filter((c) => c.runId === call.runId && c.what === call.what).length);
    if (err) throw err;
    delivered.push(call);
  };
  const port: PortClient = {
    getRun: async () => undefined,
    patchRun: (runId: string, patch: PortPatch) => record({ runId, what: `patch ${String(patch.status ?? patch.link ?? '')}` }),
    addLog: (runId: string, log: PortLog) => record({ runId, what: `log ${log.message}` }),
    getKafkaCredentials: async () => ({ brokers: [], username: '', password: '' }),
  };
  return { port, calls, delivered };
}

/** A clock whose sleep resolves at once (or, when held, waits until released or aborted). */
function fakeClock(opts: { hold?: boolean } = {}) {
  const delays: number[] = [];
  const held: Array<() => void> = [];
  const clock: Clock = {
    now: () => 0,
    sleep: (ms, signal) => {
      delays.push(ms);
      if (!opts.hold) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('aborted'));
        held.push(resolve);
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    },
  };
  return { clock, delays, release: () => held.splice(0).forEach((r) => r()) };
}

function fakeLogger() {
  const warnings: Array<{ message: string; meta: Record<string, unknown> }> = [];
  const logger = {
    warn: (message: string, meta: Record<string, unknown>) => warnings.push({ message, meta }),
    info: () => undefined,
    error: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  return { logger, warnings };
}

const transient = () => new AgentError('server', 'Port answered 503', { retriable: true });
const patch = (status: 'SUCCESS' | 'FAILURE') => ({ kind: 'patch' as const, patch: { status } });
const log = (message: string) => ({ kind: 'log' as const, log: { message } });
const tick = () => new Promise<void>((r) => setImmediate(r));

function setup(script?: Parameters<typeof fakePort>[0], clockOpts?: { hold?: boolean }) {
  const port = fakePort(script);
  const clock = fakeClock(clockOpts);
  const logs = fakeLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const reporter = createReporter({ port: port.port, clock: clock.clock, metrics, logger: logs.logger, capMs: 1000 });
  return { reporter, metrics, ...port, ...clock, ...logs };
}

describe('reporter', () => {
  it("delivers one run's reports in order even when the first fails transiently twice", async () => {
    const t = setup((call, n) => (call.what === 'log Dispatched' && n <= 2 ? transient() : undefined));
    const sends = [
      t.reporter.send('r_1', log('Dispatched')),
      t.reporter.send('r_1', log('Workflow completed: success')),
      t.reporter.send('r_1', patch('SUCCESS')),
    ];
    await Promise.all(sends);
    assert.deepEqual(
      t.delivered.map((c) => c.what),
      ['log Dispatched', 'log Workflow completed: success', 'patch SUCCESS'],
    );
    assert.deepEqual(
      t.calls.map((c) => c.what),
      ['log Dispatched', 'log Dispatched', 'log Dispatched', 'log Workflow completed: success', 'patch SUCCESS'],
      'later reports wait for the failing first one',
    );
    assert.equal(t.delays.length, 2);
    t.delays.forEach((d) => assert.ok(d > 0 && d <= 1000, `backoff ${d} within capMs`));
    assert.equal(t.reporter.pending(), 0);
  });

  it("different runs are independent: one run's retries do not hold another's", async () => {
    const t = setup((call) => (call.runId === 'r_slow' ? transient() : undefined), { hold: true });
    const slow = t.reporter.send('r_slow', patch('FAILURE'));
    slow.catch(() => undefined);
    await t.reporter.send('r_fast', patch('SUCCESS'));
    assert.deepEqual(t.delivered, [{ runId: 'r_fast', what: 'patch SUCCESS' }]);
    assert.equal(t.reporter.pending(), 1, 'the slow run is still retrying');
    t.reporter.stop();
    await assert.rejects(slow);
  });

  it('a non-retriable refusal is logged and dropped; the next report is still delivered', async () => {
    const t = setup((call) =>
      call.what === 'patch SUCCESS' ? new AgentError('port', 'Port answered 422: status already set') : undefined,
    );
    await t.reporter.send('r_1', patch('SUCCESS')); // resolves: refused for good is not an error to the caller
    await t.reporter.send('r_1', log('after'));
    assert.deepEqual(
      t.delivered.map((c) => c.what),
      ['log after'],
    );
    assert.equal(t.calls.filter((c) => c.what === 'patch SUCCESS').length, 1, 'not retried');
    assert.equal(t.delays.length, 0);
    assert.ok(t.warnings.some((w) => /refused/.test(w.message) && /422/.test(String(w.meta.error)) && w.meta.runId === 'r_1'));
  });

  it('pending() counts queued reports, the gauge follows, and drain() waits for them', async () => {
    const t = setup((_call, n) => (n === 1 ? transient() : undefined), { hold: true });
    const a = t.reporter.send('r_1', log('one'));
    const b = t.reporter.send('r_1', log('two'));
    const c = t.reporter.send('r_2', log('three'));
    assert.equal(t.reporter.pending(), 3);
    assert.match(await t.metrics.registry.metrics(), /ghes_agent_port_reports_pending 3/);
    let drained = false;
    const draining = t.reporter.drain().then(() => (drained = true));
    await tick();
    assert.equal(drained, false);
    // Each first call fails once; release the held backoff sleeps until all are through.
    for (let i = 0; i < 10 && t.reporter.pending() > 0; i++) {
      t.release();
      await tick();
    }
    await Promise.all([a, b, c, draining]);
    assert.equal(drained, true);
    assert.equal(t.reporter.pending(), 0);
    assert.match(await t.metrics.registry.metrics(), /ghes_agent_port_reports_pending 0/);
  });

  it('drain() resolves at once when idle, and on abort when not', async () => {
    const t = setup(() => transient(), { hold: true });
    await t.reporter.drain();
    const p = t.reporter.send('r_1', log('stuck'));
    p.catch(() => undefined);
    const controller = new AbortController();
    const draining = t.reporter.drain(controller.signal);
    controller.abort();
    await draining;
    assert.equal(t.reporter.pending(), 1);
    t.reporter.stop();
  });

  it('after stop(), a pending send rejects and new sends are refused', async () => {
    const t = setup(() => transient(), { hold: true });
    const first = t.reporter.send('r_1', patch('SUCCESS'));
    const queuedBehind = t.reporter.send('r_1', log('later'));
    await tick();
    t.reporter.stop();
    await assert.rejects(first, (err: unknown) => err instanceof AgentError && /not delivered/.test(err.message));
    await assert.rejects(queuedBehind, (err: unknown) => err instanceof AgentError && /not delivered/.test(err.message));
    await assert.rejects(t.reporter.send('r_1', log('new')), /reporter stopped/);
    assert.equal(t.reporter.pending(), 0);
  });

  // Issue 24 item 5: a workflow-node run is read by the externalRunId its dispatch wrote, as Ocean
  // reads node runs (port-client.ts); the final patch carries it (staged-run.ts linkOf).
  it("a final status that may have landed: the run is read with the patch's externalRunId before it is resent, and not resent once final", async () => {
    const reads: Array<{ runId: string; hint: unknown }> = [];
    let patches = 0;
    const port: PortClient = {
      getRun: async (runId, hint) => {
        reads.push({ runId, hint });
        return { id: runId, status: 'SUCCESS' };
      },
      patchRun: async () => {
        patches++;
        throw transient();
      },
      addLog: async () => undefined,
      getKafkaCredentials: async () => ({ brokers: [], username: '', password: '' }),
    };
    const { logger } = fakeLogger();
    const reporter = createReporter({
      port,
      clock: fakeClock().clock,
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      capMs: 1000,
    });
    await reporter.send('wfnr_1', { kind: 'patch', patch: { status: 'SUCCESS', externalRunId: 'gh_1_2_3', link: 'https://ghes/x' } });
    assert.equal(patches, 1, 'not resent: Port shows the run final');
    assert.deepEqual(reads, [{ runId: 'wfnr_1', hint: { externalRunId: 'gh_1_2_3' } }]);
  });
});
