// The HTTPS intake's lease loop driven alone, against the intake's state: a tracked run Port has
// accepted no write for in a third of the lease gets one empty PATCH; a delivery renews the lease.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hold } from '../../agent/claim/acknowledging.js';
import { createClaimIntakeState } from '../../agent/claim/claim-intake.js';
import { leaseLoop, renewed } from '../../agent/claim/leases.js';
import type { ClaimApi } from '../../agent/port/claim-api.js';
import type { PortRunApi } from '../../agent/port/port-client.js';
import type { Report, Reporter } from '../../agent/port/reporter.js';
import type { MessageProcessor } from '../../agent/run/process-message.js';
import { CLAIM_SETTINGS, intakeDeps } from './fakes/claim-intake.js';
import { virtualClock } from './virtual-clock.js';

/** Not used by the lease loop: any call would throw. */
const unused = <T>() => ({}) as T;

const LEASE = 600_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');

describe('keeping leases', () => {
  it('a tracked run not written for a third of the lease gets one empty PATCH; a delivery renews it; a run being dispatched or let go gets none', async () => {
    const { clock, runUntil } = virtualClock(T0);
    const sent: Array<{ runId: string; report: Report; at: number }> = [];
    // Never delivered by itself: only renewed() below tells the intake a write was accepted.
    const reporter: Reporter = {
      send: async (runId, report) => void sent.push({ runId, report, at: clock.now() }),
      pending: () => 0,
      drain: async () => undefined,
      stop: () => undefined,
    };
    const s = createClaimIntakeState(
      intakeDeps({
        settings: { ...CLAIM_SETTINGS, batchSize: 10, leaseMs: LEASE },
        claimApi: unused<ClaimApi>(),
        port: unused<PortRunApi>(),
        processor: unused<MessageProcessor>(),
        reporter,
        clock,
      }),
    );
    hold(s, 'r_tracked', 'action', 'deploy', T0, { acked: true });
    hold(s, 'r_dispatching', 'action', 'deploy', T0, { acked: false });
    hold(s, 'r_let_go', 'action', 'deploy', T0, { acked: true }).owned.abort();
    // Port accepts the first renewal's PATCH 50 s after it was sent.
    void clock.sleep(LEASE / 3 + 50_000).then(() => renewed(s, 'r_tracked'));

    const loop = leaseLoop(s);
    await runUntil(() => sent.length >= 2);
    s.stopController.abort();
    await loop;

    assert.deepEqual(
      sent.map((x) => x.runId),
      ['r_tracked', 'r_tracked'],
      'only the tracked run it still owns',
    );
    assert.deepEqual(sent[0]!.report, { kind: 'patch', patch: {} }, 'an empty PATCH: it changes nothing but updatedAt');
    // The loop looks every sixth of the lease: the first look at which a third has passed.
    assert.equal(sent[0]!.at - T0, LEASE / 3);
    // A third after the delivery (at 250 s), on the next look: 500 s; without the delivery, a third
    // after the first renewal was queued: 400 s.
    assert.equal(sent[1]!.at - T0, (5 * LEASE) / 6);
    assert.equal(s.held.get('r_tracked')!.lastWriteMs - T0, (5 * LEASE) / 6, 'one renewal in the queue at a time');
  });
});
