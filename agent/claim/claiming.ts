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
import { toAgentError } from '../errors.js';
import { outageReason } from '../observability/dependency-health.js';
import type { RunKind } from '../port/claim-api.js';
import { decodeClaimedRun } from '../port/decode-claimed-run.js';
import type { RunContext } from '../run/run-scope.js';
import { backoffDelay } from '../util/backoff.js';
import { handOff, hold, runHeld } from './acknowledging.js';
import { saturatedKeys } from './fairness.js';
import { type ClaimIntakeState, portFailed, sleep } from './intake-state.js';

/**
 * One claim per kind (alternating which goes first, as Ocean does). 'full': a batch came back
 * full, claim again at once; 'no-room': the agent's hands are full, claim as soon as they are
 * not; 'idle': Port had less than asked, wait the claim interval.
 */
export async function claimRound(s: ClaimIntakeState): Promise<'full' | 'no-room' | 'idle'> {
  const { settings, metrics, clock } = s;
  const kinds = s.round++ % 2 === 0 ? settings.kinds : [...settings.kinds].reverse();
  let full = false;
  for (const kind of kinds) {
    const room = s.deps.room();
    if (room <= 0) return 'no-room';
    const limit = Math.min(settings.batchSize, room);
    const exclude = saturatedKeys(s.held.waitingByKey(kind), s.deps.dispatchCapacity, settings.maxSharePercent);
    const sentAt = clock.now();
    const raws = await s.claimApi.claim(kind, {
      installationId: settings.installationId,
      limit,
      visibilityTimeoutMs: settings.visibilityTimeoutMs,
      exclude,
    });
    metrics.claimDuration.observe({ kind }, (clock.now() - sentAt) / 1000);
    if (raws.length > 0) {
      metrics.runsClaimed.inc({ kind }, raws.length);
      s.log.debug(`claimed ${raws.length} ${kind} run(s)`, { excluded: exclude });
    }
    for (const raw of raws) take(s, kind, raw, sentAt);
    if (raws.length >= limit) full = true;
  }
  s.failingSince = undefined;
  metrics.claimIntakeUp.set(1);
  return full ? 'full' : 'idle';
}

export async function claimLoop(s: ClaimIntakeState): Promise<void> {
  const { settings } = s;
  let failures = 0;
  while (!s.stopping) {
    let outcome: Awaited<ReturnType<typeof claimRound>>;
    try {
      outcome = await claimRound(s);
      failures = 0;
    } catch (raw) {
      const err = toAgentError(raw);
      // /readyz names the failure's kind, not Port's answer (outageReason); the log line has it.
      portFailed(s, outageReason(err));
      s.log.warn(`claiming runs from Port failed: ${err.message}`, { attempt: failures });
      if (!(await sleep(s, backoffDelay(failures++, { baseMs: settings.intervalMs, capMs: 30_000 }, err.retryAfterMs)))) return;
      continue;
    }
    if (outcome === 'idle' && !(await sleep(s, settings.intervalMs))) return;
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
  };
  runHeld(s, h, decoded.kind === 'run' ? processor.job(decoded.run, ctx) : processor.refusal(runId, ctx, decoded.reason, decoded.outcome));
}
