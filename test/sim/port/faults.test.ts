import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createFaultTable } from './faults.js';
import { startPortSim, type PortSim } from './server.js';

const creds = { orgId: 'org_test', clientId: 'cid', clientSecret: 'csecret' };
const req = { method: 'GET', path: '/v1/actions/runs/r_1', route: '/v1/actions/runs/:id' };

describe('fault table', () => {
  it('matches by route template, exact path, RegExp and method', () => {
    const t = 0;
    const table = createFaultTable({ now: () => t, random: () => 0 });
    table.add({ kind: 'status', route: '/v1/actions/runs/:id', method: 'patch' });
    assert.equal(table.pick(req).decisive, undefined);
    assert.equal(table.pick({ ...req, method: 'PATCH' }).decisive?.kind, 'status');
    table.clear();
    table.add({ kind: 'reset', route: '/v1/actions/runs/r_1' });
    assert.equal(table.pick(req).decisive?.kind, 'reset');
    assert.equal(table.pick({ ...req, path: '/v1/actions/runs/r_2' }).decisive, undefined);
    table.clear();
    table.add({ kind: 'outage', route: /^\/v1\/actions\// });
    assert.equal(table.pick(req).decisive?.kind, 'outage');
    assert.equal(table.pick({ method: 'GET', path: '/v1/kafka-credentials', route: '/v1/kafka-credentials' }).decisive, undefined);
  });

  it('expires by count and by duration, sums latency, and draws probability per request', () => {
    let t = 0;
    let rnd = 0.9;
    const table = createFaultTable({ now: () => t, random: () => rnd });
    table.add({ kind: 'status', count: 2 });
    table.add({ kind: 'latency', latencyMs: 5, durationMs: 100 });
    table.add({ kind: 'latency', latencyMs: 7 });
    assert.deepEqual(table.pick(req), { latencyMs: 12, decisive: { kind: 'status', count: 2 } });
    assert.equal(table.pick(req).decisive?.kind, 'status');
    t = 100;
    assert.deepEqual(table.pick(req), { latencyMs: 7, decisive: undefined });
    table.clear();
    table.add({ kind: 'status', probability: 0.5 });
    assert.equal(table.pick(req).decisive, undefined);
    rnd = 0.1;
    assert.equal(table.pick(req).decisive?.kind, 'status');
  });

  it('rejects malformed specs', () => {
    const table = createFaultTable({ now: () => 0, random: () => 0 });
    assert.throws(() => table.add({ kind: 'latency' }), /latencyMs/);
    assert.throws(() => table.add({ kind: 'nope' as 'status' }), /kind/);
    assert.throws(() => table.add({ kind: 'status', probability: 2 }), /probability/);
  });
});

describe('Port simulator: faults over HTTP', () => {
  let clock = 5_000_000;
  let sim: PortSim;
  before(async () => {
    sim = await startPortSim({ ...creds, now: () => clock });
  });
  after(() => sim.close());

  it('answers an injected status before auth, with retry-after, for count requests', async () => {
    sim.fault({ kind: 'status', status: 503, retryAfterS: 2, count: 1, route: '/v1/kafka-credentials' });
    const r = await fetch(`${sim.url}/v1/kafka-credentials`);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '2');
    assert.deepEqual(await r.json(), { ok: false, error: 'simulated_fault', message: 'simulated status fault' });
    assert.equal((await fetch(`${sim.url}/v1/kafka-credentials`)).status, 401);
  });

  it('delays responses with a latency fault', async () => {
    const remove = sim.fault({ kind: 'latency', latencyMs: 120 });
    const t0 = performance.now();
    const r = await fetch(`${sim.url}/v1/kafka-credentials`);
    assert.equal(r.status, 401);
    assert.ok(performance.now() - t0 >= 110);
    remove();
  });

  it('answers 503 during an outage window and recovers after it', async () => {
    sim.fault({ kind: 'outage', durationMs: 30_000 });
    assert.equal((await fetch(`${sim.url}/v1/auth/access_token`, { method: 'POST', body: '{}' })).status, 503);
    clock += 29_999;
    assert.equal((await fetch(`${sim.url}/v1/actions/runs`)).status, 503);
    clock += 1;
    assert.equal((await fetch(`${sim.url}/v1/actions/runs`)).status, 401);
  });

  it('destroys sockets for reset faults and destroying outages, logging status 0', async () => {
    const remove = sim.fault({ kind: 'reset', method: 'PATCH' });
    await assert.rejects(fetch(`${sim.url}/v1/actions/runs/r_1`, { method: 'PATCH', body: '{}' }));
    remove();
    sim.fault({ kind: 'outage', destroy: true, durationMs: 1000 });
    await assert.rejects(fetch(`${sim.url}/v1/actions/runs/r_1`));
    sim.clearFaults();
    assert.equal((await fetch(`${sim.url}/v1/actions/runs/r_1`)).status, 401);
    const last = sim.requests().slice(-3);
    assert.deepEqual(
      last.map((r) => [r.method, r.status, r.fault]),
      [
        ['PATCH', 0, 'reset'],
        ['GET', 0, 'outage'],
        ['GET', 401, undefined],
      ],
    );
  });
});
