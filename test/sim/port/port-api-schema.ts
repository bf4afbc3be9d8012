// The shapes of every Port API route the agent uses, as Port publishes them: the JSON schemas of
// requests and responses copied from Port's own OpenAPI description (port-labs/port-docs
// `static/apispec.yaml` at commit 4893974ae5631bfa4c0999e903fe0d15c30ca02a, 2026-01-28; OpenAPI
// 3.1, so `type` may be a list and `const` appears). Routes the description does not have are
// written from the open code that calls them and say so (port-labs/ocean, port-labs/port-agent);
// what no source states is marked INFERRED.
//
// test/sim/port/schema.test.ts and test/integration/port-shapes.test.ts check the simulator's
// answers (and the agent's requests) against these schemas, the way test/sim/ghes checks itself
// against @octokit/openapi.
import type { JsonSchema } from './schema-check.js';

/** The description's error bodies. 404 and 422 require `message`; 401 and 413 only `ok` and `error`. */
const errorBody = (requireMessage: boolean): JsonSchema => ({
  properties: { ok: { const: false }, error: { type: 'string' }, message: { type: 'string' } },
  required: requireMessage ? ['ok', 'error', 'message'] : ['ok', 'error'],
  additionalProperties: false,
});
const ERROR_401 = errorBody(false);
const ERROR_404 = errorBody(true);
const ERROR_413 = errorBody(false);
const ERROR_422 = errorBody(true);
/**
 * 429 and 5xx: the description documents neither. Port's rate-limit page (port-docs
 * `docs/api-reference/rate-limits.mdx`) documents the headers, not the body; the body is held to
 * the shape of every other error Port answers (INFERRED), with `message` required so a client
 * can always show a reason.
 */
const ERROR_OTHER = errorBody(true);

const titled = (): JsonSchema => ({
  type: 'object',
  properties: {
    identifier: { type: 'string' },
    title: { type: ['string', 'null'] },
    icon: { type: ['string', 'null'] },
    deleted: { type: 'boolean' },
  },
  required: ['identifier'],
});

/** An action run: the description's `run` object, identical in GET, PATCH and the runs list. */
export const ACTION_RUN: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    blueprint: titled(),
    entity: titled(),
    action: titled(),
    properties: { type: 'object' },
    rawProperties: { type: 'object' },
    endedAt: { type: 'string', format: 'date-time' },
    source: { type: ['string', 'object'] },
    requiredApproval: { type: ['boolean', 'object'], properties: { type: { type: 'string', enum: ['ALL', 'ANY'] } }, required: ['type'] },
    status: { type: 'string' },
    statusLabel: { type: ['string', 'null'] },
    link: { type: ['array', 'string'], items: { type: 'string' } },
    summary: { type: 'string' },
    approval: {
      type: ['object', 'null'],
      properties: { description: { type: 'string' }, userId: { type: ['string', 'null'] }, state: { type: 'string' } },
    },
    // The run's invocation method. The description lists the WEBHOOK method's fields; the other
    // backends' fields (GITHUB: org, repo, workflow, workflowInputs, reportWorkflowStatus;
    // INTEGRATION_ACTION: installationId, integrationActionType, integrationActionExecutionProperties)
    // are documented in port-docs docs/actions-and-automations/templates/_backend-types-json.md,
    // hence `additionalProperties: true` in this copy (the only change to the description's schema).
    payload: {
      type: ['object', 'null'],
      additionalProperties: true,
      properties: {
        type: { type: 'string' },
        url: { type: 'string', format: 'uri' },
        agent: { type: 'boolean' },
        synchronized: { type: 'boolean' },
        method: { type: 'string' },
        headers: { type: 'object', properties: { RUN_ID: { type: 'string' } } },
        body: { type: 'object', properties: { port_context: { type: 'object', properties: { runId: { type: 'string' } } } } },
      },
    },
    response: { type: ['string', 'array', 'object'], items: {} },
    pendingExecution: { type: 'boolean' },
    claimedUntil: { type: 'string', format: 'date-time' },
    installationId: { type: 'string' },
    createdBy: { type: 'string' },
    impersonatedBy: { type: 'string' },
    updatedBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'action', 'properties', 'requiredApproval', 'source', 'status'],
};

