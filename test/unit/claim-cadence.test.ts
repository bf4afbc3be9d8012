// Issue 24 item 5: when the HTTPS intake claims (Ocean's 10 s; a full batch again at once; idle
// claims of the installation an interval apart, the kinds taking turns), and what a claim route
// answering 404/403 does (that kind is off, the other goes on; exit 2 only with nothing left).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClaimIntake } from '../../agent/claim/claim-intake.js';
import { nextIdleSlot } from '../../agent/claim/claiming.js';
import type { ClaimIntakeSettings } from '../../agent/claim/intake-state.js';
import { leaves } from '../../agent/config/schema.js';
import { AgentError } from '../../agent/errors.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { ClaimApi, RunKind } from '../../agent/port/claim-api.js';
import type { MessageProcessor } from '../../agent/run/process-message.js';
import { intakeDeps } from './fakes/claim-intake.js';
import { virtualClock } from './virtual-clock.js';

const warnings: string[] = [];
const quiet = {
  child: () => quiet,
  warn: (m: string) => void warnings.push(m),
  info: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;
const settings: ClaimIntakeSettings = {
  installationId: 'ghes-agent',
  kinds: ['action', 'workflow-node'],
  batchSize: 2,
  intervalMs: 10_000,
  visibilityTimeoutMs: 60_000,
  maxSharePercent: 100,
  leaseMs: 600_000,
  rediscoveryIntervalMs: 3_600_000,
};
const processor = {
  job: () => ({ where: {}, intake: 'port-api', runId: 'x', handle: () => new Promise(() => undefined) }),
  refusal: () => ({ where: {}, intake: 'port-api', runId: 'x', handle: async () => undefined }),
  count: () => undefined,
  finalReport: async () => undefined,
  servesOrg: () => true,
} as unknown as MessageProcessor;
const claimedRun = (id: string) => ({
  id,
  status: 'IN_PROGRESS',
  action: { identifier: 'deploy' },
  installationId: 'ghes-agent',
  pendingExecution: true,
  createdAt: '2026-05-01T00:00:00.000Z',
  payload: {
    type: 'INTEGRATION_ACTION',
    installationId: 'ghes-agent',
    integrationActionType: 'dispatch_workflow',
    integrationActionExecutionProperties: { org: 'acme', repo: 'infra', workflow: 'deploy.yml' },
  },
});

function intakeWith(claim: (kind: RunKind) => unknown[]) {
  const { clock, runUntil } = virtualClock();
  const claims: Array<{ kind: RunKind; at: number }> = [];
  const api: ClaimApi = {
    claim: async (kind) => (claims.push({ kind, at: clock.now() }), claim(kind)),
    ack: async () => 'acked',
    listActive: async () => [],
  };
  const metrics = createMetrics({ defaultMetrics: false });
  const intake = createClaimIntake(
    intakeDeps({
      settings,
      claimApi: api,
      processor,
      room: () => 1000,
      dispatchCapacity: 1000,
      metrics,
      logger: quiet,
      clock,
    }),
  );
  return { intake, claims, clock, runUntil, metrics };
}

describe('claim cadence', () => {
  it("portApi.claimIntervalSeconds defaults to Ocean's 10 s (port-ocean 0.56.2 poll_check_interval_seconds)", () => {
    assert.equal(new Map(leaves()).get('portApi.claimIntervalSeconds')?.default, 10);
  });

  it('idle slots are an interval apart, whoever asks', () => {
    assert.equal(nextIdleSlot(0, -Infinity, 10_000), 10_000);
    assert.equal(nextIdleSlot(0, 10_000, 10_000), 20_000, 'a second idle kind takes the next slot, not the same one');
    assert.equal(nextIdleSlot(50_000, 20_000, 10_000), 60_000);
  });

  it('an idle installation: one claim per interval, the kinds taking turns (at most 400 an hour)', async () => {
    const { intake, claims, clock, runUntil } = intakeWith(() => []);
    await intake.start();
    const t0 = clock.now();
    await runUntil(() => clock.now() - t0 > 3_610_000, 10_000);
    const inHour = claims.filter((c) => c.at > t0 && c.at <= t0 + 3_600_000);
    assert.equal(inHour.length, 360);
    const gaps = inHour.slice(1).map((c, i) => c.at - inHour[i]!.at);
    assert.ok(
      gaps.every((g) => g === 10_000),
      'one every 10 s',
    );
    assert.ok(
      inHour.slice(1).every((c, i) => c.kind !== inHour[i]!.kind),
      'the kinds alternate',
    );
    await intake.stop({ deadlineMs: clock.now() });
  });

  it('a full batch is followed by the next claim of that kind at once; the other kind keeps its turn', async () => {
    let n = 0;
    const { intake, claims, clock, runUntil } = intakeWith((kind) =>
      kind === 'action' && n < 5 ? [claimedRun(`r_${n++}`), claimedRun(`r_${n++}`)] : [],
    );
    await intake.start();
    const t0 = clock.now();
    await runUntil(() => clock.now() - t0 >= 30_000, 1000);
    const actions = claims.filter((c) => c.kind === 'action');
    assert.deepEqual(
      actions.slice(0, 4).map((c) => c.at - t0),
      [0, 0, 0, 0],
      'full, full, full, then less: all at once',
    );
    assert.ok(
      claims.some((c) => c.kind === 'workflow-node' && c.at > t0),
      'node runs are still claimed',
    );
    await intake.stop({ deadlineMs: clock.now() });
  });
});

describe('claims held back by fairness', () => {
  // Found by the bench's port-api phase (4,000 runs of ten actions queued): once every action
  // held its share of the dispatch stage, each claim left them all out, came back short, and the
  // kind waited its idle slot (10 s): 57 dispatches/s against 957 before the 10 s interval.
  it('a short batch with actions left out: claimed again as soon as one drains, not at the idle slot', async () => {
    const { clock, runUntil } = virtualClock();
    const claims: Array<{ kind: RunKind; at: number; exclude: string[] }> = [];
    let n = 0;
    const api: ClaimApi = {
      // Port has 40 runs of one action; it hands out none of an action left out (Ocean's exclude).
      claim: async (kind, opts) => {
        claims.push({ kind, at: clock.now(), exclude: opts.exclude });
        if (kind !== 'action' || opts.exclude.includes('deploy')) return [];
        const out: unknown[] = [];
        while (out.length < opts.limit && n < 40) out.push(claimedRun(`r_${n++}`));
        return out;
      },
      ack: async () => 'acked',
      listActive: async () => [],
    };
    // Each run takes one (virtual) second to dispatch, then is done.
    const slowProcessor = {
      ...processor,
      job: (_run: unknown, ctx: { where: unknown }) => ({
        where: ctx.where,
        intake: 'port-api',
        runId: 'x',
        handle: () => clock.sleep(1000),
      }),
    } as unknown as MessageProcessor;
    const intake = createClaimIntake(
      intakeDeps({
        settings: { ...settings, batchSize: 10, maxSharePercent: 50 },
        claimApi: api,
        processor: slowProcessor,
        room: () => 1000,
        // A share of 50 % of 4: once two runs of an action wait for dispatch, it is left out.
        dispatchCapacity: 4,
        logger: quiet,
        clock,
      }),
    );
    await intake.start();
    const t0 = clock.now();
    await runUntil(() => n >= 40 || clock.now() - t0 > 120_000, 20_000);
    assert.equal(n, 40, 'all 40 runs claimed');
    assert.ok(
      clock.now() - t0 <= 15_000,
      `40 runs of one action, claimed as the last ones drain, one second each: seconds, not a batch per 10 s idle slot (took ${(clock.now() - t0) / 1000} s)`,
    );
    const idle = claims.filter((c) => c.kind === 'action' && c.exclude.length > 0);
    assert.ok(idle.length <= 2 * 40, `a claim per release at most, none while nothing drained (${idle.length})`);
    await intake.stop({ deadlineMs: clock.now() });
  });
});

describe('a claim route answering 404 or 403', () => {
  const refusal = (status: 404 | 403) =>
    new AgentError(status === 404 ? 'not_found' : 'forbidden', `Port answered ${status} to POST /v1/workflows/runs/claim-pending`, {
      status,
    });

  for (const status of [404, 403] as const) {
    it(`${status} from the node-run route: that kind is off (warning, metric, /readyz note); action runs are still claimed`, async () => {
      warnings.length = 0;
      const { intake, claims, clock, runUntil, metrics } = intakeWith((kind) => {
        if (kind === 'workflow-node') throw refusal(status);
        return [];
      });
      await intake.start();
      const t0 = clock.now();
      await runUntil(() => clock.now() - t0 >= 60_000, 1000);
      assert.equal(claims.filter((c) => c.kind === 'workflow-node').length, 1, 'asked once');
      assert.ok(claims.filter((c) => c.kind === 'action').length >= 6, 'actions every interval');
      assert.deepEqual(intake.notes(), [`HTTPS intake: workflow-node runs are not claimed: Port's claim route answered ${status}`]);
      assert.deepEqual(intake.notReady(), []);
      assert.match((await metrics.registry.getSingleMetricAsString('ghes_agent_claim_kind_disabled')) ?? '', /kind="workflow-node"} 1/);
      assert.ok(warnings.some((w) => /No more workflow-node runs are claimed.*goes on claiming action runs/.test(w)));
      await intake.stop({ deadlineMs: clock.now() });
    });
  }

  it('both routes refused: nothing can be claimed, the start stops (config error: exit 2)', async () => {
    const { intake } = intakeWith(() => {
      throw refusal(404);
    });
    await assert.rejects(
      intake.start(),
      (e: unknown) => e instanceof AgentError && e.code === 'config' && /No kind of run is left to claim/.test(e.message),
    );
  });
});
