import type { Clock } from '../util/backoff.js';
import type { HttpResponse } from '../util/http-fetch.js';
import type { RunCandidate } from './correlate.js';
import type { Fail, WithOwner } from './gh.js';

export interface WorkflowRun extends RunCandidate {
  status: string;
  conclusion: string | null;
  run_attempt?: number;
  updated_at: string;
  /** The run's `repository.id` and `repository.owner.id` (the Port run's externalRunId is made of them): a resumed run needs no repository read. */
  repository_id?: number;
  repository_owner_id?: number;
  /**
   * The workflow file the run is of (`.github/workflows/deploy.yml`; GitHub's description also
   * shows `owner/repo/.github/workflows/ci.yml@main`) and its workflow id: a recorded run is
   * only followed when it is of the invocation's workflow (verify-recorded-run.ts).
   */
  path?: string;
  workflow_id?: number;
}

export interface RunsPage {
  runs: WorkflowRun[];
  totalCount: number;
  /** The server's clock, for correlation windows (never trust the local clock against GHES). */
  serverDateMs: number;
}

/** The fields of GitHub's `workflow-run` schema the agent reads. */
const pickRun = (r: Record<string, unknown>): WorkflowRun => ({
  id: r.id as number,
  status: r.status as string,
  conclusion: (r.conclusion as string | null) ?? null,
  html_url: r.html_url as string,
  display_title: (r.display_title as string) ?? '',
  head_branch: (r.head_branch as string | null) ?? null,
  created_at: r.created_at as string,
  updated_at: r.updated_at as string,
  event: r.event as string,
  run_attempt: r.run_attempt as number | undefined,
  actor: (r.actor as { login?: string } | null | undefined)?.login ?? undefined,
  path: typeof r.path === 'string' ? r.path : undefined,
  workflow_id: typeof r.workflow_id === 'number' ? r.workflow_id : undefined,
  repository_id: (r.repository as { id?: number } | undefined)?.id,
  repository_owner_id: (r.repository as { owner?: { id?: number } } | undefined)?.owner?.id,
});

const toRunsPage = async (clock: Clock, res: { headers: { date?: string }; data: unknown }): Promise<RunsPage> => {
  const data = await jsonBody<{ workflow_runs: Record<string, unknown>[]; total_count: number }>(res.data);
  const date = Date.parse(String(res.headers.date ?? ''));
  return {
    runs: data.workflow_runs.map(pickRun),
    totalCount: data.total_count,
    serverDateMs: Number.isFinite(date) ? date : clock.now(),
  };
};

/** The lists of a repository's runs and one run's read: what correlation and tracking poll all day. */
export interface RunListApi {
  listWorkflowRuns(
    owner: string,
    repo: string,
    workflow: string,
    q: { createdSince?: string; branch?: string; actor?: string; perPage?: number; page?: number },
  ): Promise<RunsPage>;
  /** A conditional GET: `undefined` when the run is unchanged since `etag` (a 304 costs no rate limit). */
  getRun(owner: string, repo: string, runId: number, etag?: string): Promise<{ run: WorkflowRun; etag?: string } | undefined>;
  /** Conditional list of a repository's runs, newest first (a 304 is `notModified`). */
  listRepoRuns(
    owner: string,
    repo: string,
    q: { createdSince?: string; status?: string; perPage?: number; page?: number },
    etag?: string,
  ): Promise<
    { notModified: false; page: RunsPage; etag?: string; pollIntervalMs?: number } | { notModified: true; pollIntervalMs?: number }
  >;
}

