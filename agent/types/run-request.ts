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
export const ACTION_TYPES = [
  'dispatch_workflow',
  'create_pull_request',
  'create_issue',
  'create_pr_comment',
  'close_pull_request',
  'update_pull_request',
  'merge_pull_request',
  'review_pull_request',
  'edit_issue',
  'close_issue',
  'edit_pr_comment',
  'delete_pr_comment',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/**
 * Port's GitHub Ocean catalogue (port-labs/ocean integrations/github/github/actions/, one
 * executor file per type): a claimed run of one of these is handed to the processor, which
 * runs it or refuses it saying why (no GHES has its route, or no executor here yet); any other
 * type is refused at decoding.
 */
export const OCEAN_ACTION_TYPES: readonly string[] = [
  ...ACTION_TYPES,
  'update_pull_request',
  'merge_pull_request',
  'review_pull_request',
  'update_repo_external_custom_properties',
  'replace_repositories_external_custom_properties',
  'bulk_update_external_custom_property_values',
  'bulk_delete_external_custom_property_values',
];

export interface ActionRequest {
  /** One of OCEAN_ACTION_TYPES other than dispatch_workflow. */
  type: string;
  props: Record<string, unknown>;
}

/** The kind of a Port run by its id: workflow-node runs are `wfnr_…` (port-agent app/core/consts.py). */
export function runKindOf(runId: string): RunRequest['runKind'] {
  return runId.startsWith('wfnr_') ? 'workflow-node' : 'action';
}
