/**
 * Take-overs: a run found by rediscovery (rediscovery.ts) that nobody holds, taken by this
 * replica with a write, a pause and a re-read, then tracked.
 *
 * Who can make the intake take a run over: whoever can write a run in Port (a Port user with
 * write access to runs) can label it handed over, or make it look left alone, and so have it
 * taken. What stops that from going further: only an acknowledged, unfinished run whose GitHub
 * run is recorded is a candidate (adoption.ts); a run taken over is never dispatched (its
 * dispatchBy is in the past); of another agent's organization it is left alone (servesOrg); and
 * the processor follows its recorded GitHub run only once it proves to be the invocation's own
 * (verify-recorded-run.ts; test/security/recorded-run.test.ts: a forged hand-over's run is
 * neither read nor cancelled).
 */
import type { RunKind } from '../port/claim-api.js';
import type { ClaimedRun } from '../port/decode-claimed-run.js';
import type { PortRun, RunReadHint } from '../types/port-run.js';
import type { RunContext } from '../run/run-scope.js';
import { handOff, hold, runHeld } from './acknowledging.js';
import { handOverLabel, orphanReason } from './adoption.js';
import { type ClaimIntakeState, sleep } from './intake-state.js';

export type ListedRun = Extract<ClaimedRun, { kind: 'run' }>;

/** The lock run a listed lock names itself as (a run labelled with its own hand-over). */
export function handOverLabelOf(d: ListedRun): string | undefined {
  return d.record?.statusLabel === handOverLabel(d.run.runId) ? d.run.runId : undefined;
}

/**
 * Takes a run over by itself, making sure no other replica does the same: read it (still an
 * orphan?), write to it, wait `settleMs`, read it again. Port bumps `updatedAt` on every write,
 * so an unchanged `updatedAt` means nobody wrote after us: another replica that looked at the
 * same run either saw our write (fresh, not an orphan) or wrote before ours and sees ours on its
 * re-read. The read-to-write time is bounded by half the pause, so neither can slip through.
 * `updatedAt` is stamped in milliseconds, so two replicas writing in the same one read the same
 * stamp back: the write also carries this replica's name (takeOverLabel), and the re-read must
 * show both (found by the rolling-update chaos scenario on a loaded machine: both replicas took
 * one hand-over, and 26 runs got two final statuses).
 * 'retry': Port was too slow to be sure either way; the next look tries again.
 */
async function takeOver(
  s: ClaimIntakeState,
  runId: string,
  listed?: RunReadHint,
): Promise<{ outcome: 'won'; after: PortRun; link?: string; mark: string } | { outcome: 'lost' | 'retry' }> {
  const { clock, deps, log, settleMs, takeOverLabel } = s;
  const t0 = clock.now();
  // Both reads go by the externalRunId the list showed (a node run: Ocean's read by external id,
  // port-client.ts), then by the one written here; only the run asked for counts (another run
  // answered under that externalRunId is "not found", so the take-over is lost, nothing written).
  const fresh = await deps.port.getRun(runId, listed);
  if (!fresh || s.held.has(runId) || !orphanReason(fresh, { nowMs: clock.now(), leaseMs: s.settings.leaseMs, held: false }))
    return { outcome: 'lost' };
  const link = Array.isArray(fresh.link) ? fresh.link[0] : (fresh.link ?? undefined);
  const written = await deps.port.patchRun(runId, {
    statusLabel: takeOverLabel,
    ...(link ? { link } : {}),
    ...(fresh.externalRunId ? { externalRunId: fresh.externalRunId } : {}),
  });
  if (clock.now() - t0 > settleMs / 2) {
    log.info(`run ${runId}: Port was too slow to take it over safely now; the next look tries again`);
    return { outcome: 'retry' };
  }
  const mark = (written as PortRun | undefined)?.updatedAt;
  if (!mark) {
    log.warn(`run ${runId}: Port answered the take-over write without the run's updatedAt; not taking it over`);
    return { outcome: 'retry' };
  }
  if (!(await sleep(s, settleMs))) return { outcome: 'retry' };
  const after = await deps.port.getRun(runId, fresh.externalRunId ? { externalRunId: fresh.externalRunId } : undefined);
  if (!after || after.updatedAt !== mark || after.statusLabel !== takeOverLabel || s.held.has(runId)) {
    log.info(`run ${runId} was written by someone else meanwhile: another replica has it`);
    return { outcome: 'lost' };
  }
  return { outcome: 'won', after, link, mark };
}

