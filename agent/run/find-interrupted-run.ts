import { AgentError } from '../errors.js';
import type { DispatchedRun } from '../github/dispatch-workflow.js';
import { everyPage } from '../github/every-page.js';
import type { GithubApi } from '../github/github-api.js';
import { type Clock, retry } from '../util/backoff.js';

/**
 * After an interrupted dispatch: the run whose run-name shows this Port run id, searched through
 * every page of the repository's dispatched runs created since `sinceMs`. One page is not enough
 * under load: a replica that resumes another's runs after a session timeout may find hundreds of
 * newer runs in front of the one it looks for, and missing it would mean dispatching twice.
 * `undefined` when no run shows the id (the caller then decides, knowing whether the workflow's
 * run-name shows ids at all); throws when several do, rather than pick one.
 */
export async function findRunByRunName(
  deps: { api: Pick<GithubApi, 'listRepoRuns'>; clock: Clock; signal: AbortSignal; maxPages?: number; serverOffsetMs?: () => number },
  run: { runId: string; org: string; repo: string },
  localSinceMs: number,
): Promise<DispatchedRun | undefined> {
  // created_at is on GHES's clock.
  const sinceMs = localSinceMs + (deps.serverOffsetMs?.() ?? 0);
  const listed = await everyPage(async (page, perPage) => {
    const res = await retry(() => deps.api.listRepoRuns(run.org, run.repo, { createdSince: new Date(sinceMs).toISOString(), perPage, page }), {
      clock: deps.clock,
      maxAttempts: Infinity,
      signal: deps.signal,
      capMs: 30_000,
    });
    return res.notModified ? undefined : res.page.runs;
  }, deps.maxPages);
  const matches = listed.filter((r) => r.display_title.includes(run.runId));
  if (matches.length > 1) {
    throw new AgentError('ambiguous', `${matches.length} runs of ${run.org}/${run.repo} show this Port run id and the agent will not guess between them: ${matches.map((r) => r.html_url).join(', ')}`);
  }
  const found = matches[0];
  return found ? { runId: found.id, htmlUrl: found.html_url, via: 'run-name' } : undefined;
}
