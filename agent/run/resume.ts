import { toAgentError } from '../errors.js';
import { findExistingRun } from '../github/dispatch-workflow.js';
import type { PortRun } from '../types/port-run.js';
import type { RunRequest } from '../types/run-request.js';
import { retry } from '../util/backoff.js';
import { externalRunId, recordedGithubRunId } from './external-run-id.js';
import { findRunByRunName } from './find-interrupted-run.js';
import type { ProcessorDeps } from './processor-deps.js';
import { mayBeRedelivered } from './resume-locator.js';
import { COMPLETED_LABEL_PREFIX, DISPATCHED_LABEL, DISPATCHING_LABEL } from './run-labels.js';
import type { RunContext, RunScope } from './run-scope.js';
import { type Refused, type StagedRun, isRefused, linkOf } from './staged-run.js';
import { type RecordedReference, ghesOriginsOf, readRecordedRun, recordedIdsMismatch, verifyRecordedRun } from './verify-recorded-run.js';

/** Left of a claimed run's dispatch deadline after the look for an interrupted dispatch's run: the repository read, the label write and the POST. */
export const CLAIMED_DISPATCH_MARGIN_MS = 5_000;

/**
 * The resumption path: a run already created on GHES for a Port run, found by its repository's
 * list (a redelivered message), by Port's record (a link or externalRunId, a claim's record), or
 * after an interrupted dispatch by GHES; always verified against the invocation before it is
 * followed. Made once per processor; each call takes the run's scope.
 */
