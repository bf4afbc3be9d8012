/**
 * What the HTTPS intake knows, in one place: its settings and dependencies, the runs in its
 * hands, and the few facts its loops share (stopping, failing since, the hand-overs looked at).
 * Built once by createClaimIntake (claim-intake.ts) and passed explicitly to the loops, each in a
 * file of its own: claiming.ts and acknowledging.ts, leases.ts, rediscovery.ts and take-over.ts,
 * hand-over.ts. The shape follows octokit/plugin-retry, which binds one `state` into the
 * functions of its files (src/index.ts).
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ClaimApi, RunKind } from '../port/claim-api.js';
import type { PortRunApi } from '../port/port-client.js';
import type { Reporter } from '../port/reporter.js';
import type { MessageProcessor } from '../run/process-message.js';
import type { Clock } from '../util/backoff.js';
import type { LockState } from './adoption.js';
import type { HeldRuns } from './held-runs.js';

export interface ClaimIntakeSettings {
  installationId: string;
  /** The kinds of runs claimed: action runs, and workflow-node runs unless turned off. */
  kinds: RunKind[];
  batchSize: number;
  intervalMs: number;
  visibilityTimeoutMs: number;
  maxSharePercent: number;
  leaseMs: number;
  rediscoveryIntervalMs: number;
}

/** What createClaimIntake is given. */
export interface ClaimIntakeDeps {
  settings: ClaimIntakeSettings;
  claimApi: ClaimApi;
  port: PortRunApi;
  processor: MessageProcessor;
  reporter: Reporter;
  /** How many more runs may be taken in now (runs in flight, queued reports, the dispatch stage). */
  room: () => number;
  /**
   * How many more runs may be tracked now (runs in flight, queued reports): runs taken over are
   * only tracked, never dispatched, so the dispatch stage does not bound them. `room` when absent.
   */
  trackingRoom?: () => number;
  /** The dispatch stage's size: the buffer whose share fairness bounds per action. */
  dispatchCapacity: number;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  random?: () => number;
  /**
   * This replica's name in its take-over writes (pod name and a random suffix): what makes two
   * take-over writes of one run tell apart when Port stamps both in the same millisecond.
   */
  replicaId?: string;
  guard?: { attempts?: number; baseDelayMs?: number };
}

/** The HTTPS intake's state, shared by its loops. */
export interface ClaimIntakeState {
  readonly deps: ClaimIntakeDeps;
  readonly settings: ClaimIntakeSettings;
  readonly claimApi: ClaimApi;
  readonly processor: MessageProcessor;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** The intake's logger (component 'claim'). */
  readonly log: Logger;
  readonly random: () => number;
  /** The status label of this replica's take-over writes: it names the replica (take-over.ts). */
  readonly takeOverLabel: string;
  readonly trackingRoom: () => number;
  readonly held: HeldRuns;
  /** Aborted at stop: ends every loop's sleep. */
  readonly stopController: AbortController;
  /** Written and re-read around a take-over: long enough for any other replica's write to show. */
  readonly settleMs: number;
  /** The first claim is done (/readyz). */
  started: boolean;
  stopping: boolean;
  /** Runs whose job has not ended yet: stop waits for them before it hands the tracked ones over. */
  active: number;
  /** Claim rounds so far: which kind goes first alternates. */
  round: number;
  /**
   * When each kind is claimed next (epoch ms): at once after a full batch; after an idle claim,
   * at the next free idle slot (claiming.ts nextIdleSlot). A kind missing here is due now.
   */
  readonly dueAt: Map<RunKind, number>;
  /** The last idle slot handed out: idle claims of the installation are an interval apart. */
  lastIdleSlot: number;
  /**
   * Kinds whose last claim came back short while actions were left out of it (fairness.ts), with
   * the actions left out: Port may hold more of those, so the kind is due again as soon as one of
   * them is no longer saturated, not only at its idle slot (claiming.ts heldBackReleased).
   */
  readonly heldBack: Map<RunKind, ReadonlySet<string>>;
  /** Kinds no longer claimed (their claim route answered 404/403), with the agent's words why: /readyz. */
  readonly disabled: Map<RunKind, string>;
  /** Since when, and why, talking to Port fails (cleared by a claim round that succeeds). */
  failingSince: { atMs: number; reason: string } | undefined;
  lastPortFailureMs: number;
  /** The claim, lease and rediscovery loops, awaited at stop. */
  readonly loops: Array<Promise<void>>;
  /** Hand-overs (by lock run) looked at: taken here or elsewhere (adoption.ts). */
  readonly locks: Map<string, LockState>;
  /** Lock runs taken here that no list has shown yet: their take-over write's updatedAt (with takeOverLabel). */
  readonly ownLocks: Map<string, { mark: string; atMs: number }>;
}

const slept = () => true;
const woken = () => false;

/** Waits `ms`; false when the intake stops meanwhile. */
export function sleep(s: ClaimIntakeState, ms: number): Promise<boolean> {
  return s.clock.sleep(ms, s.stopController.signal).then(slept, woken);
}

/** Talking to Port failed (a claim, a list of running runs): /readyz says so after a grace period, and rediscovery waits for the owners to renew their leases. */
export function portFailed(s: ClaimIntakeState, reason: string): void {
  s.lastPortFailureMs = s.clock.now();
  s.failingSince ??= { atMs: s.clock.now(), reason };
  s.failingSince.reason = reason;
  s.metrics.claimIntakeUp.set(0);
}
