import type { Clock } from '../util/backoff.js';
import type { FetchFn, HttpResponse } from '../util/http-fetch.js';
import { classifyGithubError } from './classify-error.js';
import type { RunCandidate } from './correlate.js';
import { type Version, parseVersion } from './ghes-version.js';
import type { Gh, GithubClients } from './github-client.js';
import { runInsightApi } from './run-insight-api.js';

export interface RepoInfo {
  id: number;
  ownerId: number;
  defaultBranch: string;
}

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

export type DispatchResult = { status: 200; runId: number; htmlUrl: string } | { status: 204 };

export interface RunsPage {
  runs: WorkflowRun[];
  totalCount: number;
  /** The server's clock, for correlation windows (never trust the local clock against GHES). */
  serverDateMs: number;
}

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

/**
 * The few GHES REST calls the agent makes, each turning failures into AgentErrors. Repository
 * facts (ids, default branch) are cached: they change rarely and every dispatch needs them.
 */
export function createGithubApi(deps: {
  clients: GithubClients;
  clock: Clock;
  repoCacheMs?: number;
  /** A fetch to GHES that does not follow redirects: the job-log request's 302 is read, not followed (run-insight-api.ts). */
  noRedirectFetch?: FetchFn;
}) {
  const { clients, clock } = deps;
  const repoCache = new Map<string, { at: number; info: Promise<RepoInfo> }>();
  const toRunsPage = async (res: { headers: { date?: string }; data: unknown }): Promise<RunsPage> => {
    const data = await jsonBody<{ workflow_runs: Record<string, unknown>[]; total_count: number }>(res.data);
    const date = Date.parse(String(res.headers.date ?? ''));
    return {
      runs: data.workflow_runs.map(pickRun),
      totalCount: data.total_count,
      serverDateMs: Number.isFinite(date) ? date : clock.now(),
    };
  };
  const fail = (what: string) => (err: unknown) => {
    throw classifyGithubError(err, what, clients.host, clock.now());
  };
  let appInfo: Promise<{ slug?: string; version?: Version }> | undefined;
  /** GET /app once (the version check at start reads it too). */
  const readApp = () =>
    (appInfo ??= clients.app
      .request('GET /app')
      .then((res) => {
        const data = res.data as { slug?: string; installed_version?: string };
        return {
          slug: data.slug,
          version:
            parseVersion(data.installed_version) ?? parseVersion(res.headers['x-github-enterprise-version' as never] as string | undefined),
        };
      })
      .catch((err) => {
        appInfo = undefined;
        return fail('checking the GitHub App and the GHES version (GET /app)')(err);
      }));

  /**
   * Runs `call` with the owner's client; after a 401 or 404, once more with a new one when the
   * App's installation there changed (reinstalled) or its token was refused (github-client's
   * `renew`). A 401/404 says the request had no effect, so repeating it is safe even for the
   * dispatch POST.
   */
  async function withOwner<T>(owner: string, once: boolean, call: (gh: Gh) => Promise<T>): Promise<T> {
    const gh = once ? await clients.onceForOwner(owner) : await clients.forOwner(owner);
    try {
      return await call(gh);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if ((status === 401 || status === 404) && (await clients.renew(owner, gh, status))) {
        return call(once ? await clients.onceForOwner(owner) : await clients.forOwner(owner));
      }
      throw err;
    }
  }

  return {
    /**
     * GET /meta names installed_version, but an App's JWT is refused there; every GHES response
     * carries x-github-enterprise-version, so an App reads it from GET /app (renovate's detectGhe).
     */
    async version(): Promise<Version | undefined> {
      if (clients.kind === 'app') return (await readApp()).version;
      const res = await clients.app.request('GET /meta').catch(fail('reading the GHES version (GET /meta)'));
      const data = res.data as { installed_version?: string };
      return (
        parseVersion(data.installed_version) ?? parseVersion(res.headers['x-github-enterprise-version' as never] as string | undefined)
      );
    },

    /**
     * The login the agent's dispatches are attributed to, which run lists filter by (`actor`):
     * the App's bot `<slug>[bot]` (GET /app), or the token's user (GET /user), as Port's Ocean
     * integration finds it (`get_authenticated_actor`). undefined when GHES does not say.
     */
    async actor(): Promise<string | undefined> {
      if (clients.kind === 'app') {
        const { slug } = await readApp();
        return slug ? `${slug}[bot]` : undefined;
      }
      const res = await clients.app.request('GET /user').catch(fail("reading the token's user (GET /user)"));
      return (res.data as { login?: string }).login;
    },

    repo(owner: string, repo: string): Promise<RepoInfo> {
      const key = `${owner}/${repo}`.toLowerCase();
      const hit = repoCache.get(key);
      if (hit && clock.now() - hit.at < (deps.repoCacheMs ?? 600_000)) return hit.info;
      const info = (async () => {
        const res = await withOwner(owner, false, (gh) => gh.request('GET /repos/{owner}/{repo}', { owner, repo })).catch(
          fail(`reading repository ${owner}/${repo}`),
        );
        return { id: Number(res.data.id), ownerId: Number(res.data.owner.id), defaultBranch: res.data.default_branch } satisfies RepoInfo;
      })();
      repoCache.set(key, { at: clock.now(), info });
      info.catch(() => repoCache.delete(key));
      return info;
    },

    /** Never retried by Octokit (a client without plugin-retry): the caller decides, after looking for the run. */
    async dispatch(
      owner: string,
      repo: string,
      workflow: string,
      body: { ref: string; inputs: Record<string, string>; return_run_details?: boolean },
    ): Promise<DispatchResult> {
      const res = await withOwner(owner, true, (gh) =>
        gh.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
          owner,
          repo,
          workflow_id: workflow,
          ...body,
          request: RAW_BODY,
        }),
      ).catch(fail(`dispatching ${owner}/${repo} ${workflow}`));
      // The run details, parsed here (RAW_BODY: json-with-bigint was 1-2% of the agent's CPU on
      // this small answer alone). A 204's data is '' (Octokit reads no body); an answer that is
      // not JSON counts as one without details, as Octokit's parser made it a string: the
      // dispatch went through, and its run is found by correlation, never dispatched again.
      const data =
        typeof res.data === 'object' && res.data !== null
          ? await jsonBody<{ workflow_run_id?: unknown; html_url?: string }>(res.data).catch(() => undefined)
          : undefined;
      // Accept 200 and 204 alike (GitHub briefly answered 200 without the flag in Dec 2025).
      if (data && typeof data.workflow_run_id === 'number')
        return { status: 200, runId: data.workflow_run_id, htmlUrl: typeof data.html_url === 'string' ? data.html_url : '' };
      return { status: 204 };
    },

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
        .then(toRunsPage)
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
          page: await toRunsPage(res),
          etag: res.headers.etag,
          pollIntervalMs: pollInterval(res.headers),
        };
      } catch (err) {
        const e = err as { status?: number; response?: { headers?: Record<string, unknown> } };
        if (e.status === 304) return { notModified: true, pollIntervalMs: pollInterval(e.response?.headers) };
        return fail(`listing runs of ${owner}/${repo}`)(err);
      }
    },

    // Jobs, job logs, approvals and cancellation (issue 13): run-insight-api.ts.
    ...runInsightApi({ withOwner, fail, noRedirectFetch: deps.noRedirectFetch }),
  };
}

export type GithubApi = ReturnType<typeof createGithubApi>;

/**
 * Polling reads run lists all day, and Octokit parses every JSON answer with json-with-bigint,
 * which is ten times slower than JSON.parse on them (3 ms against 0.3 ms for a page of 100
 * runs, and garbage to match). Run and repository ids fit a double, so those answers are taken
 * raw (`parseSuccessResponseBody: false`) and parsed here.
 */
const RAW_BODY = { parseSuccessResponseBody: false } as const;

/** The raw body our fetch (agent/util/http-fetch.ts) hands Octokit, parsed. */
async function jsonBody<T>(data: unknown): Promise<T> {
  return (await (data as HttpResponse['body']).json()) as T;
}

/** `x-poll-interval` (seconds) in ms, when the server sends a sane one. */
function pollInterval(headers: Record<string, unknown> | undefined): number | undefined {
  const s = Number(headers?.['x-poll-interval']);
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}
