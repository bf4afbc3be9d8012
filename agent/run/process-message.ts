import type { AgentConfig } from '../config/schema.js';
import { AgentError, toAgentError } from '../errors.js';
import { buildDispatch, maxInputsFor } from '../github/build-dispatch.js';
import type { DispatchPacer } from '../github/dispatch-pacer.js';
import { type DispatchContext, type DispatchedRun, dispatchWorkflow, findExistingRun } from '../github/dispatch-workflow.js';
import type { GithubApi } from '../github/github-api.js';
import type { Version } from '../github/ghes-version.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { evaluatePolicy, evaluateTarget } from '../policy/evaluate-policy.js';
import type { PortRunApi } from '../port/port-client.js';
import type { PortPatch, PortRun } from '../types/port-run.js';
import type { Reporter } from '../port/reporter.js';
import { portStatusFor, statusLine } from '../tracking/conclusion.js';
import type { RunWatcher } from '../tracking/run-watcher.js';
import { type Clock, retry } from '../util/backoff.js';
import type { Semaphore } from '../util/semaphore.js';
import { externalRunId, recordedGithubRunId } from './external-run-id.js';
import { type RecordedReference, ghesOriginsOf, readRecordedRun, recordedIdsMismatch, verifyRecordedRun } from './verify-recorded-run.js';
import { type VerifiedRun, dispatchedHere } from './verified-run.js';
import { findRunByRunName } from './find-interrupted-run.js';
import { type ResumeLocator, mayBeRedelivered } from './resume-locator.js';
import type { RunRequest } from '../types/run-request.js';
import type { OrgRoute } from './org-routing.js';
import type { RunCancellation } from './run-cancellation.js';
import type { RunInsight } from './run-insight.js';

/** Which intake a run came through: a metric label, never a branch of the processing. */
export type Intake = 'kafka' | 'port-api';

/** Log fields saying where a run came from (a Kafka record, a claim). */
export type RunWhere = Record<string, string | number>;

/**
 * What an intake knows about a run beyond the run itself. Everything that differs per intake
 * (where a run's offset or claim lives, how it is finished) is expressed here as data and
 * callbacks, so the processing below is one path for every intake.
 */
export interface RunContext {
  intake: Intake;
  where: RunWhere;
  /** When the run reached Port's hands (Kafka timestamp, claim time): no GitHub run for it can be older. */
  writtenAtMs: number;
  /** Port's record of the run when the intake already has it (a claim answer is the run record); read from Port otherwise. */
  record?: PortRun;
  /**
   * The intake's lease on the run runs out at this time (epoch ms): no dispatch request is sent
   * after it, because another replica may then be given the run. Kafka has none (the partition
   * is held as long as the consumer lives).
   */
  dispatchBy?: number;
  /**
   * Called once Port's record makes a redelivery of the run resume rather than redo it (its
   * dispatch is recorded, or it was resumed), before tracking starts: the claim intake
   * acknowledges the run here. Resolving false means the run is no longer this replica's:
   * nothing more is done for it.
   */
  handOff?: (dispatched: { link?: string; externalRunId?: string }) => Promise<boolean>;
  /**
   * Since when this replica holds the run's partition (Kafka, epoch ms): a message written
   * before may have been handled by a previous owner, and is first looked for on GHES (issue 15).
   */
  heldSinceMs?: number;
}

/** A decoded, checked run: what is left to do, retried whole by the poison guard. */
export interface PreparedRun {
  where: RunWhere;
  intake: Intake;
  /** The Port run (r_… or wfnr_…) it names, to report FAILURE if it cannot be handled. */
  runId?: string;
  handle(signal: AbortSignal, owned: AbortSignal): Promise<void>;
}

/** Thrown when a run's lease ran out before its dispatch: the intake lets it go, Port offers it again. */
export class LeaseExpired extends AgentError {
  constructor(runId: string) {
    super('timeout', `the claim on run ${runId} ran out before its dispatch; it is left to the next claim`, { retriable: false });
  }
}

/**
 * A run on GHES, `fresh` when dispatched here and now (created at about now), not resumed.
 * `verified`: the only handle by which it is followed, reported on and cancelled (verified-run.ts).
 */
type StagedRun = DispatchedRun & { verified: VerifiedRun; fresh?: boolean; externalRunId?: string; createdAfterMs?: number; createdAt?: string; status?: string };

