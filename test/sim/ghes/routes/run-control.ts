// Cancel, force-cancel, pending deployments and job logs (GitHub's OpenAPI description,
// ghes-3.19.json; every GHES description @octokit/openapi ships, 3.17 to 3.19, has them all):
// - POST …/runs/{run_id}/cancel: 202 `{}`; 409 once the run completed. The run does not stop at
//   once: jobs are cancelled by the runner, a job with `if: always()` keeps going (GitHub docs,
//   "Canceling a workflow"), so a cancel may "not take".
// - POST …/runs/{run_id}/force-cancel: 202, 409 likewise; bypasses `always()` ("Force cancel a
//   workflow run": "…that is not responding to POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel").
//   Absent from GHES descriptions before 3.17 here (SIM: 404 below 3.17, the versions we cannot cite).
// - GET …/runs/{run_id}/pending_deployments: `pending-deployment[]` while the run waits.
// - GET …/actions/jobs/{job_id}/logs: 302 to the storage host (its URL carries its own
//   signature; GitHub's docs: "Anyone with read access… the link expires after 1 minute").
import { createHmac } from 'node:crypto';
import { fail, notFound, repoFor, type SimContext } from '../context.js';
import { jobsOf, type JobView } from '../jobs.js';
import type { Router } from '../router.js';
import { isVisible, runView } from '../run-view.js';
import { userShape } from '../shapes.js';
import type { RunRecord } from '../state.js';
import type { ApiRequest } from '../router.js';
import { atLeast } from '../version.js';

export const FORCE_CANCEL_SINCE = '3.17.0';
const DEFAULT_CANCEL_DELAY_MS = 2000;

export interface LogLinks {
  /** The storage origin, known once its server listens. */
  origin(): string;
  key: Buffer;
}

/** The signed storage URL of a job's log (the signature stands in for Azure's SAS token). */
export function signLogPath(key: Buffer, jobId: number, expiresAtMs: number): string {
  const sig = createHmac('sha256', key).update(`${jobId}.${expiresAtMs}`).digest('hex');
  return `/actions-results/job-logs/${jobId}.txt?se=${expiresAtMs}&sig=${sig}`;
}

export function findJob(ctx: SimContext, jobId: number): { run: RunRecord; job: JobView } | undefined {
  const runId = Math.floor(jobId / 1000);
  const run = ctx.state.runs.get(runId);
  if (!run) return undefined;
  for (const a of run.attempts) {
    const job = jobsOf(ctx.clock, run, a).find((j) => j.id === jobId);
    if (job) return { run, job };
  }
  return undefined;
}

export function addRunControlRoutes(r: Router, ctx: SimContext, links: LogLinks): void {
  const { state, clock } = ctx;

  const cancelRoute = (force: boolean) => (req: ApiRequest) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const run = state.runs.get(Number(req.params.run_id));
    if (!run || run.repo !== f.repo || !isVisible(clock, run)) return notFound(ctx);
    if (force && !atLeast(state.version, FORCE_CANCEL_SINCE)) return notFound(ctx);
    // GitHub's answer to cancelling a finished run (its message, widely quoted in issues).
    if (runView(state, clock, run).status === 'completed') return fail(ctx, 409, 'Cannot cancel a workflow run that is completed.');
    const attempt = run.attempts[run.attempts.length - 1]!;
    const now = clock.simElapsedSince(attempt.startedAtMs);
    if (force) attempt.cut = { atSimMs: Math.min(attempt.cut?.atSimMs ?? Infinity, now), conclusion: 'cancelled' };
    else if (!attempt.script.ignoresCancel && !attempt.cut)
      attempt.cut = { atSimMs: now + (attempt.script.cancelDelayMs ?? DEFAULT_CANCEL_DELAY_MS), conclusion: 'cancelled' };
    return { status: 202, body: {} };
  };
  r.add('POST', '/repos/{owner}/{repo}/actions/runs/{run_id}/cancel', 'token', cancelRoute(false));
  r.add('POST', '/repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel', 'token', cancelRoute(true));

  r.add('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const run = state.runs.get(Number(req.params.run_id));
    if (!run || run.repo !== f.repo || !isVisible(clock, run)) return notFound(ctx);
    const phase = state.phase(run);
    if (phase.status !== 'waiting') return { status: 200, body: [] };
    const full = `${f.repo.owner.login}/${f.repo.name}`;
    const startedAt = new Date(clock.realAt(phase.attempt.startedAtMs, phase.phaseStartSimMs)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = (phase.attempt.script.environments ?? []).map((env, i) => ({
      environment: {
        id: run.id * 10 + i,
        node_id: Buffer.from(`EN_${run.id}_${i}`).toString('base64'),
        name: env.name,
        url: `${ctx.shape.api}/repos/${full}/environments/${encodeURIComponent(env.name)}`,
        html_url: `${ctx.shape.origin}/${full}/deployments/activity_log?environments_filter=${encodeURIComponent(env.name)}`,
      },
      wait_timer: 0,
      wait_timer_started_at: startedAt,
      current_user_can_approve: false,
      reviewers: env.reviewers.map((who) =>
        who.startsWith('team:')
          ? { type: 'Team', reviewer: teamShape(ctx, f.repo.owner.login, who.slice(5)) }
          : { type: 'User', reviewer: userShape(ctx.shape, state.account(who, 'User')) },
      ),
    }));
    return { status: 200, body };
  });

  r.add('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}/logs', 'token', (req) => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f.res;
    const jobId = Number(req.params.job_id);
    const found = findJob(ctx, jobId);
    if (!found || found.run.repo !== f.repo || found.job.status !== 'completed') return notFound(ctx);
    // "the link expires after 1 minute" (GitHub docs, Download job logs).
    return { status: 302, headers: { location: `${links.origin()}${signLogPath(links.key, jobId, clock.now() + 60_000)}` } };
  });
}

function teamShape(ctx: SimContext, org: string, slug: string): Record<string, unknown> {
  const id = ctx.state.account(`team:${org}/${slug}`, 'Organization').id;
  return {
    id,
    node_id: Buffer.from(`T_${id}`).toString('base64'),
    url: `${ctx.shape.api}/organizations/1/team/${id}`,
    html_url: `${ctx.shape.origin}/orgs/${org}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${ctx.shape.api}/organizations/1/team/${id}/members{/member}`,
    repositories_url: `${ctx.shape.api}/organizations/1/team/${id}/repos`,
    parent: null,
    type: 'organization',
  };
}
