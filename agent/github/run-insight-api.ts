import { AgentError } from '../errors.js';
import type { FetchFn, HttpResponse } from '../util/http-fetch.js';
import type { Fail, WithOwner } from './gh.js';

/** A job of a run, as GET …/runs/{run_id}/jobs lists it (GitHub's `job` schema, the fields used here). */
export interface WorkflowJob {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  html_url: string | null;
  steps: Array<{
    name: string;
    number: number;
    status: string;
    conclusion: string | null;
    started_at: string | null;
    completed_at: string | null;
  }>;
}

/** An environment a run waits on, and who may approve it (GitHub's `pending-deployment`). */
export interface PendingDeployment {
  environment: string;
  /** Logins of users, `@org/slug` of teams. */
  reviewers: string[];
}

export type CancelAnswer = 'accepted' | 'completed';

/** The GHES calls behind failure excerpts, job progress, approvals and cancellation. */
export interface RunInsightApi {
  /** The latest attempt's jobs (first page of 100: a bounded cost); `undefined` on a 304. */
  listJobs(
    owner: string,
    repo: string,
    runId: number,
    etag?: string,
    signal?: AbortSignal,
  ): Promise<{ jobs: WorkflowJob[]; etag?: string } | undefined>;
  jobLogLocation(owner: string, repo: string, jobId: number, signal?: AbortSignal): Promise<string>;
  pendingDeployments(owner: string, repo: string, runId: number, signal?: AbortSignal): Promise<PendingDeployment[]>;
  /** POST …/cancel (or …/force-cancel): 202 accepted, 409 when the run already completed. */
  cancel(owner: string, repo: string, runId: number, force: boolean): Promise<CancelAnswer>;
}

/**
 * The GHES calls behind failure excerpts, job progress, approvals and cancellation, each one
 * request (shapes: GitHub's OpenAPI description, ghes-3.17 to 3.19 and api.github.com).
 */
export function runInsightApi(deps: { withOwner: WithOwner; fail: Fail; noRedirectFetch?: FetchFn }): RunInsightApi {
  const { withOwner, fail } = deps;
  return {
    /** The latest attempt's jobs (first page of 100: a bounded cost); `undefined` on a 304. */
    async listJobs(
      owner: string,
      repo: string,
      runId: number,
      etag?: string,
      signal?: AbortSignal,
    ): Promise<{ jobs: WorkflowJob[]; etag?: string } | undefined> {
      try {
        const res = await withOwner(owner, false, (gh) =>
          gh.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', {
            owner,
            repo,
            run_id: runId,
            filter: 'latest',
            per_page: 100,
            headers: etag ? { 'if-none-match': etag } : {},
            request: { signal },
          }),
        );
        return { jobs: res.data.jobs as unknown as WorkflowJob[], etag: res.headers.etag };
      } catch (err) {
        if ((err as { status?: number }).status === 304) return undefined;
        return fail(`listing the jobs of run ${runId} of ${owner}/${repo}`)(err);
      }
    },

    /**
     * Where the job's log is: GHES answers 302 with a signed URL on its blob storage (OpenAPI:
     * "Download job logs for a workflow run", responses 302 only). The redirect is read here and
     * never followed with the GHES credentials: the caller downloads it without them.
     */
    async jobLogLocation(owner: string, repo: string, jobId: number, signal?: AbortSignal): Promise<string> {
      if (!deps.noRedirectFetch) throw new AgentError('internal', 'job logs need a GHES fetch that does not follow redirects');
      const res = await withOwner(owner, false, (gh) =>
        gh.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', {
          owner,
          repo,
          job_id: jobId,
          request: { fetch: deps.noRedirectFetch, signal, parseSuccessResponseBody: false },
        }),
      ).catch(fail(`reading where the log of job ${jobId} of ${owner}/${repo} is`));
      await (res.data as HttpResponse['body'] | undefined)?.dump?.().catch(() => undefined);
      const location = (res.headers as Record<string, string | undefined>).location;
      if (!location)
        throw new AgentError('server', `GHES answered ${res.status} without a Location for the log of job ${jobId}`, { retriable: false });
      return location;
    },

    /** Environments the run waits on, with their reviewers (GET …/pending_deployments). */
    async pendingDeployments(owner: string, repo: string, runId: number, signal?: AbortSignal): Promise<PendingDeployment[]> {
      const res = await withOwner(owner, false, (gh) =>
        gh.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments', {
          owner,
          repo,
          run_id: runId,
          request: { signal },
        }),
      ).catch(fail(`reading the pending deployments of run ${runId} of ${owner}/${repo}`));
      return (res.data as Array<Record<string, unknown>>).map((d) => ({
        environment: String((d.environment as { name?: string } | undefined)?.name ?? 'unknown'),
        reviewers: ((d.reviewers as Array<{ type?: string; reviewer?: { login?: string; slug?: string } }> | undefined) ?? []).map((r) =>
          r.type === 'Team' ? `@${owner}/${r.reviewer?.slug ?? 'team'}` : (r.reviewer?.login ?? 'unknown'),
        ),
      }));
    },

    /** POST …/cancel (or …/force-cancel): 202 accepted, 409 when the run already completed. */
    async cancel(owner: string, repo: string, runId: number, force: boolean): Promise<CancelAnswer> {
      try {
        await withOwner(owner, false, (gh) =>
          force
            ? gh.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel', { owner, repo, run_id: runId })
            : gh.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel', { owner, repo, run_id: runId }),
        );
        return 'accepted';
      } catch (err) {
        if ((err as { status?: number }).status === 409) return 'completed';
        return fail(`${force ? 'force-cancelling' : 'cancelling'} run ${runId} of ${owner}/${repo}`)(err);
      }
    },
  };
}
