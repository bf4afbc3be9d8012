import { retry } from '../util/backoff.js';
import { externalRunId } from './external-run-id.js';
import type { ResumeDeps } from './processor-deps.js';
import { mayBeRedelivered } from './resume-locator.js';
import type { RunScope } from './run-scope.js';
import type { StagedRun } from './staged-run.js';
import { verifyRecordedRun } from './verify-recorded-run.js';

/**
 * A message that may have been handled before (written before this replica held its
 * partition): its GitHub run, when its repository's list shows one going on (resume-locator.ts).
 * The run was dispatched, so it is only tracked; Port's record is not read, and its link, if
 * the previous owner died before writing it, is written with the final status.
 * Who could plant such a run: anyone with write access to the repository, by dispatching a run
 * whose run-name shows the Port run id. What stops them: the list entry must be the agent's own
 * run of the invocation's workflow (verifyRecordedRun); one that is not is left alone, and the
 * run takes the ordinary path through Port's record.
 */
export async function locateOnGithub(deps: ResumeDeps, scope: RunScope): Promise<StagedRun | undefined> {
  const { run, ctx, signal } = scope;
  const { api, clock } = deps;
  if (!deps.resumeLocator || ctx.record || !mayBeRedelivered(ctx.writtenAtMs, ctx.heldSinceMs)) return undefined;
  const found = await deps.resumeLocator.locate(run, ctx.writtenAtMs, signal);
  if (!found) return undefined;
  // The list entry names its repository: a restarted replica reads no repository to resume (a GET per repository per start, issue 15).
  // The list is the invocation repository's own (GET /repos/{org}/{repo}/actions/runs), so the ids it shows are that repository's.
  const ids =
    found.repoId !== undefined && found.ownerId !== undefined
      ? { id: found.repoId, ownerId: found.ownerId }
      : await retry(() => api.repo(run.org, run.repo), { clock, maxAttempts: Infinity, signal, capMs: 60_000 });
  const verdict = verifyRecordedRun(
    { invocation: run, repo: ids, actor: deps.dispatch.actor, createdAfterMs: ctx.writtenAtMs > 0 ? ctx.writtenAtMs : undefined },
    found.entry,
  );
  if (verdict.kind === 'refused') {
    scope.count('located_run_refused');
    scope.base.warn(`not resuming the GitHub run whose run-name shows this Port run: ${verdict.reason}; Port's record decides`, {
      runId: run.runId,
      ghRunId: found.runId,
      ...ctx.where,
    });
    return undefined;
  }
  scope.count('resumed');
  scope.base.info(`resuming GitHub run ${found.runId} found by its run-name`, { runId: run.runId, ghRunId: found.runId, ...ctx.where });
  return {
    runId: found.runId,
    htmlUrl: found.htmlUrl,
    via: 'run-name',
    createdAt: found.createdAt,
    status: found.status,
    externalRunId: externalRunId(ids.ownerId, ids.id, found.runId),
    verified: verdict.run,
  };
}