/** A recorded run that does not match the invocation: the run ends FAILURE with the reason, and nothing more of that GitHub run is read. */
type Refused = { refused: string };
const isRefused = (x: StagedRun | Refused | undefined): x is Refused => x !== undefined && 'refused' in x;

/** Written to Port before the POST: a redelivered run that finds it looks on GHES first. */
export const DISPATCHING_LABEL = 'Dispatching workflow';
/**
 * Written when a run ends without a status for Port (reportWorkflowStatus: false): Port keeps
 * such runs IN_PROGRESS forever, and this says they are done (a redelivery or an orphan search
 * leaves them alone).
 */
export const COMPLETED_LABEL_PREFIX = 'Workflow completed';

export interface ProcessorDeps {
  config: AgentConfig;
  port: PortRunApi;
  reporter: Reporter;
  api: GithubApi;
  watcher: RunWatcher;
  /** Bounds the runs between Port's record and the dispatch at once; unbounded when absent. */
  dispatchSlots?: Semaphore;
  /** Keeps dispatches per repository under GitHub's Actions limit; unpaced when absent. */
  dispatchPacer?: DispatchPacer;
  /** Finds the GitHub runs of redelivered messages by their repositories' lists, sparing Port a read each (issue 15); absent: Port is read. */
  resumeLocator?: ResumeLocator;
  dispatch: Omit<DispatchContext, 'signal'>;
  version: Version;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  // Issue 13 (all optional: absent, the agent behaves as before).
  /** Job progress, approvals and failure excerpts. */
  insight?: RunInsight;
  /** Cancels GHES runs ended in Port, and on timeout with tracking.cancelOnTimeout. */
  cancellation?: RunCancellation;
  /** Whose run it is when several agents share one topic (github.orgs). */
  orgRoute?: (org: string) => OrgRoute;
}

/**
 * One run, from the intake's hands to a finished, reported run: an intake decodes and checks it
 * and asks for a `job`, whose `handle` does the rest. `handle` resolves when the run is done
 * for good — finished and reported, or refused and reported FAILURE — so the intake may commit
 * its offset or let its claim go. It rejects only when aborted (shutdown, or the run moved to
 * another replica) or when its lease ran out before the dispatch (LeaseExpired): the run is
 * then handed out again and resumed from what Port and GHES recorded, never dispatched twice.
 */
