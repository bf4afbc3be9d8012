import type { PortRun } from '../types/port-run.js';

/** Written to Port before the POST: a redelivered run that finds it looks on GHES first. */
export const DISPATCHING_LABEL = 'Dispatching workflow';

/** The label written once a run's GitHub run is recorded; a take-over writes it with its replica (claim-intake.ts takeOverLabel). */
export const DISPATCHED_LABEL = 'Workflow dispatched';

/**
 * Written when a run ends without a status for Port (reportWorkflowStatus: false): Port keeps
 * such runs IN_PROGRESS forever, and this says they are done (a redelivery or an orphan search
 * leaves them alone).
 */
export const COMPLETED_LABEL_PREFIX = 'Workflow completed';

/**
 * Whether Port's record shows a run the agent dispatched (or is dispatching): a link or an
 * externalRunId of any form (a refusal must not end a run on a technicality of its id), or one
 * of the agent's own labels. Pure.
 */
export function showsDispatch(
  record: Pick<PortRun, 'link' | 'externalRunId' | 'statusLabel'>,
  /** The other action types' own labels ("Creating PR", "Merging pull request", …: ActionExecutor.labels). */
  actionLabels: ReadonlySet<string> = new Set(),
): boolean {
  const linked = Array.isArray(record.link) ? record.link.some((l) => typeof l === 'string' && l !== '') : Boolean(record.link);
  if (linked || record.externalRunId) return true;
  const label = record.statusLabel ?? '';
  return (
    label === DISPATCHING_LABEL || label.startsWith(DISPATCHED_LABEL) || label.startsWith(COMPLETED_LABEL_PREFIX) || actionLabels.has(label)
  );
}
