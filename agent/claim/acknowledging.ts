/**
 * Holding a run and acknowledging it: a run claimed (claiming.ts) or taken over (take-over.ts) is
 * held here while its job runs, and acknowledged to Port once its dispatch is recorded.
 *
 * Who can make the intake acknowledge a run: only a run Port handed to this replica's claim, and
 * only once the processor recorded its dispatch in Port's record (handOff) or ended it. What
 * stops an acknowledgement of a run someone else has: it is sent only while this replica's claim
 * holds (visibilityTimeoutMs from the claim), and a 409 lets the run go, except right after an
 * ambiguous failure of our own ack while nobody else could have been handed the run.
 */
import { toAgentError } from '../errors.js';
import type { RunKind } from '../port/claim-api.js';
import { guardJob } from '../run/poison-guard.js';
import type { PreparedRun } from '../run/process-message.js';
import { LeaseExpired } from '../run/run-scope.js';
import { backoffDelay } from '../util/backoff.js';
import type { HeldRun } from './held-runs.js';
import type { ClaimIntakeState } from './intake-state.js';

export function hold(
  s: ClaimIntakeState,
  runId: string,
  kind: RunKind,
  fairnessKey: string,
  atMs: number,
  opts: { acked: boolean } & Partial<HeldRun>,
): HeldRun {
  const h: HeldRun = {
    runId,
    kind,
    fairnessKey,
    phase: opts.acked ? 'tracking' : 'dispatching',
    claimedAtMs: atMs,
    lastWriteMs: atMs,
    work: new AbortController(),
    owned: new AbortController(),
    ...opts,
  };
  s.held.add(h);
  return h;
}

/** Runs a held run's job under the poison guard; the run leaves the intake's hands when it ends. */
export function runHeld(s: ClaimIntakeState, h: HeldRun, job: PreparedRun): void {
  const { deps, metrics, log } = s;
  s.active++;
  guardJob(job, h.work.signal, h.owned.signal, { reporter: deps.reporter, metrics, logger: deps.logger, clock: s.clock, ...deps.guard })
    // Ended before its hand-off (already final, refused, reported FAILURE): acknowledged so
    // Port does not offer it again. A run let go at shutdown is not: Port offers it again.
    .then(async () => {
      if (!h.acked && !h.lettingGo && !h.work.signal.aborted) await ack(s, h);
    })
    .catch((err: unknown) => {
      if (err instanceof LeaseExpired) {
        // Not ours any more: its reports not yet sent (a label waiting out an outage) are
        // dropped, so the next claim of it does not queue behind them.
        h.owned.abort();
        metrics.runsAbandoned.inc({ kind: h.kind });
        log.warn(`${err.message}`, { runId: h.runId });
      } else if (!h.work.signal.aborted) {
        log.error(`handling run ${h.runId} failed: ${toAgentError(err).message}`, { runId: h.runId });
      }
    })
    .finally(() => {
      s.held.delete(h.runId);
      s.active--;
    });
}

/** The run's dispatch is recorded in Port: acknowledge it, and track it while holding its lease. */
export async function handOff(s: ClaimIntakeState, h: HeldRun, dispatched: { link?: string; externalRunId?: string }): Promise<boolean> {
  h.link = dispatched.link;
  h.externalRunId = dispatched.externalRunId;
  // Out of the dispatch stage: its place there is free for the next claim while the ack is on its way.
  h.phase = 'acknowledging';
  if (!h.acked && !(await ack(s, h))) {
    h.lettingGo = true;
    return false;
  }
  h.phase = 'tracking';
  h.lastWriteMs = Math.max(h.lastWriteMs, s.clock.now());
  return true;
}

/**
 * Acknowledges the run before its dispatch is recorded (RunContext.ackFirst: Port refused a write
 * to it while unacknowledged). The hand-off later finds it acknowledged and does not ack again.
 */
export async function ackFirst(s: ClaimIntakeState, h: HeldRun): Promise<boolean> {
  if (h.acked) return true;
  if (await ack(s, h)) return true;
  h.lettingGo = true;
  return false;
}

/** Acknowledges a claimed run while its claim holds; false when another worker has it (409) or the claim ran out first. */
async function ack(s: ClaimIntakeState, h: HeldRun): Promise<boolean> {
  const { clock, metrics, log } = s;
  const expiresAt = h.claimedAtMs + s.settings.visibilityTimeoutMs;
  let ambiguous = false;
  for (let attempt = 0; !h.owned.signal.aborted; attempt++) {
    try {
      const result = await s.claimApi.ack(h.kind, h.runId);
      // A 409 after an ack of ours that may have taken effect, while nobody else could have
      // been handed the run, is our own ack.
      if (result === 'acked' || (ambiguous && clock.now() < expiresAt)) {
        h.acked = true;
        metrics.runsAcknowledged.inc({ kind: h.kind });
        return true;
      }
      metrics.claimConflicts.inc({ kind: h.kind });
      log.warn(`run ${h.runId} was acknowledged by another worker first (409): it resumes the run from Port's record; letting go`, {
        runId: h.runId,
      });
      return false;
    } catch (raw) {
      const err = toAgentError(raw);
      if (!err.retriable) {
        log.error(`Port refused to acknowledge run ${h.runId}: ${err.message}`, { runId: h.runId });
        return false;
      }
      ambiguous ||= err.status === undefined || err.status >= 500;
      const wait = backoffDelay(attempt, { baseMs: 500, capMs: 10_000 }, err.retryAfterMs);
      if (clock.now() + wait >= expiresAt) {
        metrics.runsAbandoned.inc({ kind: h.kind });
        log.warn(
          `could not acknowledge run ${h.runId} before its claim ran out (${err.message}): Port offers it again, and whoever takes it resumes it from Port's record`,
          { runId: h.runId },
        );
        return false;
      }
      if (
        !(await clock.sleep(wait, h.owned.signal).then(
          () => true,
          () => false,
        ))
      )
        return false;
    }
  }
  return false;
}
