// Pure decisions on workflow-node runs (wfnr_…), as Ocean and port-agent write them and Port's
// workflow docs describe them: PATCH /v1/workflows/nodes/runs/{id} with status IN_PROGRESS |
// COMPLETED, result SUCCESS | FAILED | CANCELLED, externalRunId, links, output (ocean
// port_ocean/clients/port/mixins/actions_and_workflow_runs.py; port-agent app/port_client.py);
// logs as {"logs": [{level, message}]} (ocean WorkflowNodeRunLog: INFO, WARN, ERROR, DEBUG).
// statusLabel {"text": …} on the run: port-ocean 0.56.2 sends it in `_wf_node_completion_patch`,
// `update_run_started` and `post_run_log` (its docstring: "workflow node runs only accept it on
// the run, so it takes an extra patch there"), asserted by its
// tests/clients/port/mixins/test_actions_and_workflow_runs.py ({"statusLabel": {"text":
// "Triggering pipeline"}}). How Port serves it back is not shown by Ocean (it never reads it):
// the simulator serves it as written (INFERRED).
import type { Checked } from './run-rules.js';
import type { SimPortRun } from './types.js';

export interface NodePatch {
  status?: 'IN_PROGRESS' | 'COMPLETED';
  result?: 'SUCCESS' | 'FAILED' | 'CANCELLED';
  externalRunId?: string;
  links?: string[];
  output?: Record<string, unknown>;
  statusLabel?: { text: string };
}

const refuse = (message: string, status = 422, error = 'invalid_request') => ({ ok: false as const, status, error, message });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkNodePatchBody(body: unknown): Checked<NodePatch> {
  if (!isObject(body)) return refuse('body must be an object');
  const extra = Object.keys(body).find((k) => !['status', 'result', 'externalRunId', 'links', 'output', 'statusLabel'].includes(k));
  if (extra) return refuse(`body/${extra} is not allowed: body must NOT have additional properties`);
  if (body.status !== undefined && body.status !== 'IN_PROGRESS' && body.status !== 'COMPLETED')
    return refuse('body/status must be one of IN_PROGRESS, COMPLETED');
  if (body.result !== undefined && !['SUCCESS', 'FAILED', 'CANCELLED'].includes(body.result as string))
    return refuse('body/result must be one of SUCCESS, FAILED, CANCELLED');
  if (body.status === 'COMPLETED' && body.result === undefined) return refuse('body/result is required when status is COMPLETED');
  if (body.externalRunId !== undefined && typeof body.externalRunId !== 'string') return refuse('body/externalRunId must be a string');
  if (body.links !== undefined && !(Array.isArray(body.links) && body.links.every((l) => typeof l === 'string')))
    return refuse('body/links must be an array of strings');
  if (body.output !== undefined && !isObject(body.output)) return refuse('body/output must be an object');
  if (
    body.statusLabel !== undefined &&
    !(isObject(body.statusLabel) && typeof body.statusLabel.text === 'string' && Object.keys(body.statusLabel).length === 1)
  ) {
    return refuse('body/statusLabel must be an object {text: string}');
  }
  return { ok: true, value: body };
}

/** A node run completes once: completing it again is refused, as a second action-run status is. */
export function checkNodeTerminalWrite(run: SimPortRun, patch: NodePatch): ReturnType<typeof refuse> | undefined {
  if (patch.status !== 'COMPLETED' || run.status === 'IN_PROGRESS') return undefined;
  return refuse(`node run ${run.id} is already completed; it can be completed only once`, 422, 'node_run_already_completed');
}

/** `output` is replaced, not merged (Ocean resends the output on completion so it is not wiped). */
export function applyNodePatch(run: SimPortRun, patch: NodePatch, at: string): void {
  if (patch.externalRunId !== undefined) run.externalRunId = patch.externalRunId;
  if (patch.links !== undefined) {
    run.links = patch.links;
    run.link = patch.links;
  }
  if (patch.output !== undefined) run.output = patch.output;
  if (patch.statusLabel !== undefined) run.statusLabel = patch.statusLabel.text;
  if (patch.status === 'COMPLETED') {
    run.result = patch.result;
    run.status = patch.result === 'SUCCESS' ? 'SUCCESS' : 'FAILURE';
    run.endedAt = at;
  }
  run.updatedAt = at;
}

export function checkNodeLogBody(body: unknown): Checked<Array<{ level: string; message: string }>> {
  if (!isObject(body) || !Array.isArray(body.logs) || body.logs.length === 0)
    return refuse("body must have required property 'logs' (a non-empty array)");
  const extra = Object.keys(body).find((k) => k !== 'logs');
  if (extra) return refuse(`body/${extra} is not allowed`);
  for (const l of body.logs) {
    if (!isObject(l) || typeof l.message !== 'string' || !['INFO', 'WARN', 'ERROR', 'DEBUG'].includes(l.level as string)) {
      return refuse('body/logs items must be {level: INFO|WARN|ERROR|DEBUG, message: string}');
    }
  }
  return { ok: true, value: body.logs as Array<{ level: string; message: string }> };
}

/**
 * A node run as the claim answer (`config`, ocean tests' "wfnr_claim" shape) or a look-up with
 * include=nodeConfig (`node.config`, their "wfnr_lookup" shape) serves it. INTEGRATION_ACTION
 * node configs name the provider and invocation type (ocean WorkflowIntegrationActionConfig).
 */
export function nodeRunView(run: SimPortRun, opts: { nodeConfig?: 'config' | 'node' } = {}): Record<string, unknown> {
  const inv = run.invocation;
  const config =
    inv.type === 'INTEGRATION_ACTION'
      ? {
          type: 'INTEGRATION_ACTION',
          installationId: inv.installationId,
          integrationProvider: 'github-ocean',
          integrationInvocationType: inv.integrationActionType,
          integrationActionExecutionProperties: inv.integrationActionExecutionProperties,
        }
      : { ...inv };
  const view: Record<string, unknown> = {
    identifier: run.id,
    nodeUid: run.nodeUid ?? null,
    status: run.status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'COMPLETED',
    result: run.result ?? null,
    output: run.output ?? {},
    links: run.links ?? [],
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    completedAt: run.endedAt ?? null,
  };
  if (run.externalRunId !== undefined) view.externalRunId = run.externalRunId;
  if (run.statusLabel !== undefined) view.statusLabel = { text: run.statusLabel };
  if ((opts.nodeConfig ?? 'config') === 'config') view.config = config;
  else view.node = { config };
  if (run.installationId !== undefined) {
    view.installationId = run.installationId;
    view.pendingExecution = run.pendingExecution ?? true;
    view.claimedUntil = run.claimedUntil !== undefined ? new Date(run.claimedUntil).toISOString() : null;
  }
  return view;
}
