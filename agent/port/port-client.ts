import { AgentError } from '../errors.js';
import type { PortLog, PortPatch, PortRun, RunReadHint } from '../types/port-run.js';
import { runKindOf } from '../types/run-request.js';
import { nodeLogBody, nodePatchBody, nodeRunIn, nodeRunRecord } from './node-runs.js';
import type { PortHttp } from './port-http.js';

export interface KafkaCredentials {
  brokers: string[];
  username: string;
  password: string;
}

/**
 * A run of either kind by its id: action runs (r_…) on /v1/actions/runs, workflow-node runs
 * (wfnr_…) on the node-run routes. Callers (processor, reporter) never look at the kind; those
 * that know the run's externalRunId pass it, and a node run is then read the way Ocean reads one.
 */
export interface PortRunApi {
  /**
   * The run, or undefined when Port does not have it. `hint.externalRunId`, when the caller knows
   * it (written at the dispatch): a workflow-node run is read by it, on Ocean's route.
   */
  getRun(runId: string, hint?: RunReadHint): Promise<PortRun | undefined>;
  /** The run as Port holds it after the write (undefined when the answer carries none). */
  patchRun(runId: string, patch: PortPatch): Promise<PortRun | undefined | void>;
  addLog(runId: string, log: PortLog): Promise<void>;
}

export interface PortClient extends PortRunApi {
  getKafkaCredentials(): Promise<KafkaCredentials>;
}

/** Where the node-run routes are (settings: portApi.routes.nodeRun, nodeRuns). */
export interface NodeRunRoutes {
  /** With `{id}` for the run id: PATCH, POST …/logs, and GET when no externalRunId is known (INFERRED). */
  nodeRun: string;
  /** The node-run list: read with `external_run_id` (Ocean's node-run read). */
  nodeRuns?: string;
}

export const DEFAULT_NODE_RUN_ROUTES: Required<NodeRunRoutes> = {
  nodeRun: '/v1/workflows/nodes/runs/{id}',
  nodeRuns: '/v1/workflows/nodes/runs',
};

/**
 * Port's run routes and Kafka credentials, on PortHttp. Reads ask for `version=v2`, as Port's
 * API description asks on GET /v1/actions/runs/{run_id} and GET /v1/actions/runs ("Please use
 * `v2` for the latest version of the API"), and as Ocean's client does on its runs read. Writes
 * send no version, as Ocean's and port-agent's do: the description gives PATCH one body for both.
 */
