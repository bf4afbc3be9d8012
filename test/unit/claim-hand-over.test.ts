// Issue 15, the HTTPS intake at a rolling update: a replica that shuts down hands its tracked
// runs over with one write each, every run naming one of them (the lock); the replicas that look
// take the hand-over by taking the lock (one write, pause, re-read for all of them), and exactly
// one of them tracks each run, with no write per run. The pure decisions first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LockState, RELEASED_LABEL, decideListed, handOverLabel, handOverLockOf, orphanReason } from '../../agent/claim/adoption.js';
import { createClaimIntake } from '../../agent/claim/claim-intake.js';
import type { ClaimApi } from '../../agent/port/claim-api.js';
import type { PortRunApi } from '../../agent/port/port-client.js';
import type { PortPatch, PortRun } from '../../agent/types/port-run.js';
import type { Reporter } from '../../agent/port/reporter.js';
import type { Clock } from '../../agent/util/backoff.js';
import { fakeProcessor, intakeDeps } from './fakes/claim-intake.js';
import { virtualClock } from './virtual-clock.js';

const T = Date.parse('2026-05-01T00:00:00Z');
const LEASE = 600_000;

describe('hand-over decisions', () => {
  const base: PortRun = {
    id: 'r_m',
    status: 'IN_PROGRESS',
    pendingExecution: false,
    externalRunId: 'gh_1_2_3',
    updatedAt: new Date(T).toISOString(),
  };
  const none = new Map<string, LockState>();
  it('a hand-over label names its lock; the lock run itself (and the plain label of older agents) is taken over by itself', () => {
    assert.equal(handOverLockOf({ id: 'r_m', statusLabel: handOverLabel('r_lock') }), 'r_lock');
    assert.equal(handOverLockOf({ id: 'wfnr_m', statusLabel: handOverLabel('wfnr_lock-1') }), 'wfnr_lock-1');
    assert.equal(handOverLockOf({ id: 'r_lock', statusLabel: handOverLabel('r_lock') }), undefined);
    assert.equal(handOverLockOf({ id: 'r_m', statusLabel: 'Handed over to another ghes-agent replica (hand-over x)' }), undefined);
    assert.match(
      orphanReason({ ...base, id: 'r_lock', statusLabel: handOverLabel('r_lock') }, { nowMs: T, leaseMs: LEASE, held: false }) ?? '',
      /handed over/,
    );
    assert.match(orphanReason({ ...base, statusLabel: RELEASED_LABEL }, { nowMs: T, leaseMs: LEASE, held: false }) ?? '', /handed over/);
    assert.equal(
      orphanReason({ ...base, statusLabel: handOverLabel('r_lock') }, { nowMs: T, leaseMs: LEASE, held: false }),
      undefined,
      'a member alone is no orphan',
    );
  });
  it('a member: its lock looked at first; held without a write only while its hand-over is under half a lease old and its lock was taken here', () => {
    const member = { ...base, statusLabel: handOverLabel('r_lock') };
    const at = { nowMs: T + 1000, leaseMs: LEASE, held: false };
    assert.deepEqual(decideListed(member, { ...at, locks: none }), { kind: 'lock', lockRunId: 'r_lock' });
    const won = new Map<string, LockState>([['r_lock', { state: 'won', atMs: T }]]);
    const lost = new Map<string, LockState>([['r_lock', { state: 'lost', atMs: T }]]);
    assert.deepEqual(decideListed(member, { ...at, locks: won }), { kind: 'member' });
    assert.equal(decideListed(member, { ...at, locks: won, held: true }), undefined, 'held here already');
    assert.equal(decideListed(member, { ...at, locks: lost }), undefined, 'its taker holds it (and renews it)');
    // Half a lease after the hand-over another replica could soon see it stale: the lease rule decides, with a write.
    assert.equal(decideListed(member, { ...at, nowMs: T + LEASE / 2, locks: won }), undefined);
    assert.match(JSON.stringify(decideListed(member, { ...at, nowMs: T + LEASE, locks: won })), /"orphan".*not written for 600 s/);
    assert.match(
      JSON.stringify(decideListed(member, { ...at, nowMs: T + LEASE, locks: lost })),
      /"orphan"/,
      'its taker died: the lease rule',
    );
    assert.equal(decideListed({ ...member, status: 'SUCCESS' }, { ...at, locks: won }), undefined);
    assert.equal(decideListed({ ...member, externalRunId: null }, { ...at, locks: won }), undefined, 'never a run without its GitHub run');
    assert.deepEqual(
      decideListed({ ...base, statusLabel: 'Workflow dispatched' }, { ...at, locks: won }),
      undefined,
      'a live replica’s run',
    );
  });
});

/** Virtual time (./virtual-clock.ts), with room for the wake-ups of thousands of runs. */
const handOverClock = () => virtualClock(T, 20_000);

/**
 * Port holding many runs of the installation, stamping updatedAt on every write (distinct within
 * a millisecond), each call 10 ms; it counts what each replica asks. The list shows at most
 * `listLimit` runs, oldest first, as the simulator does.
 */
