/**
 * Claiming: the loop that asks Port for runs and hands each to the processor.
 *
 * Who can put a run here: any Port user allowed to run an action of the installation (or a
 * workflow whose node it is); Port hands it out to whichever agent claims first. What stops a
 * hostile one: the claim answer is decoded (decodeClaimedRun: an unreadable run is counted
 * 'invalid' and left alone), a run of another agent's organization is not held (servesOrg), the
 * processor applies the policy (policy.allow) before any GHES request for it, and dispatches only
 * within the claim's first two thirds (dispatchBy). Fairness keeps one action from filling the dispatch stage.
 */
import { AgentError, toAgentError } from '../errors.js';
import { outageReason } from '../observability/dependency-health.js';
import type { RunKind } from '../port/claim-api.js';
import { decodeClaimedRun } from '../port/decode-claimed-run.js';
import type { RunContext } from '../run/run-scope.js';
import { backoffDelay } from '../util/backoff.js';
import { ackFirst, handOff, hold, runHeld } from './acknowledging.js';
import { saturatedKeys } from './fairness.js';
import { type ClaimIntakeState, portFailed, sleep } from './intake-state.js';

/**
 * When claims are sent. Ocean polls every `poll_check_interval_seconds` (default 10) and claims
 * both kinds each time (port-ocean 0.56.2 config/settings.py; execution_manager.py
 * _poll_action_runs, clients/port/mixins/actions_and_workflow_runs.py claim_pending_runs): two
 * requests every 10 s, 720 an hour for an installation with nothing to do. Here a kind whose
 * batch came back full is claimed again at once (there is more), as Ocean does; a kind that came
 * back with less waits for the next idle slot, and idle slots of the installation are
 * `portApi.claimIntervalSeconds` apart, the kinds taking turns: one request per interval while
 * idle (360 an hour at 10 s), and a run waits at most the interval times the kinds claimed.
 */
export function nextIdleSlot(nowMs: number, lastIdleSlot: number, intervalMs: number): number {
  return Math.max(nowMs + intervalMs, lastIdleSlot + intervalMs);
}

/** The kinds still claimed: those whose route did not answer 404/403. */
export function claimedKinds(s: ClaimIntakeState): RunKind[] {
  return s.settings.kinds.filter((k) => !s.disabled.has(k));
}

/**
 * A claim route answered 404 or 403: the route, the reserved header or the credential's role is
 * not there for this kind (an organization without Port Workflows has no node-run claims). Ocean
 * turns any claim error into an empty list and polls on (workflow_nodes.py
 * claim_pending_wf_node_runs, actions.py claim_pending_action_runs); the agent says so instead,
 * once, with a warning, a metric and a note on /readyz, and goes on with the other kind. Retrying
 * would not help: the same request gets the same refusal until someone changes Port or the
 * settings, and a restart picks that up. Who could cause it: whoever answers for Port (a proxy
 * in the way included) can stop a kind being claimed, which loses nothing (the runs wait in
 * Port) and is visible; when no kind is left the agent stops (exit 2) rather than idle silently.
 */
function disableKind(s: ClaimIntakeState, kind: RunKind, err: AgentError): void {
  const why = `HTTPS intake: ${kind} runs are not claimed: Port's claim route answered ${err.status ?? err.code}`;
  s.disabled.set(kind, why);
  s.dueAt.delete(kind);
  s.heldBack.delete(kind);
  s.metrics.claimKindDisabled.set({ kind }, 1);
  s.log.warn(
    `${err.message}. No more ${kind} runs are claimed by this agent until it is restarted${claimedKinds(s).length > 0 ? `; it goes on claiming ${claimedKinds(s).join(' and ')} runs` : ''}.`,
    { kind, status: err.status },
  );
  if (claimedKinds(s).length === 0) throw new AgentError('config', `${err.message}. No kind of run is left to claim.`, { cause: err });
}

/**
 * One claim for each kind given (alternating which goes first, as Ocean does). 'full': a batch
 * came back full, that kind is due again at once; 'no-room': the agent's hands are full, claim as
 * soon as they are not; 'idle': the kinds claimed wait for their next idle slot.
 */
