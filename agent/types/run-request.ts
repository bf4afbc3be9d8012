/**
 * One run to dispatch, as every intake hands it to the processor: decoded from a Kafka message
 * of Port's GitHub App backend (agent/kafka/, agent/port/decode-message.ts) or from a run
 * claimed over HTTPS for the GitHub Ocean backend and Port Workflows (agent/claim/,
 * agent/port/decode-claimed-run.ts). On the ground floor (issue 25): the GHES side (github/), the
 * Port side (port/), the processing (run/) and the intakes all use it, and github/ and port/ never
 * import each other nor anything above them.
 */
export interface RunRequest {
  runId: string;
  /** 'action' runs (r_…) report to /v1/actions/runs; 'workflow-node' runs (wfnr_…) to /v1/workflows/nodes/runs. */
  runKind: 'action' | 'workflow-node';
  org: string;
  repo: string;
  workflow: string;
  /** workflowInputs as Port rendered them (may hold `ref` and non-string values). */
  workflowInputs: Record<string, unknown>;
  reportWorkflowStatus: boolean;
  /** Legacy (v1) actions: the `port_payload` input holding the message, unless `omitPayload: true` (decode-message.ts). */
  portPayload: string | undefined;
  /**
   * An Ocean action type other than dispatch_workflow (issue 24), with its execution properties
   * as Port sent them, decoded by its executor (agent/actions/). Absent: dispatch_workflow, the
   * fields above. For these runs `workflow` is '' and `workflowInputs` empty.
   */
  action?: ActionRequest;
}

/** The action types an executor exists for (agent/actions/registry.ts registers one each). */
export const ACTION_TYPES = ['dispatch_workflow', 'create_pull_request', 'create_issue'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export interface ActionRequest {
  type: Exclude<ActionType, 'dispatch_workflow'>;
  props: Record<string, unknown>;
}

/** The kind of a Port run by its id: workflow-node runs are `wfnr_…` (port-agent app/core/consts.py). */
export function runKindOf(runId: string): RunRequest['runKind'] {
  return runId.startsWith('wfnr_') ? 'workflow-node' : 'action';
}