export function createMessageProcessor(deps: ProcessorDeps) {
  const { config, metrics, reporter, clock } = deps;
  const log = deps.logger.child({ component: 'processor' });
  /** Where a recorded run link may point: this agent's GHES only. */
  const ghesOrigins = ghesOriginsOf([config.github.url, config.github.apiUrl]);

  async function fail(
    run: { runId: string },
    ctx: RunContext,
    reason: string,
    outcome: string,
    owned: AbortSignal,
    known: Partial<Pick<StagedRun, 'htmlUrl' | 'externalRunId'>> = {},
    fields: Record<string, unknown> = {},
    read?: { record: PortRun | undefined },
  ): Promise<void> {
    metrics.messages.inc({ outcome, intake: ctx.intake });
    log.warn(`run ${run.runId} failed: ${reason}`, { runId: run.runId, outcome, ...ctx.where, ...fields });
    await Promise.all([
      reporter.send(run.runId, { kind: 'log', log: { message: `ghes-agent: ${reason}`, level: 'ERROR' } }, owned),
      finalReport(run.runId, { status: 'FAILURE', summary: reason.slice(0, 2000), statusLabel: 'Failed', ...linkOf(known) }, owned, read),
    ]);
  }

  /**
   * A refusal's report (issue 23, defence in depth). Who can trigger one: a signed Kafka message
   * with an invalid field, a run of an organization no agent serves, a claimed run that does not
   * decode. None of them should ever meet a run that is already going on, but if one does (a
   * bug, a signed message replayed inside its window, a record rewritten in Port), what stops it
   * ending that run is this: Port's record is read first, and a run it shows dispatched (a link,
   * an externalRunId, one of the agent's own labels) is left alone; the refusal is logged and
   * counted as `refusal_ignored`, and nothing is written. Its GitHub run then goes on being
   * tracked and is not cancelled (the cancellation follows Port's end of the run).
   */
  async function refuse(runId: string, ctx: RunContext, reason: string, outcome: string, owned: AbortSignal, fields: Record<string, unknown>): Promise<void> {
    const record = await readRun(runId, owned);
    if (record && showsDispatch(record)) {
      metrics.messages.inc({ outcome: 'refusal_ignored', intake: ctx.intake });
      log.warn(`run ${runId} is dispatched already (Port shows ${record.link || record.externalRunId ? 'its GitHub run' : `"${record.statusLabel}"`}); a refusal does not end it, nothing written: ${reason}`, {
        runId,
        outcome: 'refusal_ignored',
        refusedAs: outcome,
        ...ctx.where,
        ...fields,
      });
      return;
    }
    await fail({ runId }, ctx, reason, outcome, owned, {}, fields, { record });
  }

  /** Port's record of a run, retried through outages; undefined when Port refuses the read for good. */
  async function readRun(runId: string, owned: AbortSignal): Promise<PortRun | undefined> {
    return retry(() => deps.port.getRun(runId), { clock, maxAttempts: Infinity, signal: owned, capMs: 30_000 }).catch((err) => {
      if (owned.aborted) throw err;
      return undefined;
    });
  }

  /**
   * The terminal PATCH, once per run across replicas: when a run moves to another replica, the
   * one that lost it may have had this very report on the wire. Asking Port first closes that
   * window down to one request's flight time; its cost is one GET per run.
   */
  async function finalReport(runId: string, patch: PortPatch, owned: AbortSignal, read?: { record: PortRun | undefined }): Promise<void> {
    // Port refused the read for good (undefined): send the status anyway, Port refuses a second one.
    const current = read ? read.record : await readRun(runId, owned);
    if (current?.status === 'SUCCESS' || current?.status === 'FAILURE') {
      log.info(`run ${runId} is already ${current.status} in Port; final status not sent again`, { runId });
      return;
    }
    await reporter.send(runId, { kind: 'patch', patch }, owned);
  }

  /** A run to handle. Built outside the intakes' decoding: a closure made there would keep the decoded message alive for the run's whole life. */
  function job(run: RunRequest, ctx: RunContext): PreparedRun {
    const route = deps.orgRoute?.(run.org) ?? 'mine';
    if (route === 'not_mine') {
      // Another agent (another GHES) serves this organization: no request, no report, committed.
      return { where: ctx.where, intake: ctx.intake, handle: async () => void notMine(run, ctx) };
    }
    if (route === 'unserved') {
      const reason = `no ghes-agent serves the GitHub organization "${run.org}" (this catch-all agent serves ${config.github.orgs.join(', ')}; the others ${config.github.otherAgentsOrgs.join(', ') || 'none'}): add it to one agent's github.orgs`;
      return refusal(run.runId, ctx, reason, 'unserved_org');
    }
    return { where: ctx.where, intake: ctx.intake, runId: run.runId, handle: (signal, owned) => handleRun(run, ctx, signal, owned) };
  }

  /** Counts and logs a run left to the agent that serves its organization. */
  function notMine(run: Pick<RunRequest, 'runId' | 'org'>, ctx: Pick<RunContext, 'intake' | 'where'>): void {
    metrics.messages.inc({ outcome: 'not_mine', intake: ctx.intake });
    log.debug(`run ${run.runId} is for ${run.org}, which this agent does not serve (github.orgs); left to its agent`, { runId: run.runId, ...ctx.where });
  }

  /** The claim intake asks before holding a run: a run of another agent's organization is left unacknowledged. */
  function servesOrg(run: Pick<RunRequest, 'runId' | 'org'>, ctx: Pick<RunContext, 'intake' | 'where'>): boolean {
    if ((deps.orgRoute?.(run.org) ?? 'mine') !== 'not_mine') return true;
    notMine(run, ctx);
    return false;
  }

  /**
   * A run that names itself but cannot be handled: reported FAILURE with the reason. `fields`
   * go to its log line only (for a refused Kafka message, the names of its keys: MessageKeys).
   */
  function refusal(runId: string, ctx: RunContext, reason: string, outcome: string, fields: Record<string, unknown> = {}): PreparedRun {
    return { where: ctx.where, intake: ctx.intake, runId, handle: (_signal, owned) => refuse(runId, ctx, reason, outcome, owned, fields) };
  }

  /** Counts an outcome for which nothing is done (skipped, invalid without a run id). */
  function count(intake: Intake, outcome: string): void {
    metrics.messages.inc({ outcome, intake });
  }

  /**
   * `signal` aborts the work (tracking, dispatch); `owned` aborts when the run now belongs to
   * another replica, and cancels the reports not yet sent. At shutdown only `signal` aborts
   * first, so reports already queued are still delivered while this replica holds the run.
   */
  async function handleRun(run: RunRequest, ctx: RunContext, signal: AbortSignal, owned: AbortSignal): Promise<void> {
    const runLog = log.child({ runId: run.runId, repo: `${run.org}/${run.repo}`, workflow: run.workflow, ...ctx.where });
    // Issue 23: the organization, repository and workflow the run names are decided by the
    // policy before any GHES request for it, resumes and take-overs included. Who: anyone who
    // can get a run to this agent (a Port user running an action, a topic writer whose message
    // passed the intake's checks). What stops them reading, tracking or cancelling outside the
    // policy: this check; and a denied repository that exists and one that does not get the same
    // answer, as neither is read.
    const target = evaluateTarget(config.policy.allow, run);
    if (!target.allowed) {
      if (await openRecord(run, ctx, runLog, signal)) await fail(run, ctx, target.reason, 'policy_denied', owned);
      return;
    }
    // Issue 15: a redelivered message whose GitHub run is going on needs no Port read, no
    // dispatch pacing and no dispatch slot: new messages are not queued behind resumptions.
    const located = (await locateOnGithub(run, ctx, signal)) ?? (await recordedInClaim(run, ctx, signal, owned));
    if (isRefused(located)) return void (await refuseRecorded(run, ctx, located.refused, owned));
    if (located) {
      if (ctx.handOff && !(await ctx.handOff({ link: located.htmlUrl || undefined, externalRunId: located.externalRunId }))) return;
      return void (await track(run, ctx, located, runLog, signal, owned));
    }
    // Paced before taking a dispatch slot: a backlog for one repository waits here while
    // other repositories' runs go ahead.
    const startAt = deps.dispatchPacer?.reserve(`${run.org}/${run.repo}`.toLowerCase(), clock.now()) ?? 0;
    if (startAt > clock.now()) {
      metrics.limitReached.inc({ limit: 'dispatch_rate' });
      await clock.sleep(startAt - clock.now(), signal);
    }
    const dispatched = deps.dispatchSlots
      ? await deps.dispatchSlots.run(() => dispatchStage(run, runLog, ctx, signal, owned))
      : await dispatchStage(run, runLog, ctx, signal, owned);
    if (!dispatched) return;
    if (ctx.handOff && !(await ctx.handOff({ link: dispatched.htmlUrl || undefined, externalRunId: dispatched.externalRunId }))) {
      runLog.info('another replica holds this run now; leaving it to that replica');
      return;
    }
    await track(run, ctx, dispatched, runLog, signal, owned);
  }

  return { job, refusal, count, finalReport, servesOrg };

  /** Throws when the intake's lease on the run ran out: past it, another replica may be given the run. */
  function checkLease(run: RunRequest, ctx: RunContext): void {
    if (ctx.dispatchBy !== undefined && clock.now() > ctx.dispatchBy) throw new LeaseExpired(run.runId);
  }

  /** Port's record of a run still to be handled; undefined (counted, logged) when Port does not know it or it is done. */
  async function openRecord(run: RunRequest, ctx: RunContext, runLog: Logger, signal: AbortSignal): Promise<PortRun | undefined> {
    const existing = ctx.record ?? (await retry(() => deps.port.getRun(run.runId), { clock, maxAttempts: Infinity, signal, capMs: 60_000 }));
    if (!existing) {
      metrics.messages.inc({ outcome: 'unknown_run', intake: ctx.intake });
      runLog.warn('Port does not know this run (404); skipped');
      return undefined;
    }
    if (existing.status === 'SUCCESS' || existing.status === 'FAILURE' || existing.statusLabel?.startsWith(COMPLETED_LABEL_PREFIX)) {
      metrics.messages.inc({ outcome: 'already_finished', intake: ctx.intake });
      runLog.info(`run already ${existing.status === 'IN_PROGRESS' ? `done (${existing.statusLabel})` : existing.status} in Port; nothing to do`);
      return undefined;
    }
    return existing;
  }

  /**
   * A recorded GitHub run that is not the invocation's: the Port run ends FAILURE with the reason
   * (in its log and summary), with no link to that run, which is neither followed nor cancelled.
   */
  async function refuseRecorded(run: RunRequest, ctx: RunContext, reason: string, owned: AbortSignal): Promise<void> {
    await fail(run, ctx, `refusing to follow the GitHub run recorded for this Port run: ${reason}`, 'recorded_run_refused', owned);
  }

  /**
   * From Port's record to a dispatched run (or a refusal reported to Port): the short, busy part
   * of a run, at most `dispatchSlots` at a time. A backlog then waits in the intake's hands as
   * data instead of as thousands of concurrent requests, which cost memory and time.
   */
  async function dispatchStage(run: RunRequest, runLog: Logger, ctx: RunContext, signal: AbortSignal, owned: AbortSignal): Promise<StagedRun | undefined> {
    const retryOpts = { clock, maxAttempts: Infinity, signal, capMs: 60_000 };
    const existing = await openRecord(run, ctx, runLog, signal);
    if (!existing) return undefined;

    let dispatched: StagedRun | undefined;
    let ref: string | undefined;
    try {
      const resumed = await resume(run, ctx, existing, signal, owned);
      if (isRefused(resumed)) return void (await refuseRecorded(run, ctx, resumed.refused, owned));
      if (resumed) {
        metrics.messages.inc({ outcome: 'resumed', intake: ctx.intake });
        runLog.info(`resuming GitHub run ${resumed.runId} recorded for this Port run`, { ghRunId: resumed.runId });
        dispatched = resumed;
      } else {
        checkLease(run, ctx);
        const repo = await retry(() => deps.api.repo(run.org, run.repo), retryOpts);
        const request = buildDispatch(run, { defaultBranch: repo.defaultBranch, maxInputs: maxInputsFor([deps.version[0], deps.version[1]]), runIdInput: config.github.runIdInput });
        ref = request.ref;
        const policy = evaluatePolicy(config.policy.allow, { org: run.org, repo: run.repo, workflow: run.workflow, ref: request.ref, defaultBranch: repo.defaultBranch });
        if (!policy.allowed) return void (await fail(run, ctx, policy.reason, 'policy_denied', owned));

        checkLease(run, ctx);
        await reporter.send(run.runId, { kind: 'patch', patch: { statusLabel: DISPATCHING_LABEL } }, owned);
        if (signal.aborted) throw new Error('aborted');
        // The label write may have waited through an outage of Port: the lease is checked again
        // right before the one request that must never be sent twice.
        checkLease(run, ctx);
        const made = await dispatchWorkflow({ ...deps.dispatch, signal }, run, request);
        // Dispatched by this process into the invocation's repository and workflow, after the policy: followed as it is.
        const verified = dispatchedHere({ portRunId: run.runId, org: run.org, repo: run.repo, ghRunId: made.runId, htmlUrl: made.htmlUrl });
        dispatched = { ...made, verified, fresh: true, externalRunId: externalRunId(repo.ownerId, repo.id, made.runId) };
        metrics.dispatches.inc({ outcome: 'success', reason: dispatched.via, intake: ctx.intake });
        metrics.messageToDispatch.observe({ intake: ctx.intake }, Math.max(0, clock.now() - ctx.writtenAtMs) / 1000);
        await reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(dispatched), statusLabel: 'Workflow dispatched' } }, owned);
        const line = `Dispatched ${run.org}/${run.repo} ${run.workflow} on ${request.ref}: ${dispatched.htmlUrl}`;
        runLog.info(line, { ghRunId: dispatched.runId });
        void reporter.send(run.runId, { kind: 'log', log: { message: line } }, owned).catch(() => undefined);
        metrics.messages.inc({ outcome: 'dispatched', intake: ctx.intake });
      }
    } catch (raw) {
      const err = toAgentError(raw);
      if (signal.aborted || err instanceof LeaseExpired) throw err;
      metrics.dispatches.inc({ outcome: 'failure', reason: err.code, intake: ctx.intake });
      return void (await fail(run, ctx, `could not dispatch ${run.org}/${run.repo} ${run.workflow}${ref ? ` on ${ref}` : ''}: ${err.message}`, 'dispatch_failed', owned));
    }
    return dispatched;
  }

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
  async function locateOnGithub(run: RunRequest, ctx: RunContext, signal: AbortSignal): Promise<StagedRun | undefined> {
    if (!deps.resumeLocator || ctx.record || !mayBeRedelivered(ctx.writtenAtMs, ctx.heldSinceMs)) return undefined;
    const found = await deps.resumeLocator.locate(run, ctx.writtenAtMs, signal);
    if (!found) return undefined;
    // The list entry names its repository: a restarted replica reads no repository to resume (a GET per repository per start, issue 15).
    // The list is the invocation repository's own (GET /repos/{org}/{repo}/actions/runs), so the ids it shows are that repository's.
    const ids = found.repoId !== undefined && found.ownerId !== undefined ? { id: found.repoId, ownerId: found.ownerId } : await retry(() => deps.api.repo(run.org, run.repo), { clock, maxAttempts: Infinity, signal, capMs: 60_000 });
    const verdict = verifyRecordedRun({ invocation: run, repo: ids, actor: deps.dispatch.actor, createdAfterMs: ctx.writtenAtMs > 0 ? ctx.writtenAtMs : undefined }, found.entry);
    if (verdict.kind === 'refused') {
      metrics.messages.inc({ outcome: 'located_run_refused', intake: ctx.intake });
      log.warn(`not resuming the GitHub run whose run-name shows this Port run: ${verdict.reason}; Port's record decides`, { runId: run.runId, ghRunId: found.runId, ...ctx.where });
      return undefined;
    }
    metrics.messages.inc({ outcome: 'resumed', intake: ctx.intake });
    log.info(`resuming GitHub run ${found.runId} found by its run-name`, { runId: run.runId, ghRunId: found.runId, ...ctx.where });
    return { runId: found.runId, htmlUrl: found.htmlUrl, via: 'run-name', createdAt: found.createdAt, status: found.status, externalRunId: externalRunId(ids.ownerId, ids.id, found.runId), verified: verdict.run };
  }

  /**
   * A run whose record, as the intake has it (a claim answer, a take-over), shows its GitHub run
   * and no end: only tracked, so it neither waits for the dispatch pacing nor takes a dispatch
   * slot. Thousands of runs taken over at a rolling update (issue 15) are then tracked again at
   * once, and new runs are not queued behind them. No Port request: Port's record is the claim's;
   * the GitHub run it names is verified first (resume), from its repository's list when that
   * shows it (one list for all the runs taken over there), else with a GET of the run.
   */
  async function recordedInClaim(run: RunRequest, ctx: RunContext, signal: AbortSignal, owned: AbortSignal): Promise<StagedRun | Refused | undefined> {
    const r = ctx.record;
    if (!r || r.status !== 'IN_PROGRESS' || r.statusLabel?.startsWith(COMPLETED_LABEL_PREFIX) || recordedGithubRunId(r) === undefined) return undefined;
    const resumed = await resume(run, ctx, r, signal, owned);
    if (resumed && !isRefused(resumed)) {
      metrics.messages.inc({ outcome: 'resumed', intake: ctx.intake });
      log.debug(`resuming GitHub run ${resumed.runId} recorded for this Port run`, { runId: run.runId, ghRunId: resumed.runId, ...ctx.where });
    }
    return resumed;
  }

  /**
   * The GitHub run already created for this Port run, by Port's record or, after an interrupted
   * dispatch, by GHES; `refused` when the run recorded is not the invocation's. Called only after
   * the policy allowed the run's organization, repository and workflow (handleRun).
   */
  async function resume(run: RunRequest, ctx: RunContext, existing: PortRun, signal: AbortSignal, owned: AbortSignal): Promise<StagedRun | Refused | undefined> {
    const createdAfterMs = createdNoEarlierThan(ctx, existing);
    const reading = readRecordedRun(existing, ghesOrigins);
    if (reading.kind === 'refused') return { refused: reading.reason };
    if (reading.kind === 'recorded') return verifyRecorded(run, reading.ref, createdAfterMs, signal);
    if (existing.statusLabel !== DISPATCHING_LABEL) return undefined;
    const repo = await retry(() => deps.api.repo(run.org, run.repo), { clock, maxAttempts: Infinity, signal });
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
      found = (await findRunByRunName({ ...deps.dispatch, signal }, run, sinceMs)) ?? (await findExistingRun({ ...deps.dispatch, signal }, run, ref, sinceMs));
      if (found || clock.now() >= lookUntil) break;
      await clock.sleep(Math.min(deps.dispatch.pollMs ?? 2000, lookUntil - clock.now()), signal);
    }
    if (!found) return undefined;
    // Found by a previous holder's dispatch, not this process's: a run someone else started with
    // the Port run id in its run-name would be found the same way. It is verified like a recorded
    // run (a GET of it) before its link is written to Port or it is followed.
    const staged = await verifyRecorded(run, { ghRunId: found.runId }, createdAfterMs, signal, repo);
    if (isRefused(staged)) return staged;
    await reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(staged), statusLabel: 'Workflow dispatched' } }, owned);
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
  async function verifyRecorded(run: RunRequest, ref: RecordedReference, createdAfterMs: number | undefined, signal: AbortSignal, known?: { id: number; ownerId: number }): Promise<StagedRun | Refused> {
    const retryOpts = { clock, maxAttempts: Infinity, signal, capMs: 60_000 };
    const repo = known ?? (await retry(() => deps.api.repo(run.org, run.repo), retryOpts));
    const mismatch = recordedIdsMismatch(ref, run, repo);
    if (mismatch) return { refused: mismatch };
    // A taken-over run is usually going on, and its repository's list (one for all the runs
    // taken over there, resume-locator.ts) shows it: no GET per run at a rolling update (issue 15).
    const located = deps.resumeLocator && createdAfterMs !== undefined ? await deps.resumeLocator.locate(run, createdAfterMs, signal) : undefined;
    let observed = located?.runId === ref.ghRunId ? located.entry : undefined;
    if (!observed) {
      const got = await retry(() => deps.api.getRun(run.org, run.repo, ref.ghRunId), retryOpts).catch((raw: unknown) => {
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

  async function track(run: RunRequest, ctx: RunContext, dispatched: StagedRun, runLog: Logger, signal: AbortSignal, owned: AbortSignal): Promise<void> {
    const startedMs = clock.now();
    // Issue 15: a resumed run's first status was most likely logged by its previous owner; it
    // is not logged again (a request per run per hand-over) unless it differs from what the
    // resumption saw. Unknown (Port's record path): the first status is taken as already logged.
    let alreadyLogged: string | undefined = dispatched.fresh ? undefined : (dispatched.status ?? '*');
    metrics.runsInFlight.inc({ intake: ctx.intake });
    const say = (message: string) => void reporter.send(run.runId, { kind: 'log', log: { message } }, owned).catch(() => undefined);
    // Jobs, reviewers and failure logs are read, and the run cancelled when its Port run ends, only
    // through `verified`: a run this process dispatched, or one checked against the invocation
    // (verifyRecorded). Who could otherwise aim these at another run: a Port user writing a run's
    // link or externalRunId, or anyone planting a run with the Port run id in its run-name.
    const followed = dispatched.verified;
    const insight = deps.insight?.follow(followed, say, signal, { resumed: !dispatched.fresh });
    const stopCancelWatch = deps.cancellation?.follow(followed, signal);
    let outcome;
    try {
      outcome = await deps.watcher.watch(
        { portRunId: run.runId, org: run.org, repo: run.repo, ghRunId: dispatched.runId, sinceMs: startedMs, fresh: dispatched.fresh, createdAfterMs: dispatched.createdAfterMs, createdAt: dispatched.createdAt },
        {
          signal,
          onStatus: (status) => {
            const skip = alreadyLogged === '*' || alreadyLogged === status;
            alreadyLogged = undefined;
            if (skip) return;
            const line = statusLine(status);
            if (line) say(line);
            insight?.onStatus(status);
          },
          onSweep: insight?.onSweep,
        },
      );
    } finally {
      metrics.runsInFlight.dec({ intake: ctx.intake });
      stopCancelWatch?.();
    }
    if (outcome.kind === 'completed') {
      const conclusion = outcome.run.conclusion ?? 'unknown';
      metrics.runsCompleted.inc({ conclusion, intake: ctx.intake });
      metrics.runDuration.observe((clock.now() - startedMs) / 1000);
      runLog.info(`Workflow completed: ${conclusion}`, { ghRunId: dispatched.runId, conclusion });
      // Why it failed (failed jobs, the failed step's last lines): bounded in time, never throws.
      const why = conclusion !== 'cancelled' && portStatusFor(conclusion) === 'FAILURE' ? await deps.insight?.onFailure(followed, signal) : undefined;
      for (const line of why?.lines ?? []) say(line);
      const logDone = reporter.send(run.runId, { kind: 'log', log: { message: `Workflow completed: ${conclusion}` } }, owned);
      const label = `${COMPLETED_LABEL_PREFIX}: ${conclusion}`;
      // Without status reporting the run stays IN_PROGRESS in Port: the label says it is done.
      if (!run.reportWorkflowStatus) return void (await Promise.all([logDone, reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(dispatched), statusLabel: label } }, owned)]));
      const status = portStatusFor(conclusion);
      await Promise.all([
        logDone,
        finalReport(run.runId, { ...linkOf(dispatched), status, statusLabel: `Workflow ${conclusion}`, summary: withExcerpt(`GitHub workflow run ${outcome.run.html_url || dispatched.htmlUrl} completed: ${conclusion}`, why?.summary) }, owned),
      ]);
      return;
    }
    const cancelled = outcome.kind === 'timed_out' && config.tracking.cancelOnTimeout && deps.cancellation ? await deps.cancellation.onTimeout(followed, signal) : undefined;
    const reason =
      outcome.kind === 'timed_out'
        ? `timed out waiting for the workflow run ${dispatched.htmlUrl} to complete after ${config.tracking.maxWaitSeconds}s (last status: ${outcome.lastStatus ?? 'unknown'}); ${cancelled === undefined ? 'the GitHub run was left alone' : `cancelling the GitHub run: ${cancelled.replace('_', ' ')}`}`
        : `the workflow run ${dispatched.htmlUrl} disappeared from GHES: ${outcome.reason}`;
    if (outcome.kind === 'timed_out') metrics.runsTimedOut.inc({ intake: ctx.intake });
    if (!run.reportWorkflowStatus) {
      runLog.warn(reason);
      await Promise.all([
        reporter.send(run.runId, { kind: 'log', log: { message: reason, level: 'WARN' } }, owned),
        reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(dispatched), statusLabel: `${COMPLETED_LABEL_PREFIX}: ${outcome.kind === 'timed_out' ? 'timed out' : 'run gone'}` } }, owned),
      ]);
      return;
    }
    return fail(run, ctx, reason, outcome.kind === 'timed_out' ? 'timed_out' : 'run_gone', owned, dispatched);
  }
}