/**
 * Fields Port serves that its description does not list. The checker accepts them (the run
 * object does not forbid extra properties) but the strict check reports anything else.
 * - `externalRunId`: written with PATCH and searchable with `external_run_id`, so Port keeps it;
 *   its presence in the run object is not promised, which is why the agent falls back to the
 *   link (agent/run/external-run-id.ts) and the tests run both shapes.
 */
export const UNPROMISED_RUN_FIELDS = ['externalRunId'];

/**
 * A workflow-node run (wfnr_…). Not in the description: written from Ocean's model
 * (port_ocean/core/models.py `WorkflowNodeRun`: identifier, nodeUid, status IN_PROGRESS|COMPLETED,
 * config, output) and port-agent's claimed node runs (tests/unit/streamers/polling/conftest.py:
 * pendingExecution, claimedUntil, installationId), plus Port's workflow docs (result SUCCESS |
 * FAILED | CANCELLED, externalRunId, links, createdAt, updatedAt).
 */
export const NODE_RUN: JsonSchema = {
  type: 'object',
  properties: {
    identifier: { type: 'string' },
    nodeUid: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['IN_PROGRESS', 'COMPLETED'] },
    result: { type: ['string', 'null'], enum: ['SUCCESS', 'FAILED', 'CANCELLED', null] },
    config: {
      type: 'object',
      additionalProperties: true,
      properties: {
        type: { type: 'string' },
        installationId: { type: 'string' },
        integrationProvider: { type: 'string' },
        integrationInvocationType: { type: 'string' },
        integrationActionExecutionProperties: { type: 'object' },
      },
      required: ['type'],
    },
    output: { type: ['object', 'null'] },
    externalRunId: { type: ['string', 'null'] },
    // As written (Ocean's {"text"}); INFERRED, Ocean never reads it back.
    statusLabel: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    links: { type: 'array', items: { type: 'string' } },
    pendingExecution: { type: 'boolean' },
    claimedUntil: { type: ['string', 'null'], format: 'date-time' },
    installationId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['identifier', 'status'],
};

/** A node run as a look-up with include=nodeConfig serves it: `node.config` (ocean tests, "wfnr_lookup"). */
const NODE_RUN_WITH_NODE: JsonSchema = {
  ...NODE_RUN,
  properties: { ...NODE_RUN.properties, node: { type: 'object', properties: { config: NODE_RUN.properties!.config! } } },
};

