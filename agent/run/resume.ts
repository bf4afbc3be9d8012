import { findExistingRun } from '../github/dispatch-workflow.js';
import type { PortRun } from '../types/port-run.js';
import { retry } from '../util/backoff.js';
import { externalRunId, recordedGithubRunId } from './external-run-id.js';
import { findRunByRunName } from './find-interrupted-run.js';
import type { ResumeDeps } from './processor-deps.js';
import { COMPLETED_LABEL_PREFIX, DISPATCHED_LABEL, DISPATCHING_LABEL } from './run-labels.js';
import type { RunContext, RunScope } from './run-scope.js';
import { type Refused, type StagedRun, isRefused, linkOf } from './staged-run.js';
import { ghesOriginsOf, readRecordedRun } from './verify-recorded-run.js';
import { checkRecordedRun } from './check-recorded-run.js';
import { locateOnGithub } from './locate-on-github.js';

/** Left of a claimed run's dispatch deadline after the look for an interrupted dispatch's run: the repository read, the label write and the POST. */
export const CLAIMED_DISPATCH_MARGIN_MS = 5_000;

/** The resumption path's three entries, each taking the run's scope. */
export interface Resume {
  /** A redelivered message's GitHub run, found by its repository's list and verified (locate-on-github.ts). */
  locateOnGithub(scope: RunScope): Promise<StagedRun | undefined>;
  /** The GitHub run a claimed or taken-over run's record shows, verified; undefined when it shows none or the run ended. */
  recordedInClaim(scope: RunScope): Promise<StagedRun | Refused | undefined>;
  /** The GitHub run already created for this Port run, by Port's record or after an interrupted dispatch, by GHES. */
  resume(scope: RunScope, existing: PortRun): Promise<StagedRun | Refused | undefined>;
}

/**
 * The resumption path: a run already created on GHES for a Port run, found by its repository's
 * list (a redelivered message), by Port's record (a link or externalRunId, a claim's record), or
 * after an interrupted dispatch by GHES; always verified against the invocation before it is
 * followed. Made once per processor; each call takes the run's scope.
 */
export function createResume(deps: ResumeDeps): Resume {
  const { api, reporter, clock } = deps;
  /** Where a recorded run link may point: this agent's GHES only. */
  const ghesOrigins = ghesOriginsOf(deps.settings.ghesUrls);

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
    if (reading.kind === 'recorded') return checkRecordedRun(deps, run, reading.ref, createdAfterMs, signal);
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
    const staged = await checkRecordedRun(deps, run, { ghRunId: found.runId }, createdAfterMs, signal, repo);
    if (isRefused(staged)) return staged;
    await reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(staged), statusLabel: DISPATCHED_LABEL } }, scope.owned);
    return { ...staged, via: found.via, externalRunId: externalRunId(repo.ownerId, repo.id, found.runId) };
  }

  return {
    locateOnGithub: (scope) => locateOnGithub(deps, scope),
    recordedInClaim,
    resume,
  };
}

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
