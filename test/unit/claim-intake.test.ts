// The claim intake with fakes injected: what it claims (backpressure, fairness), how it
// acknowledges (ambiguous failures, 409), and how it takes an orphan over (only one replica).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orphanReason, RELEASED_LABEL } from '../../agent/claim/adoption.js';
import { createClaimIntake } from '../../agent/claim/claim-intake.js';
import { saturatedKeys } from '../../agent/claim/fairness.js';
import { AgentError } from '../../agent/errors.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { ClaimApi } from '../../agent/port/claim-api.js';
import type { PortRunApi } from '../../agent/port/port-client.js';
import type { PortPatch, PortRun } from '../../agent/types/port-run.js';
import type { Clock } from '../../agent/util/backoff.js';
import {
  CLAIM_SETTINGS as settings,
  claimedRun,
  fakeClaimApi,
  fakeClock,
  fakeProcessor,
  firstClaimOnly,
  intakeDeps,
} from './fakes/claim-intake.js';
import { virtualClock } from './virtual-clock.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('fairness', () => {
  it("leaves out the keys holding the share of the buffer (Ocean's 30 %)", () => {
    const waiting = new Map([
      ['flood', 30],
      ['other', 5],
      ['', 99],
    ]);
    assert.deepEqual(saturatedKeys(waiting, 100, 30), ['flood']);
    assert.deepEqual(saturatedKeys(waiting, 100, 100), []);
    assert.deepEqual(saturatedKeys(new Map([['a', 1]]), 2, 30), ['a'], 'at least one run per key');
  });
});

describe('orphans', () => {
  const base: PortRun = {
    id: 'r_1',
    status: 'IN_PROGRESS',
    pendingExecution: false,
    externalRunId: 'gh_1_2_3',
    updatedAt: '2026-05-01T00:00:00.000Z',
  };
  const t = Date.parse('2026-05-01T00:00:00Z');
  it('an acknowledged, dispatched, unfinished run not written for a lease, or handed over', () => {
    assert.match(orphanReason(base, { nowMs: t + 600_000, leaseMs: 600_000, held: false }) ?? '', /not written for 600 s/);
    assert.equal(orphanReason(base, { nowMs: t + 599_999, leaseMs: 600_000, held: false }), undefined);
    assert.match(orphanReason({ ...base, statusLabel: RELEASED_LABEL }, { nowMs: t, leaseMs: 600_000, held: false }) ?? '', /handed over/);
  });
  it('never one held here, pending, finished, marked completed, or without a recorded GitHub run', () => {
    const late = { nowMs: t + 10_000_000, leaseMs: 600_000, held: false };
    assert.equal(orphanReason(base, { ...late, held: true }), undefined);
    assert.equal(orphanReason({ ...base, pendingExecution: true }, late), undefined);
    assert.equal(orphanReason({ ...base, status: 'SUCCESS' }, late), undefined);
    assert.equal(orphanReason({ ...base, statusLabel: 'Workflow completed: success' }, late), undefined);
    assert.equal(orphanReason({ ...base, externalRunId: null, statusLabel: 'Dispatching workflow' }, late), undefined);
    assert.ok(orphanReason({ ...base, externalRunId: null, link: 'https://ghes/o/r/actions/runs/9' }, late), 'the link is enough');
  });
});