/** The run reads of createGithubApi (github-api.ts), each one request through `withOwner`, failures through `fail`. */
export function runListApi(deps: { withOwner: WithOwner; fail: Fail; clock: Clock }): RunListApi {
  const { withOwner, fail, clock } = deps;
  return {
    async listWorkflowRuns(
      owner: string,
      repo: string,
      workflow: string,
      q: { createdSince?: string; branch?: string; actor?: string; perPage?: number; page?: number },
    ): Promise<RunsPage> {
      return withOwner(owner, false, (gh) =>
        gh.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
          owner,
          repo,
          workflow_id: workflow,
          event: 'workflow_dispatch',
          exclude_pull_requests: true,
          per_page: q.perPage ?? 50,
          ...(q.page ? { page: q.page } : {}),
          ...(q.createdSince ? { created: `>=${q.createdSince}` } : {}),
          ...(q.branch ? { branch: q.branch } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          request: RAW_BODY,
        }),
      )
        .then((res) => toRunsPage(clock, res))
        .catch(fail(`listing runs of ${owner}/${repo} ${workflow}`));
    },

    /** A conditional GET: `undefined` when the run is unchanged since `etag` (a 304 costs no rate limit). */
    async getRun(owner: string, repo: string, runId: number, etag?: string): Promise<{ run: WorkflowRun; etag?: string } | undefined> {
      try {
        const res = await withOwner(owner, false, (gh) =>
          gh.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
            owner,
            repo,
            run_id: runId,
            headers: etag ? { 'if-none-match': etag } : {},
            request: RAW_BODY,
          }),
        );
        return { run: pickRun(await jsonBody<Record<string, unknown>>(res.data)), etag: res.headers.etag };
      } catch (err) {
        if ((err as { status?: number }).status === 304) return undefined;
        return fail(`reading run ${runId} of ${owner}/${repo}`)(err);
      }
    },

    /**
     * Conditional list of a repository's runs, newest first. A 304 is an expected answer (and
     * free under GitHub's rate limit), not an error: `notModified`. `pollIntervalMs` carries the
     * server's `x-poll-interval`, which a poller must not undercut.
     */
    async listRepoRuns(
      owner: string,
      repo: string,
      q: { createdSince?: string; status?: string; perPage?: number; page?: number },
      etag?: string,
    ): Promise<
      { notModified: false; page: RunsPage; etag?: string; pollIntervalMs?: number } | { notModified: true; pollIntervalMs?: number }
    > {
      try {
        const res = await withOwner(owner, false, (gh) =>
          gh.request('GET /repos/{owner}/{repo}/actions/runs', {
            owner,
            repo,
            event: 'workflow_dispatch',
            exclude_pull_requests: true,
            per_page: q.perPage ?? 100,
            page: q.page ?? 1,
            ...(q.status ? { status: q.status as 'completed' } : {}),
            ...(q.createdSince ? { created: `>=${q.createdSince}` } : {}),
            headers: etag ? { 'if-none-match': etag } : {},
            request: RAW_BODY,
          }),
        );
        return {
          notModified: false,
          page: await toRunsPage(clock, res),
          etag: res.headers.etag,
          pollIntervalMs: pollInterval(res.headers),
        };
      } catch (err) {
        const e = err as { status?: number; response?: { headers?: Record<string, unknown> } };
        if (e.status === 304) return { notModified: true, pollIntervalMs: pollInterval(e.response?.headers) };
        return fail(`listing runs of ${owner}/${repo}`)(err);
      }
    },
  };
}

/**
 * Polling reads run lists all day, and Octokit parses every JSON answer with json-with-bigint,
 * which is ten times slower than JSON.parse on them (3 ms against 0.3 ms for a page of 100
 * runs, and garbage to match). Run and repository ids fit a double, so those answers are taken
 * raw (`parseSuccessResponseBody: false`) and parsed here.
 */
export const RAW_BODY = { parseSuccessResponseBody: false } as const;

/** The raw body our fetch (agent/util/http-fetch.ts) hands Octokit, parsed. */
export async function jsonBody<T>(data: unknown): Promise<T> {
  return (await (data as HttpResponse['body']).json()) as T;
}

/** `x-poll-interval` (seconds) in ms, when the server sends a sane one. */
function pollInterval(headers: Record<string, unknown> | undefined): number | undefined {
  const s = Number(headers?.['x-poll-interval']);
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}
