import type { Clock } from '../util/backoff.js';
import type { FetchFn } from '../util/http-fetch.js';
import { classifyGithubError } from './classify-error.js';
import { type Version, parseVersion } from './ghes-version.js';
import type { Gh } from './gh.js';
import type { GithubClients } from './github-client.js';
import { type RunInsightApi, runInsightApi } from './run-insight-api.js';
import { RAW_BODY, type RunListApi, jsonBody, runListApi } from './run-list-api.js';

export interface RepoInfo {
  id: number;
  ownerId: number;
  defaultBranch: string;
}

export type DispatchResult = { status: 200; runId: number; htmlUrl: string } | { status: 204 };

/** The GHES REST calls the agent makes: these four, the run reads (run-list-api.ts) and the run insight (run-insight-api.ts). */
export interface GithubApi extends RunListApi, RunInsightApi {
  /** GHES's version: from GET /app for an App, GET /meta for a token. */
  version(): Promise<Version | undefined>;
  /** The login the agent's dispatches are attributed to (`<slug>[bot]` or the token's user). */
  actor(): Promise<string | undefined>;
  /** A repository's ids and default branch, cached (repoCacheMs, ten minutes by default): they rarely change. */
  repo(owner: string, repo: string): Promise<RepoInfo>;
  /** POST …/dispatches, never retried by Octokit. */
  dispatch(
    owner: string,
    repo: string,
    workflow: string,
    body: { ref: string; inputs: Record<string, string>; return_run_details?: boolean },
  ): Promise<DispatchResult>;
}

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
}): GithubApi {
  const { clients, clock } = deps;
  const repoCache = new Map<string, { at: number; info: Promise<RepoInfo> }>();
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

    // Jobs, job logs, approvals and cancellation (issue 13): run-insight-api.ts.
    ...runInsightApi({ withOwner, fail, noRedirectFetch: deps.noRedirectFetch }),
    // Run lists and a run's reads: run-list-api.ts.
    ...runListApi({ withOwner, fail, clock }),
  };
}
