import { AgentError } from '../errors.js';
import type { DispatchedRun } from '../github/dispatch-workflow.js';
import { everyPage } from '../github/every-page.js';
import type { GithubApi } from '../github/github-api.js';
import { type Mismatch, matchRunName, unverifiedRuns } from '../github/own-run.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, retry } from '../util/backoff.js';

/**
 * After an interrupted dispatch: the run whose run-name shows this Port run id, searched through
 * every page of the repository's dispatched runs created since `sinceMs`. One page is not enough
 * under load: a replica that resumes another's runs after a session timeout may find hundreds of
 * newer runs in front of the one it looks for, and missing it would mean dispatching twice.
 * `undefined` when no run shows the id (the caller then decides, knowing whether the workflow's
 * run-name shows ids at all); throws when several do, rather than pick one.
 *
 * Who could trigger this: anyone who can dispatch a workflow in the repository, or a Port user
 * whose other action's run-name shows an input they fill in, can plant a run titled with this id
 * (issue 23). What stops them: only a run of the agent's own login (`actor`: the App's bot or the
 * token's user) and of the invocation's workflow is taken (own-run.ts); others are logged and
 * ignored. When the agent's login is unknown, a run showing the id is neither adopted nor
 * dispatched again: the run is refused ('ambiguous') with the runs named, for a person to decide.
 */
export async function findRunByRunName(
  deps: {
    api: Pick<GithubApi, 'listRepoRuns'>;
    clock: Clock;
    signal: AbortSignal;
    maxPages?: number;
    serverOffsetMs?: () => number;
    actor?: string;
    logger?: Logger;
    onRunNameMismatch?: (why: Mismatch) => void;
  },
  run: { runId: string; org: string; repo: string; workflow: string },
  localSinceMs: number,
): Promise<DispatchedRun | undefined> {
  // created_at is on GHES's clock.
  const sinceMs = localSinceMs + (deps.serverOffsetMs?.() ?? 0);
  const listed = await everyPage(async (page, perPage) => {
    const res = await retry(
      () => deps.api.listRepoRuns(run.org, run.repo, { createdSince: new Date(sinceMs).toISOString(), perPage, page }),
      {
        clock: deps.clock,
        maxAttempts: Infinity,
        signal: deps.signal,
        capMs: 30_000,
      },
    );
    return res.notModified ? undefined : res.page.runs;
  }, deps.maxPages);
  const match = matchRunName(listed, run.runId, { actor: deps.actor, org: run.org, repo: run.repo, workflow: run.workflow });
  for (const { why } of [...match.ignored, ...(match.kind === 'unverifiable' ? match.runs : [])]) deps.onRunNameMismatch?.(why);
  for (const { run: other, reason } of match.ignored) {
    deps.logger?.warn(`run ${other.html_url} shows Port run id ${run.runId} but is not the agent's: ${reason}; ignored`, {
      component: 'dispatch',
      runId: run.runId,
      ghRunId: other.id,
    });
  }
  if (match.kind === 'ambiguous') {
    throw new AgentError(
      'ambiguous',
      `${match.runs.length} runs of ${run.org}/${run.repo} show this Port run id and the agent will not guess between them: ${match.runs.map((r) => r.html_url).join(', ')}`,
    );
  }
  if (match.kind === 'unverifiable') throw unverifiedRuns(run, match.runs);
  return match.kind === 'found' ? { runId: match.run.id, htmlUrl: match.run.html_url, via: 'run-name' } : undefined;
}