function sharedPort(clock: Clock, count: number, listLimit = 1000) {
  let seq = 0;
  const stamp = () => new Date(clock.now()).toISOString().replace('Z', `${String(seq++).padStart(6, '0')}Z`);
  const records = new Map<string, PortRun & { action: string }>();
  for (let i = 0; i < count; i++) {
    const id = `r_run${String(i).padStart(5, '0')}`;
    records.set(id, {
      id,
      action: `action_${i % 7}`,
      status: 'IN_PROGRESS',
      pendingExecution: false,
      installationId: 'ghes-agent',
      externalRunId: `gh_1_2_${i + 1}`,
      link: `https://ghes/acme/infra/actions/runs/${i + 1}`,
      statusLabel: 'Workflow dispatched',
      updatedAt: stamp(),
      createdAt: new Date(T).toISOString(),
    });
  }
  const raw = (r: PortRun & { action: string }) => ({
    ...r,
    action: { identifier: r.action },
    payload: {
      type: 'INTEGRATION_ACTION',
      installationId: 'ghes-agent',
      integrationActionType: 'dispatch_workflow',
      integrationActionExecutionProperties: { org: 'acme', repo: 'infra', workflow: 'deploy.yml' },
    },
  });
  const calls: Array<{ who: string; what: string; runId?: string; patch?: PortPatch }> = [];
  const write = (runId: string, patch: PortPatch) => {
    const r = records.get(runId)!;
    Object.assign(r, patch.statusLabel ? { statusLabel: patch.statusLabel } : {}, patch.status ? { status: patch.status } : {}, {
      updatedAt: stamp(),
    });
    return { ...r };
  };
  const portFor = (who: string): PortRunApi => ({
    getRun: async (runId) => (
      calls.push({ who, what: 'get', runId }),
      await clock.sleep(10),
      records.has(runId) ? { ...records.get(runId)! } : undefined
    ),
    patchRun: async (runId, patch) => (calls.push({ who, what: 'patch', runId, patch }), await clock.sleep(10), write(runId, patch)),
    addLog: async () => undefined,
  });
  const claimApiFor = (who: string): ClaimApi => ({
    claim: async () => [],
    ack: async () => 'acked',
    listActive: async (_kind, _installation, opts = {}) => {
      calls.push({ who, what: 'list', ...(opts.action ? { runId: opts.action } : {}) });
      await clock.sleep(10);
      const all = [...records.values()].filter((r) => r.status === 'IN_PROGRESS' && (!opts.action || r.action === opts.action));
      return Object.assign(all.slice(0, listLimit).map(raw), { truncated: all.length >= listLimit });
    },
  });
  /** The reporter of the replica that hands over: its writes land in Port (10 ms each). */
  const reporterFor = (who: string): Reporter => ({
    send: async (runId, report) => {
      if (report.kind !== 'patch') return;
      calls.push({ who, what: 'patch', runId, patch: report.patch });
      await clock.sleep(10);
      write(runId, report.patch);
    },
    pending: () => 0,
    drain: async () => undefined,
    stop: () => undefined,
  });
  return { records, calls, portFor, claimApiFor, reporterFor };
}

