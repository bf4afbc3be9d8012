/**
 * Whether a run Port still shows in progress is an orphan this replica may take over: a run of
 * this installation, acknowledged (so no claim will hand it out again), dispatched by an agent
 * (its GitHub run is recorded: this agent acknowledges runs only once their dispatch is
 * recorded), not finished, not held here, and either handed over at a shutdown or not written
 * for a whole lease (its replica is presumed dead). Pure.
 */
import { recordedGithubRunId } from '../run/external-run-id.js';
import { COMPLETED_LABEL_PREFIX } from '../run/run-labels.js';
import type { PortRun } from '../types/port-run.js';

/** Written by a replica that shuts down cleanly on each run it tracks: any replica may take it at once. */
export const RELEASED_LABEL = 'Handed over to another ghes-agent replica';

/**
 * The label of a run handed over at a shutdown together with others (issue 15): it names the
 * hand-over's lock run, one of the runs handed over. A replica takes the whole hand-over by
 * taking the lock run (write, pause, re-read: one take-over for thousands of runs), and then
 * the other runs without writing to them. A run labelled RELEASED_LABEL alone (an agent
 * before this hand-over, or a lock run) is taken over by itself.
 */
export function handOverLabel(lockRunId: string): string {
  return `${RELEASED_LABEL} (hand-over ${lockRunId})`;
}

const HAND_OVER = /^Handed over to another ghes-agent replica \(hand-over ((?:r|wfnr)_[A-Za-z0-9_-]+)\)$/;

/** The lock run a label names, when the run was handed over with others (not its own lock). Pure. */
export function handOverLockOf(record: Pick<PortRun, 'id' | 'statusLabel'>): string | undefined {
  const lock = HAND_OVER.exec(record.statusLabel ?? '')?.[1];
  return lock && lock !== record.id ? lock : undefined;
}

/** What this replica knows of a hand-over's lock: taken here ('won', with the lock's own take-over write) or not ('lost'). */
export type LockState = { state: 'won'; atMs: number } | { state: 'lost'; atMs: number };

/** An acknowledged, dispatched, unfinished run not held here: the runs the lease rules are about. */
function candidate(record: PortRun, held: boolean): boolean {
  if (held || record.status !== 'IN_PROGRESS' || record.pendingExecution !== false) return false;
  if (recordedGithubRunId(record) === undefined) return false;
  return !record.statusLabel?.startsWith(COMPLETED_LABEL_PREFIX);
}

function idleMs(record: PortRun, nowMs: number): number | undefined {
  const updated = Date.parse(record.updatedAt ?? '');
  return Number.isFinite(updated) ? nowMs - updated : undefined;
}

export function orphanReason(record: PortRun, opts: { nowMs: number; leaseMs: number; held: boolean }): string | undefined {
  if (!candidate(record, opts.held)) return undefined;
  if (record.statusLabel === RELEASED_LABEL || record.statusLabel === handOverLabel(record.id)) return 'handed over at a shutdown';
  const idle = idleMs(record, opts.nowMs);
  if (idle === undefined) return undefined;
  return idle >= opts.leaseMs ? `not written for ${Math.round(idle / 1000)} s` : undefined;
}

/**
 * What to do with one listed run (pure):
 * - 'member': handed over with others whose lock this replica took: held without a write. Only
 *   while the hand-over's write is less than half a lease old, so no other replica can see it as
 *   not written for a lease (and take it by the lease rule) while this one holds it silently;
 * - 'lock': handed over with others whose lock this replica has not looked at: take the lock first;
 * - 'orphan': take it over by itself (write, pause, re-read), for `reason`;
 * - undefined: leave it alone (held here, someone holds it, not a dispatched run).
 */
export type ListedDecision = { kind: 'member' } | { kind: 'lock'; lockRunId: string } | { kind: 'orphan'; reason: string } | undefined;

export function decideListed(
  record: PortRun,
  opts: { nowMs: number; leaseMs: number; held: boolean; locks: ReadonlyMap<string, LockState> },
): ListedDecision {
  if (!candidate(record, opts.held)) return undefined;
  const lock = handOverLockOf(record);
  if (lock !== undefined) {
    const known = opts.locks.get(lock);
    if (!known) return { kind: 'lock', lockRunId: lock };
    const idle = idleMs(record, opts.nowMs);
    if (known.state === 'won' && idle !== undefined && idle < opts.leaseMs / 2) return { kind: 'member' };
    // Taken elsewhere (its taker renews it), or taken here too long after the hand-over: the lease rule.
  }
  const reason = lock === undefined ? orphanReason(record, opts) : idleOrphan(record, opts);
  return reason ? { kind: 'orphan', reason } : undefined;
}

function idleOrphan(record: PortRun, opts: { nowMs: number; leaseMs: number }): string | undefined {
  const idle = idleMs(record, opts.nowMs);
  return idle !== undefined && idle >= opts.leaseMs ? `not written for ${Math.round(idle / 1000)} s` : undefined;
}