/** The label written once a run's GitHub run is recorded; a take-over writes it with its replica (claim-intake.ts takeOverLabel). */
const DISPATCHED_LABEL = 'Workflow dispatched';

/**
 * Whether Port's record shows a run the agent dispatched (or is dispatching): a link or an
 * externalRunId of any form (a refusal must not end a run on a technicality of its id), or one
 * of the agent's own labels. Pure.
 */
export function showsDispatch(record: Pick<PortRun, 'link' | 'externalRunId' | 'statusLabel'>): boolean {
  const linked = Array.isArray(record.link) ? record.link.some((l) => typeof l === 'string' && l !== '') : Boolean(record.link);
  if (linked || record.externalRunId) return true;
  const label = record.statusLabel ?? '';
  return label === DISPATCHING_LABEL || label.startsWith(DISPATCHED_LABEL) || label.startsWith(COMPLETED_LABEL_PREFIX);
}

/** The run's summary with the failure excerpt, within Port's summary size (the excerpt is bounded by insight.excerptMaxBytes). */
function withExcerpt(summary: string, excerpt: string | undefined): string {
  return excerpt ? `${summary}\n\n${excerpt}` : summary;
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
 * The link and externalRunId of a dispatched run, sent with every later patch of it: a
 * workflow-node run's output is replaced by each patch that carries one (node-runs.ts), and
 * these keep its workflowRunUrl and workflowRunId.
 */
function linkOf(run: Partial<Pick<StagedRun, 'htmlUrl' | 'externalRunId'>>): Pick<PortPatch, 'link' | 'externalRunId'> {
  const patch: Pick<PortPatch, 'link' | 'externalRunId'> = {};
  if (run.htmlUrl) patch.link = run.htmlUrl;
  if (run.externalRunId) patch.externalRunId = run.externalRunId;
  return patch;
}

export type MessageProcessor = ReturnType<typeof createMessageProcessor>;

/** Left of a claimed run's dispatch deadline after the look for an interrupted dispatch's run: the repository read, the label write and the POST. */
const CLAIMED_DISPATCH_MARGIN_MS = 5_000;

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
