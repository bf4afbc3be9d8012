import type { PortLog, PortPatch, PortRun } from '../types/port-run.js';

/**
 * Workflow-node runs (wfnr_…, Port Workflows) in the vocabulary of action runs, so the processor
 * and the reporter handle both alike. Port's node-run API (PATCH /v1/workflows/nodes/runs/{id}
 * with status, result, externalRunId, links, output, statusLabel; logs as {"logs": [{level,
 * message}]}: ocean port_ocean/clients/port/mixins/actions_and_workflow_runs.py, port-agent
 * app/port_client.py). The status label goes on the run as Ocean sends it, `statusLabel: {"text":
 * …}` (port-ocean 0.56.2 `_wf_node_completion_patch`, `update_run_started`, and `post_run_log`,
 * whose docstring says node runs "only accept it on the run"; asserted in its
 * tests/clients/port/mixins/test_actions_and_workflow_runs.py). Node runs have no summary: it
 * travels in `output`, next to what Ocean puts there (workflowRunUrl, workflowRunId). `output` is
 * replaced by each PATCH that carries it (Ocean resends it on completion so it is not wiped), so
 * every PATCH here rebuilds it whole from what the patch holds: the processor sends the link and
 * externalRunId with the final status.
 */
export function nodePatchBody(patch: PortPatch): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (patch.status !== undefined) {
    body.status = 'COMPLETED';
    body.result = patch.status === 'SUCCESS' ? 'SUCCESS' : 'FAILED';
  }
  if (patch.externalRunId !== undefined) body.externalRunId = patch.externalRunId;
  const link = Array.isArray(patch.link) ? patch.link[0] : patch.link;
  if (link !== undefined) body.links = [link];
  const output: Record<string, unknown> = {};
  if (link !== undefined) output.workflowRunUrl = link;
  const runId = /_(\d+)$/.exec(patch.externalRunId ?? '')?.[1];
  if (runId !== undefined) output.workflowRunId = Number(runId);
  if (patch.summary !== undefined) output.summary = patch.summary;
  if (patch.nodeOutput !== undefined) Object.assign(output, patch.nodeOutput);
  if (Object.keys(output).length > 0) body.output = output;
  if (patch.statusLabel !== undefined) body.statusLabel = { text: patch.statusLabel };
  if (body.status === undefined && Object.keys(body).length > 0) body.status = 'IN_PROGRESS';
  return body;
}

export function nodeLogBody(log: PortLog): { logs: Array<{ level: string; message: string }> } {
  return { logs: [{ level: log.level ?? (log.terminationStatus === 'FAILURE' ? 'ERROR' : 'INFO'), message: log.message }] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The label on the run (`statusLabel: {"text": …}`, as Ocean writes it), else where agents before
 * issue 24 kept it (`output.statusLabel`): a run they dispatched is still recognised as the agent's.
 */
function labelOf(raw: Record<string, unknown>, output: Record<string, unknown>): string | null {
  if (isObject(raw.statusLabel) && typeof raw.statusLabel.text === 'string') return raw.statusLabel.text;
  if (typeof raw.statusLabel === 'string') return raw.statusLabel;
  return typeof output.statusLabel === 'string' ? output.statusLabel : null;
}

/**
 * The node run asked for in Port's answer to a read by external id (`{"nodeRuns": [...]}`,
 * port-ocean workflow_nodes.py get_wf_node_run_by_external_id), or undefined: only the entry
 * whose identifier is `runId`. Ocean takes the first entry; here the list is hostile input (a Port
 * user with write access to runs can give another run the same externalRunId, and an answer may
 * hold what was not asked), and taking another run would read, end or take over that run instead.
 * A list without it is "not found", like a 404 on a read by id. Pure.
 */
export function nodeRunIn(list: readonly unknown[], runId: string): PortRun | undefined {
  const found = list.find((raw) => isObject(raw) && raw.identifier === runId);
  return found === undefined ? undefined : nodeRunRecord(found);
}

/** A node run as Port serves it (claims, GET, lists) read as a PortRun: COMPLETED + SUCCESS is SUCCESS, any other result FAILURE. */
export function nodeRunRecord(raw: unknown): PortRun | undefined {
  if (!isObject(raw) || typeof raw.identifier !== 'string') return undefined;
  const output = isObject(raw.output) ? raw.output : {};
  const links = Array.isArray(raw.links) ? raw.links.filter((l): l is string => typeof l === 'string') : [];
  const link = links[0] ?? (typeof output.workflowRunUrl === 'string' ? output.workflowRunUrl : undefined);
  const status = raw.status === 'COMPLETED' ? (raw.result === 'SUCCESS' ? 'SUCCESS' : 'FAILURE') : 'IN_PROGRESS';
  return {
    id: raw.identifier,
    status,
    statusLabel: labelOf(raw, output),
    link: link ?? null,
    externalRunId: typeof raw.externalRunId === 'string' ? raw.externalRunId : null,
    updatedAt: typeof raw.updatedAt === 'string' ? raw.updatedAt : undefined,
    createdAt: typeof raw.createdAt === 'string' ? raw.createdAt : undefined,
    installationId: typeof raw.installationId === 'string' ? raw.installationId : undefined,
    pendingExecution: typeof raw.pendingExecution === 'boolean' ? raw.pendingExecution : undefined,
  };
}