export async function claimRound(s: ClaimIntakeState, due: RunKind[]): Promise<'full' | 'no-room' | 'idle'> {
  const { settings, metrics, clock } = s;
  const kinds = s.round++ % 2 === 0 ? due : [...due].reverse();
  let full = false;
  for (const kind of kinds) {
    const room = s.deps.room();
    if (room <= 0) return 'no-room';
    const limit = Math.min(settings.batchSize, room);
    const exclude = saturatedKeys(s.held.waitingByKey(kind), s.deps.dispatchCapacity, settings.maxSharePercent);
    const sentAt = clock.now();
    let raws: unknown[];
    try {
      raws = await s.claimApi.claim(kind, {
        installationId: settings.installationId,
        limit,
        visibilityTimeoutMs: settings.visibilityTimeoutMs,
        exclude,
      });
    } catch (raw) {
      const err = toAgentError(raw);
      if (err.code !== 'not_found' && err.code !== 'forbidden') throw err;
      disableKind(s, kind, err);
      continue;
    }
    metrics.claimDuration.observe({ kind }, (clock.now() - sentAt) / 1000);
    if (raws.length > 0) {
      metrics.runsClaimed.inc({ kind }, raws.length);
      s.log.debug(`claimed ${raws.length} ${kind} run(s)`, { excluded: exclude });
    }
    for (const raw of raws) take(s, kind, raw, sentAt);
    if (raws.length >= limit) {
      full = true;
      s.heldBack.delete(kind);
      s.dueAt.set(kind, clock.now());
    } else {
      // A short batch says Port has nothing more *outside what was left out*: with actions left
      // out (fairness), more of theirs may be waiting, so the kind is claimed again once one of
      // them drains below its share (heldBackReleased), the idle slot being the latest it waits.
      // Without that, a backlog of few actions was claimed one batch per idle slot (10 s).
      // Such a claim takes no idle slot (the agent is busy, not idle): taking one per release
      // would push the other kind's next idle claim minutes away.
      if (exclude.length > 0) {
        s.heldBack.set(kind, new Set(exclude));
        s.dueAt.set(kind, clock.now() + settings.intervalMs);
      } else {
        s.heldBack.delete(kind);
        s.lastIdleSlot = nextIdleSlot(clock.now(), s.lastIdleSlot, settings.intervalMs);
        s.dueAt.set(kind, s.lastIdleSlot);
      }
    }
  }
  s.failingSince = undefined;
  metrics.claimIntakeUp.set(1);
  return full ? 'full' : 'idle';
}

/**
 * Pure over the state: has an action that was left out of `kind`'s last (short) claim drained
 * below its share since? Then Port may hand out its runs again, and the kind is due now.
 */
export function heldBackReleased(s: ClaimIntakeState, kind: RunKind): boolean {
  const left = s.heldBack.get(kind);
  if (!left) return false;
  const now = new Set(saturatedKeys(s.held.waitingByKey(kind), s.deps.dispatchCapacity, s.settings.maxSharePercent));
  return [...left].some((key) => !now.has(key));
}

/** How often a kind held back by fairness looks whether an action drained (no request is sent to look). */
const HELD_BACK_CHECK_MS = 100;

export async function claimLoop(s: ClaimIntakeState): Promise<void> {
  const { settings, clock } = s;
  let failures = 0;
  while (!s.stopping) {
    const kinds = claimedKinds(s);
    const due = kinds.filter((k) => (s.dueAt.get(k) ?? -Infinity) <= clock.now() || heldBackReleased(s, k));
    if (due.length === 0) {
      const next = Math.min(...kinds.map((k) => s.dueAt.get(k) ?? clock.now()));
      const wait = Math.max(0, next - clock.now());
      if (!(await sleep(s, kinds.some((k) => s.heldBack.has(k)) ? Math.min(wait, HELD_BACK_CHECK_MS) : wait))) return;
      continue;
    }
    let outcome: Awaited<ReturnType<typeof claimRound>>;
    try {
      outcome = await claimRound(s, due);
      failures = 0;
    } catch (raw) {
      const err = toAgentError(raw);
      // /readyz names the failure's kind, not Port's answer (outageReason); the log line has it.
      portFailed(s, outageReason(err));
      s.log.warn(`claiming runs from Port failed: ${err.message}`, { attempt: failures });
      if (!(await sleep(s, backoffDelay(failures++, { baseMs: settings.intervalMs, capMs: 30_000 }, err.retryAfterMs)))) return;
      continue;
    }
    if (outcome === 'no-room' && !(await sleep(s, Math.min(100, settings.intervalMs)))) return;
  }
}

/** A run Port handed out: decoded, held, and handed to the processor. */
function take(s: ClaimIntakeState, kind: RunKind, raw: unknown, sentAt: number): void {
  const { processor } = s;
  const decoded = decodeClaimedRun(raw, kind);
  if (decoded.kind === 'ignore') {
    processor.count('port-api', 'invalid');
    s.log.warn(`claimed a run that cannot be read: ${decoded.reason}`);
    return;
  }
  const runId = decoded.kind === 'run' ? decoded.run.runId : decoded.runId;
  // Offered again while still in hand: this replica's claim ran out, it keeps working on it.
  if (s.held.has(runId)) return;
  // Another agent's organization (github.orgs): not held, not acknowledged, no report. Port
  // offers it again once the claim's visibility timeout passes, to whichever agent claims next.
  if (decoded.kind === 'run' && !processor.servesOrg(decoded.run, { intake: 'port-api', where: { claimed: kind, runId } })) return;
  const h = hold(s, runId, kind, decoded.fairnessKey, sentAt, { acked: false });
  const ctx: RunContext = {
    intake: 'port-api',
    where: { claimed: kind, runId },
    writtenAtMs: decoded.kind === 'run' && decoded.createdAtMs > 0 ? decoded.createdAtMs : sentAt,
    record: decoded.kind === 'run' ? decoded.record : undefined,
    // Dispatch only while the claim holds with a third of it to spare: the POST, and GHES showing
    // the run, must be done before anyone else can be handed the run.
    dispatchBy: sentAt + (s.settings.visibilityTimeoutMs * 2) / 3,
    handOff: (d) => handOff(s, h, d),
    ackFirst: () => ackFirst(s, h),
  };
  runHeld(s, h, decoded.kind === 'run' ? processor.job(decoded.run, ctx) : processor.refusal(runId, ctx, decoded.reason, decoded.outcome));
}