/** Takes over an orphan the list shows, and tracks it; a lock run taken gives this replica its whole hand-over. */
export async function adopt(s: ClaimIntakeState, kind: RunKind, decoded: ListedRun, reason: string): Promise<void> {
  const runId = decoded.run.runId;
  // Its GitHub run is on another agent's GHES (github.orgs): only that agent can follow it.
  if (!s.processor.servesOrg(decoded.run, { intake: 'port-api', where: { adopted: kind, runId } })) return;
  const isLock = handOverLabelOf(decoded) !== undefined;
  const taken = await takeOver(s, runId, decoded.record?.externalRunId ? { externalRunId: decoded.record.externalRunId } : undefined);
  if (isLock && taken.outcome !== 'retry') s.locks.set(runId, { state: taken.outcome, atMs: s.clock.now() });
  if (taken.outcome !== 'won') return;
  holdAdopted(s, kind, decoded, { ...taken.after, link: taken.link ?? taken.after.link }, reason, s.clock.now());
}

/**
 * Takes a hand-over whose lock run the list does not show (beyond its 1,000): the lock run is held
 * once a list shows it. Its externalRunId is unknown here (the members' labels name only its id),
 * so a node lock run is read by id (port-client.ts); where Port lacks that route the read fails
 * with the route named in the log, and is tried again at the next look.
 */
export async function takeLock(s: ClaimIntakeState, lockRunId: string): Promise<void> {
  const taken = await takeOver(s, lockRunId);
  if (taken.outcome === 'retry') return;
  s.locks.set(lockRunId, { state: taken.outcome, atMs: s.clock.now() });
  if (taken.outcome === 'won') s.ownLocks.set(lockRunId, { mark: taken.mark, atMs: s.clock.now() });
}

/** Holds a run taken over (by itself, or with its hand-over) and tracks it: never dispatched, its GitHub run is recorded. */
export function holdAdopted(
  s: ClaimIntakeState,
  kind: RunKind,
  decoded: ListedRun,
  record: PortRun,
  reason: string,
  lastWriteMs: number,
  quiet = false,
): void {
  const { clock, log, processor } = s;
  const runId = decoded.run.runId;
  if (s.held.has(runId)) return;
  if (!processor.servesOrg(decoded.run, { intake: 'port-api', where: { adopted: kind, runId } })) return;
  const link = Array.isArray(record.link) ? record.link[0] : (record.link ?? undefined);
  const h = hold(s, runId, kind, decoded.fairnessKey, clock.now(), {
    acked: true,
    link,
    externalRunId: record.externalRunId ?? undefined,
    lastWriteMs: Math.min(lastWriteMs, clock.now()),
  });
  s.metrics.runsAdopted.inc({ kind });
  const line = `took over run ${runId} (${reason}): tracking its GitHub run`;
  if (quiet) log.debug(line, { runId });
  else log.info(line, { runId });
  const ctx: RunContext = {
    intake: 'port-api',
    where: { adopted: kind, runId },
    writtenAtMs: decoded.createdAtMs,
    record,
    // Never dispatched here: only runs whose GitHub run is recorded are taken over.
    dispatchBy: clock.now() - 1,
    handOff: (d) => handOff(s, h, d),
  };
  runHeld(s, h, processor.job(decoded.run, ctx));
}
