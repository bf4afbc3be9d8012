/**
 * Whether a run Port still shows in progress is an orphan this replica may take over: a run of
 * this installation, acknowledged (so no claim will hand it out again), dispatched by an agent
 * (its GitHub run is recorded: this agent acknowledges runs only once their dispatch is
 * recorded), not finished, not held here, and either handed over at a shutdown or not written
 * for a whole lease (its replica is presumed dead). Pure.
 */
import { recordedGithubRunId } from '../run/external-run-id.js';
import { COMPLETED_LABEL_PREFIX } from '../run/process-message.js';
import type { PortRun } from '../port/port-client.js';

/** Written by a replica that shuts down cleanly on each run it tracks: any replica may take it at once. */
export const RELEASED_LABEL = 'Handed over to another ghes-agent replica';

export function orphanReason(record: PortRun, opts: { nowMs: number; leaseMs: number; held: boolean }): string | undefined {
  if (opts.held || record.status !== 'IN_PROGRESS' || record.pendingExecution !== false) return undefined;
  if (recordedGithubRunId(record) === undefined) return undefined;
  if (record.statusLabel?.startsWith(COMPLETED_LABEL_PREFIX)) return undefined;
  if (record.statusLabel === RELEASED_LABEL) return 'handed over at a shutdown';
  const updated = Date.parse(record.updatedAt ?? '');
  if (!Number.isFinite(updated)) return undefined;
  const idleMs = opts.nowMs - updated;
  return idleMs >= opts.leaseMs ? `not written for ${Math.round(idleMs / 1000)} s` : undefined;
}
