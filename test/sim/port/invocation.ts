// Reading a run's invocation alike for both backends: GITHUB carries org/repo/workflow at its
// top level, INTEGRATION_ACTION inside integrationActionExecutionProperties.
import type { Invocation, SimPortRun } from './types.js';

export function workflowOf(inv: Invocation): {
  org?: unknown;
  repo?: unknown;
  workflow?: unknown;
  workflowInputs?: Record<string, unknown>;
  reportWorkflowStatus?: unknown;
} {
  return inv.type === 'GITHUB' ? inv : inv.integrationActionExecutionProperties;
}

/** Whether Port expects a final status (reportWorkflowStatus defaults to true in Port's UI; "false" as a string too). */
export function reportsWorkflowStatus(run: Pick<SimPortRun, 'invocation'>): boolean {
  const v = workflowOf(run.invocation).reportWorkflowStatus;
  return v !== false && v !== 'false';
}
