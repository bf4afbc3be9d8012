import { closeIssueExecutor } from '../actions/close-issue.js';
import { closePullRequestExecutor } from '../actions/close-pull-request.js';
import { createIssueExecutor } from '../actions/create-issue.js';
import { createPrCommentExecutor } from '../actions/create-pr-comment.js';
import { createPullRequestExecutor } from '../actions/create-pull-request.js';
import { deletePrCommentExecutor } from '../actions/delete-pr-comment.js';
import { dispatchWorkflowExecutor } from '../actions/dispatch-workflow.js';
import { editIssueExecutor } from '../actions/edit-issue.js';
import { editPrCommentExecutor } from '../actions/edit-pr-comment.js';
import { type WriteDeps, unavailableOn } from '../actions/executor.js';
import { mergePullRequestExecutor } from '../actions/merge-pull-request.js';
import { createActionRegistry } from '../actions/registry.js';
import { reviewPullRequestExecutor } from '../actions/review-pull-request.js';
import { updatePullRequestExecutor } from '../actions/update-pull-request.js';
import { evaluateTarget } from '../policy/evaluate-policy.js';
import type { PortPatch } from '../types/port-run.js';
import type { RunRequest } from '../types/run-request.js';
import { createDispatchStage } from './dispatch-stage.js';
import type { ProcessorDeps } from './processor-deps.js';
import { createResume } from './resume.js';
import { type RecordRead, createRunReports } from './run-reports.js';
import { type Intake, type RunContext, type RunWhere, RunScope, countMessage } from './run-scope.js';
import { isRefused } from './staged-run.js';
import { createRunTracker } from './track-run.js';

/** A decoded, checked run: what is left to do, retried whole by the poison guard. */
export interface PreparedRun {
  where: RunWhere;
  intake: Intake;
  /** The Port run (r_… or wfnr_…) it names, to report FAILURE if it cannot be handled. */
  runId?: string;
  handle(signal: AbortSignal, owned: AbortSignal): Promise<void>;
}

/** What the intakes (kafka/prepare-record.ts, claim/claim-intake.ts) ask of the processor. */
export interface MessageProcessor {
  /** A run to handle. */
  job(run: RunRequest, ctx: RunContext): PreparedRun;
  /** A run that names itself but cannot be handled: reported FAILURE with the reason (`fields` go to its log line only). */
  refusal(runId: string, ctx: RunContext, reason: string, outcome: string, fields?: Record<string, unknown>): PreparedRun;
  /** Counts an outcome for which nothing is done (skipped, invalid without a run id). */
  count(intake: Intake, outcome: string): void;
  /** The terminal PATCH, once per run across replicas (run-reports.ts). */
  finalReport(runId: string, patch: PortPatch, owned: AbortSignal, read?: RecordRead): Promise<void>;
  /** The claim intake asks before holding a run: a run of another agent's organization is left unacknowledged. */
  servesOrg(run: Pick<RunRequest, 'runId' | 'org'>, ctx: Pick<RunContext, 'intake' | 'where'>): boolean;
}

/**
 * One run, from the intake's hands to a finished, reported run: an intake decodes and checks it
 * and asks for a `job`, whose `handle` does the rest. `handle` resolves when the run is done
 * for good — finished and reported, or refused and reported FAILURE — so the intake may commit
 * its offset or let its claim go. It rejects only when aborted (shutdown, or the run moved to
 * another replica) or when its lease ran out before the dispatch (LeaseExpired): the run is
 * then handed out again and resumed from what Port and GHES recorded, never dispatched twice.
 *
 * Each run is one RunScope (run-scope.ts) passed down two paths of their own: the dispatch path
 * (dispatch-stage.ts, with the resumption from Port's record: resume.ts) and the tracking path
 * (track-run.ts); what it reads from and ends with in Port is run-reports.ts.
 */