export function createResume(deps: Pick<ProcessorDeps, 'settings' | 'api' | 'reporter' | 'resumeLocator' | 'dispatch' | 'clock'>) {
  const { api, reporter, clock } = deps;
  /** Where a recorded run link may point: this agent's GHES only. */
  const ghesOrigins = ghesOriginsOf(deps.settings.ghesUrls);

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
  async function locateOnGithub(scope: RunScope): Promise<StagedRun | undefined> {
    const { run, ctx, signal } = scope;
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

  /**
   * A run whose record, as the intake has it (a claim answer, a take-over), shows its GitHub run
   * and no end: only tracked, so it neither waits for the dispatch pacing nor takes a dispatch
   * slot. Thousands of runs taken over at a rolling update (issue 15) are then tracked again at
   * once, and new runs are not queued behind them. No Port request: Port's record is the claim's;
   * the GitHub run it names is verified first (resume), from its repository's list when that
   * shows it (one list for all the runs taken over there), else with a GET of the run.
   */
  async function recordedInClaim(scope: RunScope): Promise<StagedRun | Refused | undefined> {
    const r = scope.ctx.record;
    if (!r || r.status !== 'IN_PROGRESS' || r.statusLabel?.startsWith(COMPLETED_LABEL_PREFIX) || recordedGithubRunId(r) === undefined)
      return undefined;
    const resumed = await resume(scope, r);
    if (resumed && !isRefused(resumed)) {
      scope.count('resumed');
      scope.base.debug(`resuming GitHub run ${resumed.runId} recorded for this Port run`, {
        runId: scope.run.runId,
        ghRunId: resumed.runId,
        ...scope.ctx.where,
      });
    }
    return resumed;
  }

  /**
   * The GitHub run already created for this Port run, by Port's record or, after an interrupted
   * dispatch, by GHES; `refused` when the run recorded is not the invocation's. Called only after
   * the policy allowed the run's organization, repository and workflow (process-message.ts, handleRun).
   */
  async function resume(scope: RunScope, existing: PortRun): Promise<StagedRun | Refused | undefined> {
    const { run, ctx, signal } = scope;
    const createdAfterMs = createdNoEarlierThan(ctx, existing);
    const reading = readRecordedRun(existing, ghesOrigins);
    if (reading.kind === 'refused') return { refused: reading.reason };
    if (reading.kind === 'recorded') return verifyRecorded(run, reading.ref, createdAfterMs, signal);
    if (existing.statusLabel !== DISPATCHING_LABEL) return undefined;
    const repo = await retry(() => api.repo(run.org, run.repo), { clock, maxAttempts: Infinity, signal });
    const ref = typeof run.workflowInputs.ref === 'string' && run.workflowInputs.ref ? run.workflowInputs.ref : repo.defaultBranch;
    // The run cannot predate the message; an hour of slack covers clocks that disagree.
    const sinceMs = Math.max(clock.now() - 24 * 3600_000, ctx.writtenAtMs > 0 ? ctx.writtenAtMs - 3600_000 : 0);
    // GitHub creates runs asynchronously: a POST sent just before the previous holder stopped may
    // show its run only seconds later, and dispatching again then would start a second run. So
    // keep looking until correlationTimeout after the label was written (Port's updatedAt: the
    // label is the last write before the POST), as an interrupted POST in this process does.
    // A claimed run (HTTPS intake) is looked for until its dispatch deadline at most: each claim
    // writes the run, so its updatedAt is no label time, and looking past the deadline would let
    // the claim run out again and again. Port re-offers it only after the visibility timeout,
    // which already separates the previous holder's POST from this look.
    const lookUntil = Math.min(
      interruptedLookUntil(clock.now(), existing.updatedAt, deps.dispatch.correlationTimeoutMs),
      ctx.dispatchBy !== undefined ? ctx.dispatchBy - CLAIMED_DISPATCH_MARGIN_MS : Number.POSITIVE_INFINITY,
    );
    let found;
    for (;;) {
      found =
        (await findRunByRunName({ ...deps.dispatch, signal }, run, sinceMs)) ??
        (await findExistingRun({ ...deps.dispatch, signal }, run, ref, sinceMs));
      if (found || clock.now() >= lookUntil) break;
      await clock.sleep(Math.min(deps.dispatch.pollMs ?? 2000, lookUntil - clock.now()), signal);
    }
    if (!found) return undefined;
    // Found by a previous holder's dispatch, not this process's: a run someone else started with
    // the Port run id in its run-name would be found the same way. It is verified like a recorded
    // run (a GET of it) before its link is written to Port or it is followed.
    const staged = await verifyRecorded(run, { ghRunId: found.runId }, createdAfterMs, signal, repo);
    if (isRefused(staged)) return staged;
    await reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(staged), statusLabel: DISPATCHED_LABEL } }, scope.owned);
    return { ...staged, via: found.via, externalRunId: externalRunId(repo.ownerId, repo.id, found.runId) };
  }

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
  async function verifyRecorded(
    run: RunRequest,
    ref: RecordedReference,
    createdAfterMs: number | undefined,
    signal: AbortSignal,
    known?: { id: number; ownerId: number },
  ): Promise<StagedRun | Refused> {
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

  return { locateOnGithub, recordedInClaim, resume };
}

export type Resume = ReturnType<typeof createResume>;

/**
 * A resumed run's GitHub run was created after Port created the run (its record's createdAt) and
 * after the intake's message (Kafka timestamp): the earliest of them known bounds the watcher's
 * list window, so a resumed run is located by its repository's list, not by a GET of its own.
 */
export function createdNoEarlierThan(ctx: Pick<RunContext, 'writtenAtMs'>, record: Pick<PortRun, 'createdAt'>): number | undefined {
  const candidates = [record.createdAt ? Date.parse(record.createdAt) : NaN, ctx.writtenAtMs].filter((x) => Number.isFinite(x) && x > 0);
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}

/**
 * Until when a resumed run labelled "Dispatching" is looked for on GHES before it is dispatched
 * again: correlationTimeoutMs after the label was written (`updatedAt`, Port's clock), never
 * more than that from now (a clock that disagrees must not stall a run longer), and no look
 * beyond the first when the label is older than that.
 */
export function interruptedLookUntil(nowMs: number, labelledAt: string | undefined, correlationTimeoutMs: number): number {
  const at = labelledAt === undefined ? Number.NaN : Date.parse(labelledAt);
  if (!Number.isFinite(at)) return nowMs + correlationTimeoutMs;
  return Math.min(nowMs + correlationTimeoutMs, at + correlationTimeoutMs);
}
