import { portStatusFor, statusLine } from '../tracking/conclusion.js';
import type { ProcessorDeps } from './processor-deps.js';
import { COMPLETED_LABEL_PREFIX } from './run-labels.js';
import type { RunReports } from './run-reports.js';
import type { RunScope } from './run-scope.js';
import { type StagedRun, linkOf } from './staged-run.js';

/**
 * The tracking path: a dispatched or resumed GitHub run followed until it completes, times out
 * or disappears, with its statuses, job progress and failure excerpt written to Port, then its
 * final report. Made once per processor; each call takes the run's scope.
 */
export function createRunTracker(
  deps: Pick<ProcessorDeps, 'settings' | 'reporter' | 'watcher' | 'insight' | 'cancellation' | 'metrics' | 'clock'>,
  reports: Pick<RunReports, 'fail' | 'finalReport'>,
) {
  const { settings, reporter, metrics, clock } = deps;

  async function track(scope: RunScope, dispatched: StagedRun): Promise<void> {
    const { run, ctx, signal, owned } = scope;
    const startedMs = clock.now();
    // Issue 15: a resumed run's first status was most likely logged by its previous owner; it
    // is not logged again (a request per run per hand-over) unless it differs from what the
    // resumption saw. Unknown (Port's record path): the first status is taken as already logged.
    let alreadyLogged: string | undefined = dispatched.fresh ? undefined : (dispatched.status ?? '*');
    metrics.runsInFlight.inc({ intake: ctx.intake });
    const say = (message: string) => void reporter.send(run.runId, { kind: 'log', log: { message } }, owned).catch(() => undefined);
    // Jobs, reviewers and failure logs are read, and the run cancelled when its Port run ends, only
    // through `verified`: a run this process dispatched, or one checked against the invocation
    // (resume.ts verifyRecorded). Who could otherwise aim these at another run: a Port user writing a run's
    // link or externalRunId, or anyone planting a run with the Port run id in its run-name.
    const followed = dispatched.verified;
    const insight = deps.insight?.follow(followed, say, signal, { resumed: !dispatched.fresh });
    const stopCancelWatch = deps.cancellation?.follow(followed, signal, dispatched.externalRunId);
    let outcome;
    try {
      outcome = await deps.watcher.watch(
        {
          portRunId: run.runId,
          org: run.org,
          repo: run.repo,
          ghRunId: dispatched.runId,
          sinceMs: startedMs,
          fresh: dispatched.fresh,
          createdAfterMs: dispatched.createdAfterMs,
          createdAt: dispatched.createdAt,
        },
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
      scope.log.info(`Workflow completed: ${conclusion}`, { ghRunId: dispatched.runId, conclusion });
      // Why it failed (failed jobs, the failed step's last lines): bounded in time, never throws.
      const why =
        conclusion !== 'cancelled' && portStatusFor(conclusion) === 'FAILURE' ? await deps.insight?.onFailure(followed, signal) : undefined;
      for (const line of why?.lines ?? []) say(line);
      const logDone = reporter.send(run.runId, { kind: 'log', log: { message: `Workflow completed: ${conclusion}` } }, owned);
      const label = `${COMPLETED_LABEL_PREFIX}: ${conclusion}`;
      // Without status reporting the run stays IN_PROGRESS in Port: the label says it is done.
      // Issue 24: a workflow node's output carries the conclusion beside the run's URL and id,
      // as Ocean's does since ocean PR #3980 (dispatch_workflow_executor.py); action runs have no output.
      const nodeOutput = run.runKind === 'workflow-node' ? { nodeOutput: { conclusion } } : {};
      if (!run.reportWorkflowStatus)
        return void (await Promise.all([
          logDone,
          reporter.send(run.runId, { kind: 'patch', patch: { ...linkOf(dispatched), statusLabel: label, ...nodeOutput } }, owned),
        ]));
      const status = portStatusFor(conclusion);
      await Promise.all([
        logDone,
        reports.finalReport(
          run.runId,
          {
            ...linkOf(dispatched),
            ...nodeOutput,
            status,
            statusLabel: `Workflow ${conclusion}`,
            summary: withExcerpt(
              `GitHub workflow run ${outcome.run.html_url || dispatched.htmlUrl} completed: ${conclusion}`,
              why?.summary,
            ),
          },
          owned,
        ),
      ]);
      return;
    }
    const cancelled =
      outcome.kind === 'timed_out' && settings.cancelOnTimeout && deps.cancellation
        ? await deps.cancellation.onTimeout(followed, signal)
        : undefined;
    const reason =
      outcome.kind === 'timed_out'
        ? `timed out waiting for the workflow run ${dispatched.htmlUrl} to complete after ${settings.maxWaitMs / 1000}s (last status: ${outcome.lastStatus ?? 'unknown'}); ${cancelled === undefined ? 'the GitHub run was left alone' : `cancelling the GitHub run: ${cancelled.replace('_', ' ')}`}`
        : `the workflow run ${dispatched.htmlUrl} disappeared from GHES: ${outcome.reason}`;
    if (outcome.kind === 'timed_out') metrics.runsTimedOut.inc({ intake: ctx.intake });
    if (!run.reportWorkflowStatus) {
      scope.log.warn(reason);
      await Promise.all([
        reporter.send(run.runId, { kind: 'log', log: { message: reason, level: 'WARN' } }, owned),
        reporter.send(
          run.runId,
          {
            kind: 'patch',
            patch: {
              ...linkOf(dispatched),
              statusLabel: `${COMPLETED_LABEL_PREFIX}: ${outcome.kind === 'timed_out' ? 'timed out' : 'run gone'}`,
            },
          },
          owned,
        ),
      ]);
      return;
    }
    return reports.fail(scope, reason, outcome.kind === 'timed_out' ? 'timed_out' : 'run_gone', dispatched);
  }

  return { track };
}

/** The run's summary with the failure excerpt, within Port's summary size (the excerpt is bounded by insight.excerptMaxBytes). */
function withExcerpt(summary: string, excerpt: string | undefined): string {
  return excerpt ? `${summary}\n\n${excerpt}` : summary;
}