export function createMessageProcessor(deps: ProcessorDeps): MessageProcessor {
  const { settings, metrics } = deps;
  const log = deps.logger.child({ component: 'processor' });
  // The registry is built below, from `reports`; its labels are asked for only once runs come.
  const reports = createRunReports({ port: deps.port, reporter: deps.reporter, clock: deps.clock, log, actionLabels: () => actionLabels });
  const resumption = createResume(deps);
  const dispatchStage = createDispatchStage(deps, reports, resumption);
  const tracker = createRunTracker(deps, reports);
  // Issue 24: one executor per action type, chosen from a registry (agent/actions/); today's
  // dispatch → track → report path is dispatch_workflow's.
  const writeDeps: WriteDeps | undefined = deps.content && {
    reports,
    reporter: deps.reporter,
    content: deps.content,
    version: deps.version,
    policy: settings.policy,
    actor: deps.actor,
    clock: deps.clock,
  };
  const registry = createActionRegistry([
    dispatchWorkflowExecutor({ handle: handleRun }),
    ...(writeDeps
      ? [
          createPullRequestExecutor(writeDeps),
          createIssueExecutor(writeDeps),
          createPrCommentExecutor(writeDeps),
          closePullRequestExecutor(writeDeps),
          updatePullRequestExecutor(writeDeps),
          mergePullRequestExecutor(writeDeps),
          reviewPullRequestExecutor(writeDeps),
          editIssueExecutor(writeDeps),
          closeIssueExecutor(writeDeps),
          editPrCommentExecutor(writeDeps),
          deletePrCommentExecutor(writeDeps),
        ]
      : []),
  ]);
  const actionLabels = registry.labels();
  const scope = <R extends Pick<RunRequest, 'runId'>>(run: R, ctx: RunContext, signal: AbortSignal, owned: AbortSignal) =>
    new RunScope(run, ctx, signal, owned, log, metrics);

  /** A run to handle. Built outside the intakes' decoding: a closure made there would keep the decoded message alive for the run's whole life. */
  function job(run: RunRequest, ctx: RunContext): PreparedRun {
    const route = deps.orgRoute?.(run.org) ?? 'mine';
    if (route === 'not_mine') {
      // Another agent (another GHES) serves this organization: no request, no report, committed.
      return { where: ctx.where, intake: ctx.intake, handle: () => Promise.resolve(notMine(run, ctx)) };
    }
    if (route === 'unserved') {
      const reason = `no ghes-agent serves the GitHub organization "${run.org}" (this catch-all agent serves ${settings.orgs.join(', ')}; the others ${settings.otherAgentsOrgs.join(', ') || 'none'}): add it to one agent's github.orgs`;
      return refusal(run.runId, ctx, reason, 'unserved_org');
    }
    const executor = registry.executorFor(run);
    if (!executor) {
      const type = run.action?.type ?? '';
      const why =
        unavailableOn(type, deps.version) ?? `ghes-agent has no executor for ${type} (it executes ${registry.types().join(', ')})`;
      return refusal(run.runId, ctx, why, 'unsupported');
    }
    return {
      where: ctx.where,
      intake: ctx.intake,
      runId: run.runId,
      handle: (signal, owned) => executor.execute(scope(run, ctx, signal, owned)),
    };
  }

  /** Counts and logs a run left to the agent that serves its organization. */
  function notMine(run: Pick<RunRequest, 'runId' | 'org'>, ctx: Pick<RunContext, 'intake' | 'where'>): void {
    countMessage(metrics, ctx.intake, 'not_mine');
    log.debug(`run ${run.runId} is for ${run.org}, which this agent does not serve (github.orgs); left to its agent`, {
      runId: run.runId,
      ...ctx.where,
    });
  }

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
    return {
      where: ctx.where,
      intake: ctx.intake,
      runId,
      handle: (signal, owned) => reports.refuse(scope({ runId }, ctx, signal, owned), reason, outcome, fields),
    };
  }

  function count(intake: Intake, outcome: string): void {
    countMessage(metrics, intake, outcome);
  }

  async function handleRun(s: RunScope): Promise<void> {
    const { run, ctx } = s;
    // Issue 23: the organization, repository and workflow the run names are decided by the
    // policy before any GHES request for it, resumes and take-overs included. Who: anyone who
    // can get a run to this agent (a Port user running an action, a topic writer whose message
    // passed the intake's checks). What stops them reading, tracking or cancelling outside the
    // policy: this check; and a denied repository that exists and one that does not get the same
    // answer, as neither is read.
    const target = evaluateTarget(settings.policy, run);
    if (!target.allowed) {
      if (await reports.openRecord(s)) await reports.fail(s, target.reason, 'policy_denied');
      return;
    }
    // Issue 15: a redelivered message whose GitHub run is going on needs no Port read, no
    // dispatch pacing and no dispatch slot: new messages are not queued behind resumptions.
    const located = (await resumption.locateOnGithub(s)) ?? (await resumption.recordedInClaim(s));
    if (isRefused(located)) return void (await reports.refuseRecorded(s, located.refused));
    if (located) {
      if (ctx.handOff && !(await ctx.handOff({ link: located.htmlUrl || undefined, externalRunId: located.externalRunId }))) return;
      return void (await tracker.track(s, located));
    }
    const dispatched = await dispatchStage.dispatch(s);
    if (!dispatched) return;
    if (ctx.handOff && !(await ctx.handOff({ link: dispatched.htmlUrl || undefined, externalRunId: dispatched.externalRunId }))) {
      s.log.info('another replica holds this run now; leaving it to that replica');
      return;
    }
    await tracker.track(s, dispatched);
  }

  return { job, refusal, count, finalReport: (...a) => reports.finalReport(...a), servesOrg };
}
