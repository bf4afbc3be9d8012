import { notFound, repoFor, type SimContext } from '../context.js';
import type { Router } from '../router.js';
import { fullRepoShape, workflowShape } from '../shapes.js';
import { linkHeader, paginate } from '../run-filters.js';

export function addRepoRoutes(r: Router, ctx: SimContext): void {
  r.add('GET', '/repos/{owner}/{repo}', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    return { status: 200, body: fullRepoShape(ctx.shape, f.repo) };
  });
  r.add('GET', '/repos/{owner}/{repo}/actions/workflows', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const all = f.repo.workflows.map((w) => workflowShape(ctx.shape, f.repo, w));
    const page = paginate(all, req.query);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, req.query, page);
    return { status: 200, list: true, body: { total_count: all.length, workflows: page.items }, headers: link ? { link } : {} };
  });
  r.add('GET', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const wf = ctx.state.findWorkflow(f.repo, req.params.workflow_id!);
    return wf ? { status: 200, body: workflowShape(ctx.shape, f.repo, wf) } : notFound(ctx);
  });
}