export function createPortClient(deps: { http: PortHttp; nodeRoutes?: NodeRunRoutes; reservedHeader?: string }): PortClient {
  const { http } = deps;
  // Ocean sends its reserved header on node-run reads (port-ocean 0.56.2 mixins/workflow_nodes.py
  // get_wf_node_run_by_external_id: INTERNAL_WORKFLOW_CLIENT_HEADER), as on claims and acks.
  const nodeReadHeaders = { [deps.reservedHeader ?? 'x-port-reserved-usage']: 'true' };
  const nodeRoutes = { ...DEFAULT_NODE_RUN_ROUTES, ...deps.nodeRoutes };
  const actionPath = (runId: string) => `/v1/actions/runs/${encodeURIComponent(runId)}`;
  const nodePath = (runId: string) => nodeRoutes.nodeRun.replace('{id}', encodeURIComponent(runId));
  const isNode = (runId: string) => runKindOf(runId) === 'workflow-node';

  async function read(operation: string, path: string, key: string, headers?: Record<string, string>): Promise<unknown> {
    const res = await http.call(operation, 'GET', path, headers ? { headers } : undefined);
    if (res.status === 404) {
      await res.text().catch(() => '');
      return undefined;
    }
    if (!res.ok) await http.fail(operation, res);
    return ((await res.json()) as Record<string, unknown>)[key];
  }

  /**
   * A node run by the externalRunId the agent wrote at its dispatch, as Ocean reads node runs:
   * `GET /v1/workflows/nodes/runs?external_run_id=…&include=nodeConfig` with the reserved header →
   * `{"nodeRuns": [...]}` (port-labs/ocean port_ocean/clients/port/mixins/workflow_nodes.py
   * get_wf_node_run_by_external_id, port-ocean 0.56.2 and the newest; shared/reference
   * port-integration-actions.md). Only the entry that is `runId` is taken (nodeRunIn: the list is
   * hostile input); none is "not found". A 404 means the route moved, not that the run is gone.
   */
  async function findNodeRun(runId: string, externalRunId: string): Promise<PortRun | undefined> {
    const operation = 'find_node_run';
    const path = `${nodeRoutes.nodeRuns}?${new URLSearchParams({ external_run_id: externalRunId, include: 'nodeConfig' })}`;
    const res = await http.call(operation, 'GET', path, { headers: nodeReadHeaders });
    if (res.status === 404) {
      await res.text().catch(() => '');
      throw new AgentError(
        'not_found',
        `Port answered 404 to GET ${nodeRoutes.nodeRuns}?external_run_id=…: Port reads node runs elsewhere (portApi.routes.nodeRuns; see docs/https-intake.md "Which Port backend?")`,
        { status: 404 },
      );
    }
    if (!res.ok) await http.fail(operation, res);
    const list = ((await res.json()) as Record<string, unknown>).nodeRuns;
    if (!Array.isArray(list)) throw new AgentError('port', `Port's ${nodeRoutes.nodeRuns}?external_run_id=… answered without "nodeRuns"`);
    return nodeRunIn(list, runId);
  }

  return {
    async getRun(runId, hint) {
      if (isNode(runId)) {
        if (hint?.externalRunId) return findNodeRun(runId, hint.externalRunId);
        // No externalRunId known (before the dispatch, or a hand-over's lock run no list showed):
        // the id route, assumed (no source documents it). A 404 is explained, not taken for "no
        // such run", which would skip a run Port expects to be executed.
        const raw = await read('get_node_run', nodePath(runId), 'nodeRun', nodeReadHeaders);
        if (raw === undefined) {
          throw new AgentError(
            'not_found',
            `Port answered 404 to GET ${nodePath(runId)}: either the workflow-node run is gone, or Port reads node runs elsewhere (portApi.routes.nodeRun; see docs/https-intake.md "Which Port backend?")`,
            { status: 404 },
          );
        }
        return nodeRunRecord(raw);
      }
      return (await read('get_run', `${actionPath(runId)}?version=v2`, 'run')) as PortRun | undefined;
    },
    async patchRun(runId, patch) {
      const node = isNode(runId);
      const operation = node ? 'patch_node_run' : 'patch_run';
      const res = await http.call(operation, 'PATCH', node ? nodePath(runId) : actionPath(runId), {
        body: node ? nodePatchBody(patch) : actionPatchBody(patch),
      });
      if (!res.ok) await http.fail(operation, res);
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      return node ? nodeRunRecord(body.nodeRun) : (body.run as PortRun | undefined);
    },
    async addLog(runId, log) {
      const node = isNode(runId);
      const operation = node ? 'add_node_log' : 'add_log';
      const { level: _level, ...actionLog } = log;
      const res = await http.call(operation, 'POST', node ? `${nodePath(runId)}/logs` : `${actionPath(runId)}/logs`, {
        body: node ? nodeLogBody(log) : actionLog,
      });
      if (!res.ok) await http.fail(operation, res);
      await res.text().catch(() => '');
    },
    async getKafkaCredentials() {
      const res = await http.call('kafka_credentials', 'GET', '/v1/kafka-credentials');
      if (!res.ok) await http.fail('kafka_credentials', res);
      const body = (await res.json()) as { credentials?: KafkaCredentials };
      const c = body.credentials;
      if (!c || !Array.isArray(c.brokers) || !c.username || !c.password) {
        throw new AgentError(
          'port',
          'Port /v1/kafka-credentials answered without brokers/username/password; set kafka.brokers, kafka.username and kafka.password instead.',
        );
      }
      return c;
    },
  };
}

/** An action run's PATCH: the PortPatch without what only node runs carry (Port's action-run API has no `output`). */
function actionPatchBody(patch: PortPatch): Omit<PortPatch, 'nodeOutput'> {
  const { nodeOutput: _nodeOutput, ...rest } = patch;
  return rest;
}
