import { AgentError, toAgentError } from '../errors.js';
import { claimLoop, claimRound, claimedKinds } from './claiming.js';
import { stopAndHandOver } from './hand-over.js';
import { HeldRuns } from './held-runs.js';
import type { ClaimIntakeDeps, ClaimIntakeState } from './intake-state.js';
import { leaseLoop, renewed } from './leases.js';
import { rediscoveryLoop } from './rediscovery.js';

export interface ClaimIntake {
  /**
   * The first claims, one of each kind: a kind whose route answers 404 or 403 is no longer claimed
   * (claiming.ts disableKind); only when no kind is left does the start stop (AgentError
   * 'config', exit 2). Then claims keep coming.
   */
  start(): Promise<void>;
  /** No more claims; runs being dispatched are let go (Port offers them again), tracked ones handed over. */
  stop(opts?: { deadlineMs?: number }): Promise<void>;
  /** Runs in this replica's hands (claimed, or acknowledged and tracked). */
  held(): number;
  /** Of those, the runs not yet past their dispatch. */
  dispatching(): number;
  /** What works only in part, for /readyz's answer while ready: a kind of run no longer claimed, and why. */
  notes(): string[];
  /** Why the HTTPS intake is not working, for /readyz (empty when it is). */
  notReady(): string[];
  /** The reporter tells of every PATCH Port accepted: it renews the lease of the run (log lines may not touch the run's updatedAt). */
  delivered(runId: string): void;
}

/** How long /readyz tolerates failing claims before it reports them. */
const CLAIM_FAILURE_GRACE_MS = 30_000;

/**
 * The HTTPS intake: Port's claim protocol for the GitHub Ocean backend (INTEGRATION_ACTION runs)
 * and Port Workflows' node runs, a sibling of the Kafka consumer feeding the same processor.
 *
 * Where the truth lives, and why nothing is lost or done twice (docs/delivery-guarantees.md):
 * - A claim hides a run from other claims for `visibilityTimeoutMs`: the run is this replica's
 *   until then. It is dispatched only within the first two thirds of that window (LeaseExpired
 *   otherwise), and acknowledged only once Port's record shows the dispatch (the label written
 *   before the POST, then the link and externalRunId after it), or the run ended. A replica that
 *   dies before the ack leaves a run Port offers again, and whoever claims it resumes it from that
 *   record (processor: resume-before-dispatch), never dispatching twice.
 * - After the ack Port never offers the run again: the replica holds it by writing to it. Every
 *   write Port accepts refreshes the run's `updatedAt`; a quiet run gets an empty PATCH every third
 *   of `leaseMs`. A run not written for a whole lease, or handed over at a clean shutdown, is an
 *   orphan: `rediscover` finds it in Port's list of running runs and takes it over, with a write,
 *   a pause and a re-read that make sure only one replica does (adopt). Only dispatched runs are
 *   ever acknowledged, so a taken-over run is only tracked, never dispatched.
 * - 409 on the ack: another worker has the run (it claimed it after this replica's claim ran
 *   out): it resumes from the record, and this replica lets go. A 409 after an ack of ours that
 *   failed ambiguously (5xx, timeout) while the claim still held is our own ack: kept.
 *
 * Built here around one state object (intake-state.ts) passed to each loop in a file of its own:
 * claiming (claiming.ts) and acknowledging (acknowledging.ts), keeping leases (leases.ts),
 * rediscovery (rediscovery.ts) and take-overs (take-over.ts), hand-over at shutdown (hand-over.ts).
 */
export function createClaimIntake(deps: ClaimIntakeDeps): ClaimIntake {
  const { settings, clock } = deps;
  const s = createClaimIntakeState(deps);
  return {
    async start() {
      try {
        await claimRound(s, settings.kinds);
      } catch (raw) {
        const err = toAgentError(raw);
        if (err.code === 'not_found' || err.code === 'forbidden') throw new AgentError('config', err.message, { cause: err });
        throw err;
      }
      s.started = true;
      s.log.info(`claiming ${claimedKinds(s).join(' and ')} runs of installation ${settings.installationId} from Port`);
      s.loops.push(claimLoop(s), leaseLoop(s), rediscoveryLoop(s));
    },
    stop: (opts = {}) => stopAndHandOver(s, opts),
    notes: () => [...s.disabled.values()],
    held: () => s.held.size,
    dispatching: () => s.held.dispatching(),
    notReady() {
      if (!s.started) return ['HTTPS intake: first claim not done yet'];
      const failingSince = s.failingSince;
      if (failingSince && clock.now() - failingSince.atMs >= CLAIM_FAILURE_GRACE_MS) {
        return [
          `HTTPS intake: claiming runs from Port has failed for ${Math.round((clock.now() - failingSince.atMs) / 1000)} s: ${failingSince.reason}`,
        ];
      }
      return [];
    },
    delivered: (runId) => renewed(s, runId),
  };
}

/** The intake's state before its first claim: what every loop is given (tests build one to drive a loop alone). */
export function createClaimIntakeState(deps: ClaimIntakeDeps): ClaimIntakeState {
  const random = deps.random ?? Math.random;
  const { settings, clock } = deps;
  return {
    deps,
    settings,
    claimApi: deps.claimApi,
    processor: deps.processor,
    metrics: deps.metrics,
    clock,
    log: deps.logger.child({ component: 'claim' }),
    random,
    takeOverLabel: `Workflow dispatched (taken over by ${deps.replicaId ?? `replica-${Math.floor(random() * 36 ** 6).toString(36)}`})`,
    trackingRoom: deps.trackingRoom ?? deps.room,
    held: new HeldRuns(),
    stopController: new AbortController(),
    // Written and re-read around a take-over: long enough for any other replica's write to show.
    settleMs: Math.min(5000, Math.max(1000, settings.leaseMs / 20)),
    started: false,
    stopping: false,
    active: 0,
    round: 0,
    dueAt: new Map(),
    lastIdleSlot: -Infinity,
    heldBack: new Map(),
    disabled: new Map(),
    failingSince: undefined,
    lastPortFailureMs: -Infinity,
    loops: [],
    locks: new Map(),
    ownLocks: new Map(),
  };
}