function replica(name: string, port: ReturnType<typeof sharedPort>, clock: Clock, room = 100_000) {
  // Tracking forever (until stopped); a job taken over only tracks: its handOff is kept.
  const { processor, jobs } = fakeProcessor(
    (_run, _ctx, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
  );
  const intake = createClaimIntake(
    intakeDeps({
      claimApi: port.claimApiFor(name),
      port: port.portFor(name),
      processor,
      reporter: port.reporterFor(name),
      // The dispatch stage's room is small; taken-over runs are only tracked: the tracking room bounds them.
      room: () => Math.min(16, room - intake.held()),
      trackingRoom: () => room - intake.held(),
      clock,
      random: () => 0.5,
    }),
  );
  return { name, intake, jobs };
}

describe('a rolling update of the HTTPS intake', () => {
  it('3,000 runs tracked by a replica that stops: one write each to hand them over, then one take-over in all; each run tracked by exactly one of two replicas', async () => {
    const { clock, runUntil } = handOverClock();
    const count = 3000;
    const port = sharedPort(clock, count);
    // The leaving replica took them all over earlier (every run of the installation is stale at its start).
    for (const r of port.records.values()) r.updatedAt = new Date(T - 2 * LEASE).toISOString();
    const old = replica('old', port, clock);
    await old.intake.start();
    await runUntil(() => old.intake.held() === count);
    assert.equal(old.intake.held(), count, 'the old replica tracks them all');
    const before = port.calls.length;

    // SIGTERM: each tracked run gets one hand-over write, naming one lock run.
    let stopped = false;
    await Promise.all([old.intake.stop({ deadlineMs: clock.now() + 60_000 }).then(() => (stopped = true)), runUntil(() => stopped)]);
    const handOver = port.calls.slice(before).filter((c) => c.who === 'old');
    assert.equal(handOver.length, count, 'one write per run, no reads');
    const lock = handOver[0]!.runId!;
    assert.ok(
      handOver.every((c) => c.what === 'patch' && c.patch?.statusLabel === handOverLabel(lock) && c.patch?.externalRunId),
      'every run names the lock, and keeps its GitHub run',
    );

    // Two replicas look at once (a successor and the survivor): one takes the hand-over.
    const since = port.calls.length;
    const a = replica('a', port, clock);
    const b = replica('b', port, clock);
    try {
      await Promise.all([a.intake.start(), b.intake.start()]);
      await runUntil(() => a.intake.held() + b.intake.held() >= count);
      const t0 = clock.now();
      await runUntil(() => clock.now() - t0 > 5 * 60_000); // five more minutes of looking: nothing changes hands
      const aIds = new Set(a.jobs.map((j) => j.run.runId));
      const bIds = new Set(b.jobs.map((j) => j.run.runId));
      assert.equal(aIds.size + bIds.size, count, `every run tracked (${aIds.size} + ${bIds.size})`);
      assert.equal([...aIds].filter((id) => bIds.has(id)).length, 0, 'no run tracked twice');
      assert.ok(aIds.size === 0 || bIds.size === 0, 'the hand-over went whole to one replica');
      const jobs = [...a.jobs, ...b.jobs];
      assert.ok(
        jobs.every((j) => j.ctx.dispatchBy! < clock.now() && j.ctx.record?.externalRunId),
        'only tracked, from the record',
      );
      const after = port.calls.slice(since);
      const writes = after.filter((c) => c.what === 'patch' && Object.keys(c.patch ?? {}).length > 0);
      const reads = after.filter((c) => c.what === 'get');
      const lists = after.filter((c) => c.what === 'list');
      assert.ok(writes.length <= 2, `take-over writes: the lock only (${writes.length})`);
      assert.ok(reads.length <= 4, `run reads: the lock's only (${reads.length})`);
      // 3,000 runs, 1,000 a list: each pass lists the 7 actions too; passes every minute or so, 5 min.
      assert.ok(lists.length <= 2 * 8 * 8, `lists (${lists.length})`);
      assert.ok((writes.length + reads.length + lists.length) / count < 0.1, 'well under a request per run to take them over');
    } finally {
      let stopped = false;
      await Promise.all([
        Promise.all([a.intake.stop({ deadlineMs: clock.now() }), b.intake.stop({ deadlineMs: clock.now() })]).then(() => (stopped = true)),
        runUntil(() => stopped),
      ]);
    }
  });

  it('a member that shows only in a later list (or of the other kind) than its lock is held without a write once the lock was taken here', async () => {
    const { clock, runUntil } = handOverClock();
    const port = sharedPort(clock, 3);
    const [lock, m1, late] = [...port.records.values()];
    for (const r of [lock!, m1!]) r.statusLabel = handOverLabel(lock!.id);
    late!.status = 'HIDDEN'; // not in any list yet
    const a = replica('a', port, clock);
    try {
      await a.intake.start();
      await runUntil(() => a.intake.held() === 2);
      late!.status = 'IN_PROGRESS';
      late!.statusLabel = handOverLabel(lock!.id);
      late!.updatedAt = new Date(clock.now()).toISOString();
      await runUntil(() => a.intake.held() === 3 || clock.now() - T > 5 * 60_000);
      assert.deepEqual(a.jobs.map((j) => j.run.runId).sort(), [lock!.id, m1!.id, late!.id]);
      assert.deepEqual(
        port.calls.filter((c) => c.what === 'patch').map((c) => c.runId),
        [lock!.id],
        'the lock only is written',
      );
    } finally {
      let stopped = false;
      await Promise.all([a.intake.stop({ deadlineMs: clock.now() }).then(() => (stopped = true)), runUntil(() => stopped)]);
    }
  });

  it('a member seen after its lock was taken elsewhere waits for its lease (its taker renews it); a member of a taker that died is taken over by itself', async () => {
    const { clock, runUntil } = handOverClock();
    const port = sharedPort(clock, 3);
    const [lock, m1, m2] = [...port.records.values()];
    lock!.statusLabel = 'Workflow dispatched'; // taken already by another replica
    m1!.statusLabel = handOverLabel(lock!.id);
    m2!.statusLabel = handOverLabel(lock!.id);
    m2!.updatedAt = new Date(T - LEASE).toISOString(); // not renewed for a lease: its taker died
    const a = replica('a', port, clock);
    try {
      await a.intake.start();
      await runUntil(() => clock.now() - T > 30_000);
      assert.deepEqual(a.jobs.map((j) => j.run.runId).sort(), [m2!.id], 'only the stale member, by itself');
      assert.ok(
        port.calls.some((c) => c.what === 'patch' && c.runId === m2!.id),
        'taken over with a write',
      );
      assert.ok(!port.calls.some((c) => c.what === 'patch' && c.runId === m1!.id), 'the fresh member is left to its taker');
    } finally {
      let stopped = false;
      await Promise.all([a.intake.stop({ deadlineMs: clock.now() }).then(() => (stopped = true)), runUntil(() => stopped)]);
    }
  });
});