/** The integration record (GET/PATCH /v1/integration/{identifier}); the description gives the PATCH body only. */
const INTEGRATION: JsonSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    identifier: { type: 'string' },
    installationId: { type: 'string' },
    installationAppType: { type: 'string' },
    title: { type: ['string', 'null'] },
    version: { type: 'string' },
    actionsProcessingEnabled: { type: 'boolean' },
    config: { type: ['object', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['installationId'],
};

export interface RouteSchema {
  /** Where the shape comes from, for the test's messages. */
  source: string;
  request?: JsonSchema;
  /** Query parameters the route accepts, with their schemas. */
  query?: Record<string, JsonSchema>;
  responses: Record<string, JsonSchema>;
}

const SPEC = 'port-docs static/apispec.yaml';
const version = { type: 'string', enum: ['v1', 'v2'] } as const;

/** Keyed by `METHOD route-template`, the simulator's route names. */
export const ROUTES: Record<string, RouteSchema> = {
  'POST /v1/auth/access_token': {
    source: `${SPEC} /v1/auth/access_token post`,
    request: {
      type: 'object',
      properties: { clientId: { type: 'string' }, clientSecret: { type: 'string' } },
      additionalProperties: false,
      required: ['clientId', 'clientSecret'],
    },
    responses: {
      '200': {
        type: 'object',
        properties: { ok: { enum: [true] }, accessToken: { type: 'string' }, expiresIn: { type: 'number' }, tokenType: { type: 'string' } },
        additionalProperties: false,
        required: ['accessToken', 'expiresIn', 'tokenType'],
      },
      '401': ERROR_401,
      '404': ERROR_404,
      '413': ERROR_413,
      '422': ERROR_422,
    },
  },
  'GET /v1/actions/runs/:id': {
    source: `${SPEC} /v1/actions/runs/{run_id} get`,
    query: { version },
    responses: {
      '200': { properties: { ok: { enum: [true] }, run: ACTION_RUN }, required: ['ok'], additionalProperties: false },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'PATCH /v1/actions/runs/:id': {
    source: `${SPEC} /v1/actions/runs/{run_id} patch`,
    query: { version },
    request: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['SUCCESS', 'FAILURE'] },
        statusLabel: { type: 'string' },
        link: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        message: { type: 'object' },
        summary: { type: 'string' },
        externalRunId: { type: 'string' },
      },
      additionalProperties: false,
    },
    responses: {
      '200': { properties: { ok: { enum: [true] }, run: ACTION_RUN }, required: ['ok'], additionalProperties: false },
      '401': ERROR_401,
      '404': ERROR_404,
      '413': ERROR_413,
      '422': ERROR_422,
    },
  },
  'GET /v1/actions/runs': {
    source: `${SPEC} /v1/actions/runs get`,
    query: {
      entity: { type: 'string' },
      blueprint: { type: 'string' },
      active: { type: 'boolean' },
      user_email: { type: 'string' },
      user_id: { type: 'string' },
      limit: { type: 'number', minimum: 1, maximum: 1000 },
      exclude: { type: 'array', items: { type: 'string' } },
      external_run_id: { type: 'string' },
      version,
      action: { type: 'string' },
      source: { type: 'array', items: { type: 'string', enum: ['UI', 'API', 'AUTOMATION'] } },
    },
    responses: {
      '200': {
        properties: { ok: { enum: [true] }, runs: { type: 'array', items: ACTION_RUN } },
        required: ['ok'],
        additionalProperties: false,
      },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'POST /v1/actions/runs/:id/logs': {
    source: `${SPEC} /v1/actions/runs/{run_id}/logs post`,
    request: {
      type: 'object',
      properties: {
        terminationStatus: { type: 'string', enum: ['SUCCESS', 'FAILURE'] },
        statusLabel: { type: 'string' },
        message: { type: 'string' },
      },
      additionalProperties: false,
      required: ['message'],
    },
    responses: {
      '201': {
        properties: {
          ok: { enum: [true] },
          runLog: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              runId: { type: 'string' },
              message: { type: 'string' },
              createdBy: { type: 'string' },
              createdAt: { type: 'string', format: 'date-time' },
            },
            required: ['id', 'runId', 'message', 'createdBy', 'createdAt'],
          },
        },
        required: ['ok'],
        additionalProperties: false,
      },
      '401': ERROR_401,
      '404': ERROR_404,
      '413': ERROR_413,
      '422': ERROR_422,
    },
  },
  // Not in the description. port-agent app/port_client.py::get_kafka_credentials reads
  // res.json()["credentials"] with brokers, username and password; Ocean's client the same.
  'GET /v1/kafka-credentials': {
    source: 'port-agent app/port_client.py get_kafka_credentials; ocean port_ocean/clients/port/client.py (not in the description)',
    responses: {
      '200': {
        type: 'object',
        properties: {
          ok: { enum: [true] },
          credentials: {
            type: 'object',
            properties: {
              brokers: { type: 'array', items: { type: 'string' } },
              username: { type: 'string' },
              password: { type: 'string' },
            },
            required: ['brokers', 'username', 'password'],
          },
        },
        required: ['credentials'],
      },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
};

const OCEAN = 'ocean port_ocean/clients/port/mixins';
const claimBody: JsonSchema = {
  type: 'object',
  properties: {
    installationId: { type: 'string' },
    limit: { type: 'number', minimum: 1, maximum: 1000 },
    visibilityTimeoutMs: { type: 'number', minimum: 1, maximum: 600_000 },
    exclude: { type: 'array', items: { type: 'string' } },
  },
  required: ['installationId', 'limit'],
  additionalProperties: false,
};

// The HTTPS intake's routes. None is in the description of 2026-01-28; Port's API reference
// (docs.port.io/api-reference) lists the workflow-node claim (200, 404, 500) and ack (200, 404,
// 409, 500). Bodies from Ocean's and port-agent's clients; answers as they parse them.
Object.assign(ROUTES, {
  'POST /v1/actions/runs/claim-pending': {
    source: `${OCEAN}/actions.py claim_pending_action_runs (reads "runs"); port-agent tests: claimed runs are run records`,
    request: claimBody,
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, runs: { type: 'array', items: ACTION_RUN } }, required: ['runs'] },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'PATCH /v1/actions/runs/ack': {
    source: `${OCEAN}/actions.py acknowledge_action_run ({"runId"}; 409: another worker has it); port-agent ack_runs ({"runIds"} → {"ackedCount"})`,
    request: {
      type: 'object',
      properties: { runId: { type: 'string' }, runIds: { type: 'array', items: { type: 'string' } } },
      additionalProperties: false,
    },
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, ackedCount: { type: 'number' } } },
      '401': ERROR_401,
      '404': ERROR_404,
      '409': ERROR_OTHER,
    },
  },
  'POST /v1/workflows/runs/claim-pending': {
    source: `${OCEAN}/workflow_nodes.py claim_pending_wf_node_runs (reads "nodeRuns"); Port API reference "Claim pending workflow node runs"`,
    request: claimBody,
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, nodeRuns: { type: 'array', items: NODE_RUN } }, required: ['nodeRuns'] },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'PATCH /v1/workflows/runs/ack': {
    source: `${OCEAN}/workflow_nodes.py acknowledge_wf_node_run ({"nodeRunIdentifier"}); port-agent ack_wf_node_run (reads "acked")`,
    request: {
      type: 'object',
      properties: { nodeRunIdentifier: { type: 'string' } },
      required: ['nodeRunIdentifier'],
      additionalProperties: false,
    },
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, acked: { type: 'boolean' } } },
      '401': ERROR_401,
      '404': ERROR_404,
      '409': ERROR_OTHER,
    },
  },
  'PATCH /v1/workflows/nodes/runs/:id': {
    source: `${OCEAN}/workflow_nodes.py patch_wf_node_run and actions_and_workflow_runs.py (status, result, externalRunId, links, output, statusLabel {text}: _wf_node_completion_patch, update_run_started, post_run_log)`,
    request: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['IN_PROGRESS', 'COMPLETED'] },
        result: { type: 'string', enum: ['SUCCESS', 'FAILED', 'CANCELLED'] },
        externalRunId: { type: 'string' },
        links: { type: 'array', items: { type: 'string' } },
        output: { type: 'object' },
        statusLabel: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
      },
      additionalProperties: false,
    },
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, nodeRun: NODE_RUN } },
      '401': ERROR_401,
      '404': ERROR_404,
      '422': ERROR_422,
    },
  },
  'POST /v1/workflows/nodes/runs/:id/logs': {
    source: `${OCEAN}/workflow_nodes.py post_wf_node_run_logs; port-agent wf_node_run_logger_factory ({"logs": [{level, message}]})`,
    request: {
      type: 'object',
      properties: {
        logs: {
          type: 'array',
          items: {
            type: 'object',
            properties: { level: { type: 'string', enum: ['INFO', 'WARN', 'ERROR', 'DEBUG'] }, message: { type: 'string' } },
            required: ['level', 'message'],
            additionalProperties: false,
          },
        },
      },
      required: ['logs'],
      additionalProperties: false,
    },
    responses: { '201': { type: 'object', properties: { ok: { enum: [true] } } }, '401': ERROR_401, '404': ERROR_404, '422': ERROR_422 },
  },
  // INFERRED (a setting in the agent): one node run read by its identifier.
  'GET /v1/workflows/nodes/runs/:id': {
    source:
      'INFERRED: the node-run update route read with GET (portApi.routes.nodeRun), with the reserved header as Ocean sends on its node-run read',
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, nodeRun: NODE_RUN }, required: ['nodeRun'] },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'GET /v1/workflows/nodes/runs': {
    source: `${OCEAN}/workflow_nodes.py get_wf_node_run_by_external_id (external_run_id, include=nodeConfig, x-port-reserved-usage: true → "nodeRuns"); installationId and status filters INFERRED (portApi.routes.nodeRuns)`,
    query: {
      external_run_id: { type: 'string' },
      include: { type: 'string', enum: ['nodeConfig'] },
      installationId: { type: 'string' },
      status: { type: 'string', enum: ['IN_PROGRESS', 'COMPLETED'] },
      limit: { type: 'number', minimum: 1, maximum: 1000 },
    },
    responses: {
      '200': {
        type: 'object',
        properties: { ok: { enum: [true] }, nodeRuns: { type: 'array', items: NODE_RUN_WITH_NODE } },
        required: ['nodeRuns'],
      },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'GET /v1/integration/:id': {
    source: `${SPEC} /v1/integration/{identifier} get (401, 404; no 200 schema: ${OCEAN}/integrations.py reads "integration")`,
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, integration: INTEGRATION }, required: ['integration'] },
      '401': ERROR_401,
      '404': ERROR_404,
    },
  },
  'POST /v1/integration': {
    source: `${OCEAN}/integrations.py create_integration (not in the description)`,
    request: {
      type: 'object',
      properties: {
        installationId: { type: 'string' },
        installationAppType: { type: 'string' },
        title: { type: ['string', 'null'] },
        version: { type: 'string' },
        config: { type: ['object', 'null'] },
        actionsProcessingEnabled: { type: 'boolean' },
      },
      required: ['installationId'],
    },
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, integration: INTEGRATION }, required: ['integration'] },
      '401': ERROR_401,
      '409': ERROR_OTHER,
      '422': ERROR_422,
    },
  },
  'PATCH /v1/integration/:id': {
    source: `${SPEC} /v1/integration/{identifier} patch (body; 401, 404, 413, 422; 200 as ${OCEAN}/integrations.py reads it)`,
    request: {
      type: 'object',
      properties: {
        title: { type: ['string', 'null'] },
        installationAppType: { type: 'string' },
        version: { type: 'string' },
        spec: { type: 'object' },
        actionsProcessingEnabled: { type: 'boolean' },
        config: { type: ['object', 'null'] },
      },
    },
    responses: {
      '200': { type: 'object', properties: { ok: { enum: [true] }, integration: INTEGRATION }, required: ['integration'] },
      '401': ERROR_401,
      '404': ERROR_404,
      '413': ERROR_413,
      '422': ERROR_422,
    },
  },
} satisfies Record<string, RouteSchema>);

/**
 * The schema of one answer. A status the description leaves out for a route (429 and 5xx on
 * every route, 400/403/409/422 where it lists none) answers in Port's one error shape (INFERRED,
 * see ERROR_OTHER); a 2xx it leaves out has no schema, and the tests fail on it.
 */
export function responseSchema(key: string, status: number): JsonSchema | undefined {
  const route = ROUTES[key];
  if (!route) return undefined;
  return route.responses[String(status)] ?? (status >= 400 ? ERROR_OTHER : undefined);
}

export { ERROR_OTHER, INTEGRATION };
