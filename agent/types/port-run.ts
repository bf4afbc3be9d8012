/**
 * Port's run records as the agent reads and writes them: the Port side (port/: the client, the
 * reporter, node-run translation), the run's processing (run/) and the claim intake (claim/) all
 * use them, so they stand on the ground floor, beneath all three (issue 25). Action runs follow
 * Port's API description (GET/PATCH /v1/actions/runs/{run_id}, POST …/logs); workflow-node runs
 * are read and written in this vocabulary by port/node-runs.ts.
 */

/** What the agent reads of a Port run (an action run, or a workflow-node run read as one: port/node-runs.ts). */
export interface PortRun {
  id: string;
  status: string;
  statusLabel?: string | null;
  link?: string | string[] | null;
  /** Not in Port's API description: read when present, the link is the fallback (run/external-run-id.ts). */
  externalRunId?: string | null;
  createdAt?: string;
  /** Port updates it on every write: the lease of a run this agent holds (claim/claim-intake.ts). */
  updatedAt?: string;
  /** Integration runs: the installation that executes them, and false once acknowledged. */
  installationId?: string;
  pendingExecution?: boolean;
}

/**
 * What a reader knows of a run besides its id: the externalRunId the agent wrote at its dispatch
 * (run/external-run-id.ts). A workflow-node run is read by it on the route Ocean reads node runs
 * by (port/port-client.ts); action runs are read by id whatever the hint. Used by the claim
 * intake's take-overs, the processor's final reads, the reporter, the Port-end watch and the relay.
 */
export interface RunReadHint {
  externalRunId?: string;
}

export interface PortPatch {
  status?: 'SUCCESS' | 'FAILURE';
  statusLabel?: string;
  link?: string | string[];
  summary?: string;
  externalRunId?: string;
  /**
   * Workflow-node runs only: what the node's `output` carries besides the link (Ocean's node
   * output: for a pull request or an issue its number and URL). Never sent on an action run.
   */
  nodeOutput?: Record<string, unknown>;
}

export interface PortLog {
  message: string;
  terminationStatus?: 'SUCCESS' | 'FAILURE';
  statusLabel?: string;
  /** Workflow-node runs' log level (action-run logs have none); INFO by default. */
  level?: 'INFO' | 'WARN' | 'ERROR' | 'DEBUG';
}
