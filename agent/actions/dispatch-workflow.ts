import { DISPATCHED_LABEL, DISPATCHING_LABEL } from '../run/run-labels.js';
import type { RunScope } from '../run/run-scope.js';
import type { ActionExecutor } from './executor.js';

/**
 * dispatch_workflow (port-labs/ocean integrations/github/github/actions/dispatch_workflow_executor.py):
 * the processor's existing path, unchanged — the policy before any GHES request, the
 * resumption from GHES's run list and Port's record, the dispatch with "Dispatching workflow"
 * written first, the tracking and the final report (run/process-message.ts handleRun,
 * dispatch-stage.ts, resume.ts, track-run.ts, run-reports.ts). Who can trigger it and what
 * stops them is said there. Its route, POST …/actions/workflows/{id}/dispatches, is in every
 * GHES description @octokit/openapi ships (3.17 to 3.19).
 */
export function dispatchWorkflowExecutor(path: { handle(scope: RunScope): Promise<void> }): ActionExecutor {
  return { type: 'dispatch_workflow', labels: [DISPATCHING_LABEL, DISPATCHED_LABEL], execute: (scope) => path.handle(scope) };
}