describe('claim intake', () => {
  it('claims only what there is room for, and excludes an action holding its share of the dispatch stage', async () => {
    const { clock } = fakeClock();
    let claimNo = 0;
    const { api, claims } = fakeClaimApi({
      claim: () => (claimNo++ === 0 ? Array.from({ length: 4 }, (_, i) => claimedRun(`r_flood${i}`, 'flood')) : []),
    });
    const { processor } = fakeProcessor(() => new Promise(() => undefined)); // dispatching forever
    let room = 4;
    const intake = createClaimIntake(
      intakeDeps({
        claimApi: api,
        processor,
        room: () => room,
        clock,
      }),
    );
    await intake.start();
    assert.equal(claims[0]!.limit, 4, 'the room, not the batch size');
    assert.equal(intake.dispatching(), 4);
    room = 50;
    for (let i = 0; i < 10 && !claims.some((c) => c.limit === 50); i++) await flush();
    const next = claims.find((c) => c.limit === 50);
    assert.ok(next, 'more room, a larger claim');
    assert.deepEqual(next.exclude, ['flood'], '4 of 10 dispatch places: over 30 %');
    await intake.stop({ deadlineMs: clock.now() });
  });

  it('acknowledges once the dispatch is recorded; a 409 after an ambiguous failure of its own ack is its own ack', async () => {
    const { clock } = fakeClock();
    const { api, acks } = fakeClaimApi({
      claim: firstClaimOnly(claimedRun('r_ambiguous')),
      ack: (_id, n) => (n === 1 ? new AgentError('port', 'Port API ack_run answered 503', { retriable: true, status: 503 }) : 'conflict'),
    });
    let handedOff: boolean | undefined;
    const { processor } = fakeProcessor(
      async (_run, ctx) => void (handedOff = await ctx.handOff!({ link: 'https://ghes/o/r/actions/runs/1', externalRunId: 'gh_1_2_1' })),
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const intake = createClaimIntake(
      intakeDeps({
        claimApi: api,
        processor,
        metrics,
        clock,
      }),
    );
    await intake.start();
    for (let i = 0; i < 10 && handedOff === undefined; i++) await flush();
    assert.equal(handedOff, true);
    assert.deepEqual(acks, ['r_ambiguous', 'r_ambiguous']);
    assert.match(await metrics.registry.metrics(), /ghes_agent_runs_acknowledged_total\{kind="action"\} 1/);
    await intake.stop({ deadlineMs: clock.now() });
  });

  it('a clean 409: another worker has the run; no tracking, no second ack', async () => {
    const { clock } = fakeClock();
    const { api, acks } = fakeClaimApi({
      claim: firstClaimOnly(claimedRun('r_taken')),
      ack: () => 'conflict',
    });
    let handedOff: boolean | undefined;
    const { processor } = fakeProcessor(async (_run, ctx) => void (handedOff = await ctx.handOff!({})));
    const metrics = createMetrics({ defaultMetrics: false });
    const intake = createClaimIntake(
      intakeDeps({
        claimApi: api,
        processor,
        metrics,
        clock,
      }),
    );
    await intake.start();
    for (let i = 0; i < 10; i++) await flush();
    assert.equal(handedOff, false);
    assert.deepEqual(acks, ['r_taken']);
    assert.match(await metrics.registry.metrics(), /ghes_agent_claim_conflicts_total\{kind="action"\} 1/);
    assert.equal(intake.held(), 0);
    await intake.stop({ deadlineMs: clock.now() });
  });

  it('gives each claimed run a dispatch deadline two thirds into its claim, and Port’s record from the claim', async () => {
    const { clock } = fakeClock();
    const t0 = clock.now();
    const { api } = fakeClaimApi({
      claim: firstClaimOnly(claimedRun('r_deadline', 'deploy', { statusLabel: 'Dispatching workflow' })),
    });
    const { processor, jobs } = fakeProcessor(() => new Promise(() => undefined));
    const intake = createClaimIntake(
      intakeDeps({
        claimApi: api,
        processor,
        clock,
      }),
    );
    await intake.start();
    assert.equal(jobs[0]!.ctx.dispatchBy, t0 + 40_000);
    assert.equal(jobs[0]!.ctx.record?.statusLabel, 'Dispatching workflow');
    assert.equal(jobs[0]!.ctx.intake, 'port-api');
    await intake.stop({ deadlineMs: clock.now() });
  });
});

describe('taking an orphan over', () => {
  /**
   * Port's record of one run, stamping updatedAt on every write (distinct even within a
   * millisecond). Every call takes 10 ms, so replicas that look at the same time race.
   */
  function sharedPort(clock: Clock, opts: { sameMillisecond?: boolean } = {}) {
    let seq = 0;
    // Real Port stamps updatedAt in milliseconds (ISO 8601): two writes in one millisecond read back alike.
    const stamp = () =>
      opts.sameMillisecond ? new Date(clock.now()).toISOString() : new Date(clock.now() + seq++ / 1000).toISOString() + `#${seq}`;
    const record: PortRun = {
      id: 'r_orphan',
      status: 'IN_PROGRESS',
      pendingExecution: false,
      installationId: 'ghes-agent',
      externalRunId: 'gh_1_2_7',
      link: 'https://ghes/o/r/actions/runs/7',
      statusLabel: 'Workflow dispatched',
      updatedAt: '2026-04-30T00:00:00.000Z',
      createdAt: '2026-04-30T00:00:00.000Z',
    };
    const raw = () => ({ ...claimedRun('r_orphan'), ...record });
    const patches: PortPatch[] = [];
    const port: PortRunApi = {
      getRun: async () => (await clock.sleep(10), { ...record }),
      patchRun: async (_id, patch) => {
        await clock.sleep(10);
        patches.push(patch);
        Object.assign(record, patch.statusLabel ? { statusLabel: patch.statusLabel } : {}, { updatedAt: stamp() });
        return { ...record };
      },
      addLog: async () => undefined,
    };
    return { port, raw, patches };
  }

  for (const sameMillisecond of [false, true]) {
    it(`two replicas find the same orphan: exactly one takes it, and it only tracks (never dispatches)${sameMillisecond ? '; both writes stamped in the same millisecond' : ''}`, async () => {
      const { clock, runUntil } = virtualClock();
      const shared = sharedPort(clock, { sameMillisecond });
      const adopters: string[] = [];
      const make = (name: string) => {
        const api: ClaimApi = { claim: async () => [], ack: async () => 'acked', listActive: async () => [shared.raw()] };
        const { processor, jobs } = fakeProcessor(() => new Promise(() => undefined));
        const intake = createClaimIntake(
          intakeDeps({
            settings: { ...settings, rediscoveryIntervalMs: 1000 },
            claimApi: api,
            port: shared.port,
            processor,
            clock,
            random: () => 0.5,
            replicaId: `replica-${name}`,
          }),
        );
        return { name, intake, jobs };
      };
      const a = make('a');
      const b = make('b');
      try {
        await Promise.all([a.intake.start(), b.intake.start()]);
        const t0 = clock.now();
        // Both look every second; a take-over pauses 5 s: a minute of virtual time is plenty.
        await runUntil(() => clock.now() - t0 > 60_000);
        for (const x of [a, b]) if (x.jobs.length) adopters.push(x.name);
        assert.equal(shared.patches.length, 2, 'both replicas saw the orphan at the same time and wrote to it');
        assert.equal(adopters.length, 1, `one adopter, got ${adopters.join(', ') || 'none'}`);
        const job = (a.jobs[0] ?? b.jobs[0])!;
        assert.ok(job.ctx.dispatchBy! < clock.now(), 'an adopted run can never be dispatched');
        assert.equal(job.ctx.record?.externalRunId, 'gh_1_2_7');
        assert.ok(
          shared.patches.every(
            (p) => p.statusLabel?.startsWith('Workflow dispatched (taken over by replica-') && p.externalRunId === 'gh_1_2_7',
          ),
          'the take-over write keeps the run link, and names its replica',
        );
        assert.notEqual(shared.patches[0]!.statusLabel, shared.patches[1]!.statusLabel, 'each replica writes its own name');
      } finally {
        await Promise.all([a.intake.stop({ deadlineMs: clock.now() }), b.intake.stop({ deadlineMs: clock.now() })]);
      }
    });
  }
});
