import type { DispatchedRun } from '../github/dispatch-workflow.js';
import type { PortPatch } from '../types/port-run.js';
import type { VerifiedRun } from './verified-run.js';

/**
 * A run on GHES, `fresh` when dispatched here and now (created at about now), not resumed.
 * `verified`: the only handle by which it is followed, reported on and cancelled (verified-run.ts).
 */
export type StagedRun = DispatchedRun & {
  verified: VerifiedRun;
  fresh?: boolean;
  externalRunId?: string;
  createdAfterMs?: number;
  createdAt?: string;
  status?: string;
};

/** A recorded run that does not match the invocation: the run ends FAILURE with the reason, and nothing more of that GitHub run is read. */
export type Refused = { refused: string };
export const isRefused = (x: StagedRun | Refused | undefined): x is Refused => x !== undefined && 'refused' in x;

/**
 * The link and externalRunId of a dispatched run, sent with every later patch of it: a
 * workflow-node run's output is replaced by each patch that carries one (node-runs.ts), and
 * these keep its workflowRunUrl and workflowRunId.
 */
export function linkOf(run: Partial<Pick<StagedRun, 'htmlUrl' | 'externalRunId'>>): Pick<PortPatch, 'link' | 'externalRunId'> {
  const patch: Pick<PortPatch, 'link' | 'externalRunId'> = {};
  if (run.htmlUrl) patch.link = run.htmlUrl;
  if (run.externalRunId) patch.externalRunId = run.externalRunId;
  return patch;
}
