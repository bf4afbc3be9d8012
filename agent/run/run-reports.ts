import type { Logger } from '../observability/logger.js';
import type { PortRunApi } from '../port/port-client.js';
import type { Reporter } from '../port/reporter.js';
import type { PortPatch, PortRun } from '../types/port-run.js';
import { type Clock, retry } from '../util/backoff.js';
import { COMPLETED_LABEL_PREFIX, showsDispatch } from './run-labels.js';
import type { RunScope } from './run-scope.js';
import { type StagedRun, linkOf } from './staged-run.js';

/** Port's record read for a run's final report: `record` undefined when Port refused the read for good. */
export type RecordRead = { record: PortRun | undefined };

/** What a run reads from and ends with in Port (createRunReports). */
export interface RunReports {
  /** Port's record of a run, retried through outages; undefined when Port refuses the read for good. */
  readRun(runId: string, owned: AbortSignal): Promise<PortRun | undefined>;
  /** The terminal PATCH, once per run across replicas (Port's record is asked first). */
  finalReport(runId: string, patch: PortPatch, owned: AbortSignal, read?: RecordRead): Promise<void>;
  /** The run ends FAILURE with `reason` (its log line and summary), counted as `outcome`. */
  fail(
    scope: RunScope<{ runId: string }>,
    reason: string,
    outcome: string,
    known?: Partial<Pick<StagedRun, 'htmlUrl' | 'externalRunId'>>,
    fields?: Record<string, unknown>,
    read?: RecordRead,
  ): Promise<void>;
  /** A refusal's report: nothing written when Port's record shows the run dispatched already (issue 23). */
  refuse(scope: RunScope<{ runId: string }>, reason: string, outcome: string, fields: Record<string, unknown>): Promise<void>;
  /** A recorded GitHub run that is not the invocation's: the Port run ends FAILURE with the reason. */
  refuseRecorded(scope: RunScope, reason: string): Promise<void>;
  /** Port's record of a run still to be handled; undefined (counted, logged) when Port does not know it or it is done. */
  openRecord(scope: RunScope): Promise<PortRun | undefined>;
}

/**
 * What a run reads from and ends with in Port: its record before the work, its FAILURE, its final
 * status once across replicas. Made once per processor; each call takes the run's scope.
 */
export function createRunReports(deps: {
  port: PortRunApi;
  reporter: Reporter;
  clock: Clock;
  /** The processor's logger. */
  log: Logger;
  /** The action types' own status labels (registry.ts labels): a run showing one is under way. */
  actionLabels?: () => ReadonlySet<string>;
}): RunReports {
  const { port, reporter, clock, log } = deps;

  /**
   * Port's record of a run, retried through outages; undefined when Port refuses the read for good.
   * `externalRunId`, once the run is dispatched: a workflow-node run is read by it (port-client.ts).
   */
  async function readRun(runId: string, owned: AbortSignal, externalRunId?: string): Promise<PortRun | undefined> {
    return retry(() => port.getRun(runId, externalRunId ? { externalRunId } : undefined), {
      clock,
      maxAttempts: Infinity,
      signal: owned,
      capMs: 30_000,
    }).catch((err) => {
      if (owned.aborted) throw err;
      return undefined;
    });
  }

  /**
   * The terminal PATCH, once per run across replicas: when a run moves to another replica, the
   * one that lost it may have had this very report on the wire. Asking Port first closes that
   * window down to one request's flight time; its cost is one GET per run.
   */
  async function finalReport(runId: string, patch: PortPatch, owned: AbortSignal, read?: RecordRead): Promise<void> {
    // Port refused the read for good (undefined): send the status anyway, Port refuses a second one.
    // The patch carries the run's externalRunId once it is dispatched (staged-run.ts linkOf).
    const current = read ? read.record : await readRun(runId, owned, patch.externalRunId);
    if (current?.status === 'SUCCESS' || current?.status === 'FAILURE') {
      log.info(`run ${runId} is already ${current.status} in Port; final status not sent again`, { runId });
      return;
    }
    await reporter.send(runId, { kind: 'patch', patch }, owned);
  }

  /** The run ends FAILURE with `reason` (its log line and summary), counted as `outcome`. */
  async function fail(
    scope: RunScope<{ runId: string }>,
    reason: string,
    outcome: string,
    known: Partial<Pick<StagedRun, 'htmlUrl' | 'externalRunId'>> = {},
    fields: Record<string, unknown> = {},
    read?: RecordRead,
  ): Promise<void> {
    const { run, ctx, owned } = scope;
    scope.count(outcome);
    scope.base.warn(`run ${run.runId} failed: ${reason}`, { runId: run.runId, outcome, ...ctx.where, ...fields });
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
  async function refuse(
    scope: RunScope<{ runId: string }>,
    reason: string,
    outcome: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const { run, ctx } = scope;
    const record = await readRun(run.runId, scope.owned);
    if (record && showsDispatch(record, deps.actionLabels?.())) {
      scope.count('refusal_ignored');
      scope.base.warn(
        `run ${run.runId} is dispatched already (Port shows ${record.link || record.externalRunId ? 'its GitHub run' : `"${record.statusLabel}"`}); a refusal does not end it, nothing written: ${reason}`,
        {
          runId: run.runId,
          outcome: 'refusal_ignored',
          refusedAs: outcome,
          ...ctx.where,
          ...fields,
        },
      );
      return;
    }
    await fail(scope, reason, outcome, {}, fields, { record });
  }

  /**
   * A recorded GitHub run that is not the invocation's: the Port run ends FAILURE with the reason
   * (in its log and summary), with no link to that run, which is neither followed nor cancelled.
   */
  async function refuseRecorded(scope: RunScope, reason: string): Promise<void> {
    await fail(scope, `refusing to follow the GitHub run recorded for this Port run: ${reason}`, 'recorded_run_refused');
  }

  /** Port's record of a run still to be handled; undefined (counted, logged) when Port does not know it or it is done. */
  async function openRecord(scope: RunScope): Promise<PortRun | undefined> {
    const { run, ctx, signal } = scope;
    const existing = ctx.record ?? (await retry(() => port.getRun(run.runId), { clock, maxAttempts: Infinity, signal, capMs: 60_000 }));
    if (!existing) {
      scope.count('unknown_run');
      scope.log.warn('Port does not know this run (404); skipped');
      return undefined;
    }
    if (existing.status === 'SUCCESS' || existing.status === 'FAILURE' || existing.statusLabel?.startsWith(COMPLETED_LABEL_PREFIX)) {
      scope.count('already_finished');
      scope.log.info(
        `run already ${existing.status === 'IN_PROGRESS' ? `done (${existing.statusLabel})` : existing.status} in Port; nothing to do`,
      );
      return undefined;
    }
    return existing;
  }

  return { readRun, finalReport, fail, refuse, refuseRecorded, openRecord };
}
