import { type AgentError, toAgentError } from '../errors.js';
import { buildDispatch, maxInputsFor } from '../github/build-dispatch.js';
import { dispatchWorkflow } from '../github/dispatch-workflow.js';
import { evaluatePolicy } from '../policy/evaluate-policy.js';
import { retry } from '../util/backoff.js';
import { needsAckFirst } from './ack-first.js';
import { externalRunId } from './external-run-id.js';
import { rateLimitDelayLine } from './rate-limit-delay.js';
import type { ProcessorDeps } from './processor-deps.js';
import type { Resume } from './resume.js';
import { DISPATCHED_LABEL, DISPATCHING_LABEL } from './run-labels.js';
import type { RunReports } from './run-reports.js';
import { LeaseExpired, type RunScope } from './run-scope.js';
import { type StagedRun, isRefused, linkOf } from './staged-run.js';
import { dispatchedHere } from './verified-run.js';

/**
 * The dispatch path: from Port's record to a GitHub run dispatched (or resumed from what Port
 * recorded), paced per repository and bounded by the dispatch slots. Made once per processor;
 * each call takes the run's scope.
 */
export function createDispatchStage(
  deps: Pick<
    ProcessorDeps,
    'settings' | 'api' | 'reporter' | 'dispatchSlots' | 'dispatchPacer' | 'dispatch' | 'version' | 'metrics' | 'clock'
  >,
  reports: Pick<RunReports, 'fail' | 'refuseRecorded' | 'openRecord'>,
  resumption: Pick<Resume, 'resume'>,
) {
  const { settings, reporter, metrics, clock } = deps;

  /** The run dispatched, or undefined when it was refused, reported FAILURE or found done (all reported and counted). */
  /**
   * GitHub's budget holds the run back: the run says so in Port, as Ocean's does (a log line;
   * rate-limit-delay.ts). Who can cause it: anyone whose runs fill a repository's dispatch budget
   * (each run is a trusted, decoded message or claim by now), or GHES answering a dispatch with a
   * rate limit. What it writes is the agent's own sentence with a number of seconds, never
   * GitHub's text; it is a log line (no status, no label), sent while this replica owns the run.
   */
  function noteDelay(scope: RunScope, delayMs: number): void {
    const line = rateLimitDelayLine(delayMs);
    if (line === undefined) return;
    metrics.rateLimitDelays.inc({ intake: scope.ctx.intake });
    void reporter.send(scope.run.runId, { kind: 'log', log: { message: line, level: 'WARN' } }, scope.owned).catch(() => undefined);
  }

  /**
   * The intent ("Dispatching workflow") written before the POST. For a claimed run not yet
   * acknowledged, a refusal that Port would not take back (ack-first.ts needsAckFirst) makes the
   * run fall back to Ocean's order: acknowledged, then the intent written again. Who can cause
   * it: only Port's answer to the agent's own write; the acknowledgement is the one the intake
   * would send after the dispatch anyway (ctx.ackFirst: only for a run Port handed to this
   * replica's claim, while the claim holds). False: the run is no longer this replica's.
   */
  async function writeIntent(scope: RunScope): Promise<boolean> {
    const { run, ctx, owned } = scope;
    let refused: AgentError | undefined;
    const label = { kind: 'patch' as const, patch: { statusLabel: DISPATCHING_LABEL } };
    await reporter.send(run.runId, label, owned, { onRefused: (err) => (refused = err) });
    if (refused === undefined || !ctx.ackFirst || !needsAckFirst(refused)) return true;
    metrics.ackFirstFallbacks.inc({ intake: ctx.intake });
    scope.log.warn(
      `Port refused a write to run ${run.runId} before its acknowledgement (${refused.status}: ${refused.message}); acknowledging it first, as Ocean does, then writing again`,
      { status: refused.status },
    );
    if (!(await ctx.ackFirst())) return false;
    await reporter.send(run.runId, label, owned);
    return true;
  }

  async function dispatch(scope: RunScope): Promise<StagedRun | undefined> {
    const { run, signal } = scope;
    // Paced before taking a dispatch slot: a backlog for one repository waits here while
    // other repositories' runs go ahead.
    const startAt = deps.dispatchPacer?.reserve(`${run.org}/${run.repo}`.toLowerCase(), clock.now()) ?? 0;
    if (startAt > clock.now()) {
      metrics.limitReached.inc({ limit: 'dispatch_rate' });
      noteDelay(scope, startAt - clock.now());
      await clock.sleep(startAt - clock.now(), signal);
    }
    return deps.dispatchSlots ? await deps.dispatchSlots.run(() => dispatchStage(scope)) : await dispatchStage(scope);
  }

  /**
   * From Port's record to a dispatched run (or a refusal reported to Port): the short, busy part
   * of a run, at most `dispatchSlots` at a time. A backlog then waits in the intake's hands as
   * data instead of as thousands of concurrent requests, which cost memory and time.
   */
  async function dispatchStage(scope: RunScope): Promise<StagedRun | undefined> {
    const { run, ctx, signal, owned } = scope;
    const retryOpts = { clock, maxAttempts: Infinity, signal, capMs: 60_000 };
    const existing = await reports.openRecord(scope);
    if (!existing) return undefined;

    let dispatched: StagedRun | undefined;
    let ref: string | undefined;
    try {
      const resumed = await resumption.resume(scope, existing);
      if (isRefused(resumed)) return void (await reports.refuseRecorded(scope, resumed.refused));
      if (resumed) {
        scope.count('resumed');
        scope.log.info(`resuming GitHub run ${resumed.runId} recorded for this Port run`, { ghRunId: resumed.runId });
        dispatched = resumed;
      } else {
        scope.checkLease(clock.now());
        const repo = await retry(() => deps.api.repo(run.org, run.repo), retryOpts);
        const request = buildDispatch(run, {
          defaultBranch: repo.defaultBranch,
          maxInputs: maxInputsFor([deps.version[0], deps.version[1]]),
          runIdInput: settings.runIdInput,
        });
        ref = request.ref;
        const policy = evaluatePolicy(settings.policy, {
          org: run.org,
          repo: run.repo,
          workflow: run.workflow,
          ref: request.ref,
          defaultBranch: repo.defaultBranch,
        });
        if (!policy.allowed) return void (await reports.fail(scope, policy.reason, 'policy_denied'));

        scope.checkLease(clock.now());
        if (!(await writeIntent(scope))) return undefined;
        if (signal.aborted) throw new Error('aborted');
        // The label write may have waited through an outage of Port: the lease is checked again
        // right before the one request that must never be sent twice.
        scope.checkLease(clock.now());
        const made = await dispatchWorkflow({ ...deps.dispatch, signal, onRateLimitWait: (ms) => noteDelay(scope, ms) }, run, request);
        // Dispatched by this process into the invocation's repository and workflow, after the policy: followed as it is.
        const verified = dispatchedHere({ portRunId: run.runId, org: run.org, repo: run.repo, ghRunId: made.runId, htmlUrl: made.htmlUrl });
        dispatched = { ...made, verified, fresh: true, externalRunId: externalRunId(repo.ownerId, repo.id, made.runId) };
        metrics.dispatches.inc({ outcome: 'success', reason: dispatched.via, intake: ctx.intake });
        metrics.messageToDispatch.observe({ intake: ctx.intake }, Math.max(0, clock.now() - ctx.writtenAtMs) / 1000);
        await reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(dispatched), statusLabel: DISPATCHED_LABEL } }, owned);
        const line = `Dispatched ${run.org}/${run.repo} ${run.workflow} on ${request.ref}: ${dispatched.htmlUrl}`;
        scope.log.info(line, { ghRunId: dispatched.runId });
        void reporter.send(run.runId, { kind: 'log', log: { message: line } }, owned).catch(() => undefined);
        scope.count('dispatched');
      }
    } catch (raw) {
      const err = toAgentError(raw);
      if (signal.aborted || err instanceof LeaseExpired) throw err;
      metrics.dispatches.inc({ outcome: 'failure', reason: err.code, intake: ctx.intake });
      return void (await reports.fail(
        scope,
        `could not dispatch ${run.org}/${run.repo} ${run.workflow}${ref ? ` on ${ref}` : ''}: ${err.message}`,
        'dispatch_failed',
      ));
    }
    return dispatched;
  }

  return { dispatch };
}
