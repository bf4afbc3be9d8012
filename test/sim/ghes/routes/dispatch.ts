import { actorFor, fail, notFound, repoFor, type SimContext } from '../context.js';
import { validateDispatch } from '../dispatch-validate.js';
import { renderRunName } from '../render-title.js';
import type { Router } from '../router.js';
import type { DispatchRecord } from '../types.js';

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function addDispatchRoute(r: Router, ctx: SimContext): void {
  const { state, clock } = ctx;
  r.add('POST', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', 'token', (req) => {
    const body = asRecord(req.body);
    // Every attempt is recorded, refused ones included, so tests can assert what was sent.
    const record: DispatchRecord = {
      owner: req.params.owner!,
      repo: req.params.repo!,
      workflowId: null,
      workflowPath: null,
      ref: typeof body.ref === 'string' ? body.ref : '',
      inputs: asRecord(body.inputs),
      returnRunDetails: body.return_run_details === true,
      at: clock.now(),
      status: 0,
      actor: actorFor(ctx, req.principal)?.login ?? null,
    };
    state.dispatches.push(record);
    const done = (res: { status: number; body?: unknown; headers?: Record<string, string> }) => {
      record.status = res.status;
      return res;
    };
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return done(f.res);
    const wf = state.findWorkflow(f.repo, req.params.workflow_id!);
    if (!wf) return done(notFound(ctx));
    record.workflowId = wf.id;
    record.workflowPath = wf.path;
    const d = validateDispatch(state.version, f.repo, wf, req.body);
    if (!d.ok) return done(fail(ctx, d.status, d.message));
    record.resolvedRef = d.resolvedRef;
    const actor = actorFor(ctx, req.principal)!;
    const startAtMs = clock.now() + (d.returnRunDetails ? 0 : ctx.runAppearDelayMs);
    const run = state.createRun({
      repo: f.repo,
      workflow: wf,
      dispatch: record,
      inputs: d.inputs,
      actor,
      headBranch: d.headBranch,
      displayTitle: renderRunName(wf.spec.runName, d.inputs, wf.name),
      createdAtMs: startAtMs,
      startAtMs,
    });
    record.runId = run.id;
    for (const listener of ctx.dispatchListeners) listener(record);
    if (!d.returnRunDetails) return done({ status: 204 });
    const full = `${f.repo.owner.login}/${f.repo.name}`;
    return done({
      status: 200,
      body: {
        workflow_run_id: run.id,
        run_url: `${ctx.shape.api}/repos/${full}/actions/runs/${run.id}`,
        html_url: `${ctx.shape.origin}/${full}/actions/runs/${run.id}`,
      },
    });
  });
}
