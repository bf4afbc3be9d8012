/** One GITHUB action run as the agent understands it, decoded from Port's message. */
export interface RunRequest {
  runId: string;
  /** 'action' runs (r_…) report to /v1/actions/runs; 'workflow-node' runs (wfnr_…) elsewhere. */
  runKind: 'action' | 'workflow-node';
  org: string;
  repo: string;
  workflow: string;
  /** workflowInputs as Port rendered them (may hold `ref` and non-string values). */
  workflowInputs: Record<string, unknown>;
  reportWorkflowStatus: boolean;
  /** Legacy (v1) actions: the `port_payload` input holding the message, unless `omitPayload: true` (decode-message.ts). */
  portPayload: string | undefined;
}

/** A run as decoded, with what its signature check needs; only the RunRequest outlives that check. */
export interface DecodedRun extends RunRequest {
  signature: { value: string; timestamp: string } | undefined;
  /** The parsed message, for signature verification. */
  message: Record<string, unknown>;
}
