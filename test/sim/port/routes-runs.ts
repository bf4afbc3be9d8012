// Action-run routes (port-docs static/apispec.yaml): GET/PATCH /v1/actions/runs/{run_id},
// POST /v1/actions/runs/{run_id}/logs, GET /v1/actions/runs.
import { portError } from './http-io.js';
import type { RouteContext } from './route-context.js';
import { applyLog, applyPatch, checkLogBody, checkPatchBody, checkTerminalWrite, runLogView, runView } from './run-rules.js';
import { runWrite } from './run-write.js';
import type { SimPortRun } from './types.js';

export function handleRunRoutes(ctx: RouteContext): boolean {
  const { method, route, id, url } = ctx;
  const view = (run: SimPortRun) => runView(run, { withExternalRunId: ctx.options.servesExternalRunId });

  if (route === '/v1/actions/runs' && method === 'GET') {
    // The description's filters (a logical AND); `active=true` keeps running runs only.
    const external = url.searchParams.get('external_run_id');
    const active = url.searchParams.get('active') === 'true';
    const action = url.searchParams.get('action');
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 1000) || 1000);
    const found = ctx.runs
      .list()
      .filter((r) => r.kind === 'action')
      .filter((r) => external === null || r.externalRunId === external)
      .filter((r) => !active || r.status === 'IN_PROGRESS')
      .filter((r) => action === null || r.actionIdentifier === action)
      .slice(0, limit);
    ctx.reply(200, { ok: true, runs: found.map(view) });
    return true;
  }
  if (route !== '/v1/actions/runs/:id' && route !== '/v1/actions/runs/:id/logs') return false;

  // wfnr_ runs are reported at /v1/workflows/nodes/runs on Port, never here.
  const candidate = id === undefined ? undefined : ctx.runs.get(id);
  const run = candidate?.kind === 'action' ? candidate : undefined;
  const notFound = () => ctx.reply(404, portError('not_found', `Action run ${id} was not found`));
  if (route === '/v1/actions/runs/:id' && method === 'GET') {
    if (!run) notFound();
    else ctx.reply(200, { ok: true, run: view(run) });
    return true;
  }
  const isWrite = (route === '/v1/actions/runs/:id' && method === 'PATCH') || (route.endsWith('/logs') && method === 'POST');
  if (!isWrite) return false;
  if (!run) {
    notFound();
    return true;
  }
  if (method === 'PATCH') {
    return runWrite(ctx, run, {
      check: checkPatchBody,
      terminal: (patch) => patch.status !== undefined,
      twice: (patch) => checkTerminalWrite(run, patch.status),
      apply: (patch, at) => applyPatch(run, patch, at),
      answer: () => ({ status: 200, body: { ok: true, run: view(run) } }),
    });
  }
  return runWrite(ctx, run, {
    check: checkLogBody,
    terminal: (log) => log.terminationStatus !== undefined,
    twice: (log) => checkTerminalWrite(run, log.terminationStatus),
    apply: (log, at) => applyLog(run, log, at, ctx.nextLogId()),
    answer: () => ({ status: 201, body: { ok: true, runLog: runLogView(run, run.logs[run.logs.length - 1]!) } }),
  });
}
