import { fail, notFound, repoFor, type SimContext } from '../context.js';
import { buildFilter, linkHeader, paginate, type RunFacts } from '../run-filters.js';
import type { ApiRequest, ApiResponse, Router } from '../router.js';
import { attemptView, isListed, isVisible, runView } from '../run-view.js';
import { jobsOf } from '../jobs.js';
import { JOB_CONCLUSIONS, jobShape, runShape } from '../shapes.js';
import type { RepoRecord, RunRecord, WorkflowRecord } from '../state.js';

const SEARCH_PARAMS = ['actor', 'branch', 'check_suite_id', 'created', 'event', 'head_sha', 'status'];

export function addRunRoutes(r: Router, ctx: SimContext): void {
  const { state, clock } = ctx;

  const visibleRun = (repo: RepoRecord, id: string): RunRecord | undefined => {
    const run = state.runs.get(Number(id));
    return run && run.repo === repo && isVisible(clock, run) ? run : undefined;
  };

  const list = (req: ApiRequest, repo: RepoRecord, wf: WorkflowRecord | null): ApiResponse => {
    const filter = buildFilter(req.query);
    if (typeof filter !== 'function') return fail(ctx, 422, filter.error);
    const all = state
      .runsOf(repo)
      .filter((run) => (wf === null || run.workflow === wf) && isListed(clock, run, ctx.listLagMs))
      .map((run) => ({ run, view: runView(state, clock, run) }))
      .filter(({ run, view }) => {
        const facts: RunFacts = {
          id: run.id,
          actor: run.actor.login,
          branch: run.headBranch,
          event: 'workflow_dispatch',
          status: view.status,
          conclusion: view.conclusion,
          createdAtMs: run.createdAtMs,
          headSha: run.headSha,
        };
        return filter(facts);
      })
      // Newest first, as GitHub lists runs.
      .sort((a, b) => b.run.createdAtMs - a.run.createdAtMs || b.run.id - a.run.id);
    // "This endpoint will return up to 1,000 results for each search when using the following
    // parameters: actor, branch, check_suite_id, created, event, head_sha, status" (GitHub's
    // OpenAPI description of both run lists). Beyond them pages are empty, and total_count
    // says 1,000 too: a client cannot tell from it how many it does not see.
    const capped = SEARCH_PARAMS.some((p) => req.query.has(p));
    const rows = capped ? all.slice(0, ctx.searchCap) : all;
    const page = paginate(rows, req.query);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, req.query, page);
    const headers: Record<string, string> = link ? { link } : {};
    // A poller must not ask more often than this (GitHub docs on x-poll-interval).
    if (ctx.pollIntervalS > 0) headers['x-poll-interval'] = String(ctx.pollIntervalS);
    return {
      status: 200,
      list: true,
      body: { total_count: rows.length, workflow_runs: page.items.map(({ run, view }) => runShape(ctx.shape, run, view)) },
      headers,
    };
  };

  r.add('GET', '/repos/{owner}/{repo}/actions/runs', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    return 'res' in f ? f.res : list(req, f.repo, null);
  });

  r.add('GET', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const wf = state.findWorkflow(f.repo, req.params.workflow_id!);
    return wf ? list(req, f.repo, wf) : notFound(ctx);
  });

  r.add('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const run = visibleRun(f.repo, req.params.run_id!);
    return run ? { status: 200, body: runShape(ctx.shape, run, runView(state, clock, run)) } : notFound(ctx);
  });

  r.add('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const run = visibleRun(f.repo, req.params.run_id!);
    if (!run) return notFound(ctx);
    const attempts = req.query.get('filter') === 'all' ? run.attempts : run.attempts.slice(-1);
    // A run that never started (startup_failure, stale) has no jobs.
    const jobs = [...attempts]
      .reverse()
      .filter((a) => {
        const c = attemptView(clock, a).conclusion;
        return c === null || JOB_CONCLUSIONS.has(c);
      })
      .flatMap((a) => jobsOf(clock, run, a).map((j) => jobShape(ctx.shape, run, a.number, j)));
    const page = paginate(jobs, req.query);
    return { status: 200, list: true, body: { total_count: jobs.length, jobs: page.items } };
  });

  r.add('POST', '/repos/{owner}/{repo}/actions/runs/{run_id}/rerun', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const run = visibleRun(f.repo, req.params.run_id!);
    if (!run) return notFound(ctx);
    // SIM wording: GitHub refuses to re-run a run that has not completed.
    if (runView(state, clock, run).status !== 'completed') return fail(ctx, 403, 'This workflow run is not completed');
    state.rerun(run);
    return { status: 201, body: {} };
  });
}
