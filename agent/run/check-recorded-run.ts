import { toAgentError } from '../errors.js';
import type { RunRequest } from '../types/run-request.js';
import { retry } from '../util/backoff.js';
import { externalRunId } from './external-run-id.js';
import type { ResumeDeps } from './processor-deps.js';
import type { Refused, StagedRun } from './staged-run.js';
import { type RecordedReference, recordedIdsMismatch, verifyRecordedRun } from './verify-recorded-run.js';

/**
 * Checks a GitHub run recorded for this Port run against the invocation (verify-recorded-run.ts)
 * and makes it a run the agent may follow. Who could have recorded it: a Port user with write
 * access to runs (link, externalRunId), or a previous holder. What stops a forged record: the
 * policy already allowed the invocation's repository; its ids are compared with the
 * externalRunId's before the run is read at all; the run is read from the invocation's
 * repository only (its list, or GET /repos/{org}/{repo}/actions/runs/{id}) and must be the
 * agent's own run of the invocation's workflow. Nothing else of it (jobs, logs, pending
 * deployments) is read, and nothing is cancelled, unless it passes.
 */
export async function checkRecordedRun(
  deps: ResumeDeps,
  run: RunRequest,
  ref: RecordedReference,
  createdAfterMs: number | undefined,
  signal: AbortSignal,
  known?: { id: number; ownerId: number },
): Promise<StagedRun | Refused> {
  const { api, clock } = deps;
  const retryOpts = { clock, maxAttempts: Infinity, signal, capMs: 60_000 };
  const repo = known ?? (await retry(() => api.repo(run.org, run.repo), retryOpts));
  const mismatch = recordedIdsMismatch(ref, run, repo);
  if (mismatch) return { refused: mismatch };
  // A taken-over run is usually going on, and its repository's list (one for all the runs
  // taken over there, resume-locator.ts) shows it: no GET per run at a rolling update (issue 15).
  const located =
    deps.resumeLocator && createdAfterMs !== undefined ? await deps.resumeLocator.locate(run, createdAfterMs, signal) : undefined;
  let observed = located?.runId === ref.ghRunId ? located.entry : undefined;
  if (!observed) {
    const got = await retry(() => api.getRun(run.org, run.repo, ref.ghRunId), retryOpts).catch((raw: unknown) => {
      const err = toAgentError(raw);
      if (err.code === 'not_found' && !signal.aborted) return undefined;
      throw err;
    });
    if (!got) return { refused: `GHES has no run ${ref.ghRunId} in ${run.org}/${run.repo} (404)` };
    observed = got.run;
  }
  const verdict = verifyRecordedRun({ invocation: run, repo, actor: deps.dispatch.actor, recorded: ref, createdAfterMs }, observed);
  if (verdict.kind === 'refused') return { refused: verdict.reason };
  return {
    runId: verdict.run.ghRunId,
    htmlUrl: verdict.run.htmlUrl,
    via: 'run-details',
    externalRunId: ref.ids ? externalRunId(repo.ownerId, repo.id, ref.ghRunId) : undefined,
    createdAfterMs,
    verified: verdict.run,
  };
}
