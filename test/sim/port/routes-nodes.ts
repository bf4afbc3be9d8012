// Workflow-node runs (wfnr_…): PATCH /v1/workflows/nodes/runs/{id} and POST …/logs (Port's
// workflow docs, Ocean, port-agent); GET /v1/workflows/nodes/runs?external_run_id=… with
// include=nodeConfig and the reserved header (port-ocean 0.56.2 mixins/workflow_nodes.py
// get_wf_node_run_by_external_id sends INTERNAL_WORKFLOW_CLIENT_HEADER, x-port-reserved-usage:
// true). INFERRED and configurable in the agent: GET /v1/workflows/nodes/runs/{id} reads one node
// run (options.nodeRunIdRead: false answers it 404, as a Port without that route would), and the
// list route filters by installationId and status. Both reads are served only with
// the reserved header, as the claim routes are (routes-claim.ts; INFERRED: Ocean always sends it
// there, and nothing shows Port answering these reads without it).
import { portError } from './http-io.js';
import { RESERVED_HEADER } from './routes-claim.js';
import { applyNodePatch, checkNodeLogBody, checkNodePatchBody, checkNodeTerminalWrite, nodeRunView } from './node-rules.js';
import type { RouteContext } from './route-context.js';
import { runWrite } from './run-write.js';

export function handleNodeRoutes(ctx: RouteContext): boolean {
  const { method, route, id, url } = ctx;
  const isRead = method === 'GET' && (route === '/v1/workflows/nodes/runs' || route === '/v1/workflows/nodes/runs/:id');
  const idReadGone = method === 'GET' && route === '/v1/workflows/nodes/runs/:id' && ctx.options.nodeRunIdRead === false;
  if ((isRead && ctx.headers[RESERVED_HEADER] !== 'true') || idReadGone) {
    ctx.reply(404, portError('not_found', `Route ${ctx.method} ${ctx.path} not found`));
    return true;
  }
  if (route === '/v1/workflows/nodes/runs' && method === 'GET') {
    const external = url.searchParams.get('external_run_id');
    const installation = url.searchParams.get('installationId');
    const status = url.searchParams.get('status');
    const include = url.searchParams.get('include') === 'nodeConfig' ? 'node' : 'config';
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 1000) || 1000);
    const found = ctx.runs
      .list()
      .filter((r) => r.kind === 'workflow-node')
      .filter((r) => external === null || r.externalRunId === external)
      .filter((r) => installation === null || r.installationId === installation)
      .filter((r) => status === null || (status === 'IN_PROGRESS') === (r.status === 'IN_PROGRESS'))
      .slice(0, limit);
    ctx.reply(200, { ok: true, nodeRuns: found.map((r) => nodeRunView(r, { nodeConfig: include })) });
    return true;
  }
  if (route !== '/v1/workflows/nodes/runs/:id' && route !== '/v1/workflows/nodes/runs/:id/logs') return false;
  const candidate = id === undefined ? undefined : ctx.runs.get(id);
  const run = candidate?.kind === 'workflow-node' ? candidate : undefined;
  const notFound = () => ctx.reply(404, portError('not_found', `Workflow node run ${id} was not found`));
  if (route === '/v1/workflows/nodes/runs/:id' && method === 'GET') {
    if (!run) notFound();
    else ctx.reply(200, { ok: true, nodeRun: nodeRunView(run) });
    return true;
  }
  const isPatch = route === '/v1/workflows/nodes/runs/:id' && method === 'PATCH';
  const isLog = route.endsWith('/logs') && method === 'POST';
  if (!isPatch && !isLog) return false;
  if (!run) {
    notFound();
    return true;
  }
  if (isPatch) {
    return runWrite(ctx, run, {
      check: checkNodePatchBody,
      terminal: (patch) => patch.status === 'COMPLETED',
      twice: (patch) => checkNodeTerminalWrite(run, patch),
      apply: (patch, at) => applyNodePatch(run, patch, at),
      answer: () => ({ status: 200, body: { ok: true, nodeRun: nodeRunView(run) } }),
    });
  }
  return runWrite(ctx, run, {
    check: checkNodeLogBody,
    terminal: () => false,
    twice: () => undefined,
    // Log lines leave the node run's updatedAt alone, as action-run log lines do (run-rules.ts applyLog).
    apply: (logs, at) => logs.forEach((l) => run.logs.push({ id: ctx.nextLogId(), message: l.message, level: l.level, at })),
    answer: () => ({ status: 201, body: { ok: true } }),
  });
}
