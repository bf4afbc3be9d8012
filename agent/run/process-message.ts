import type { AgentConfig } from '../config/schema.js';
import { toAgentError } from '../errors.js';
import { buildDispatch, maxInputsFor } from '../github/build-dispatch.js';
import type { DispatchPacer } from '../github/dispatch-pacer.js';
import { type DispatchContext, type DispatchedRun, dispatchWorkflow, findExistingRun } from '../github/dispatch-workflow.js';
import type { GithubApi } from '../github/github-api.js';
import type { Version } from '../github/ghes-version.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { evaluatePolicy } from '../policy/evaluate-policy.js';
import { type MessageKeys, decodeMessage, messageKeys } from '../port/decode-message.js';
import type { PortClient, PortPatch, PortRun } from '../port/port-client.js';
import type { Reporter } from '../port/reporter.js';
import type { RunRequest } from '../port/run-request.js';
import { createSignatureVariantNote } from '../port/signature-variant-note.js';
import { verifySignature } from '../port/verify-signature.js';
import { portStatusFor, statusLine } from '../tracking/conclusion.js';
import type { RunWatcher } from '../tracking/run-watcher.js';
import { type Clock, retry } from '../util/backoff.js';
import type { Semaphore } from '../util/semaphore.js';
import { externalRunId, recordedGithubRunId } from './external-run-id.js';
import { findRunByRunName } from './find-interrupted-run.js';

export interface IncomingMessage {
  value: Buffer | null;
  timestampMs: number;
  topic: string;
  partition: number;
  offset: string;
}

/** Where a Kafka record sits: the log fields of everything done for it. */
export type RecordWhere = { topic: string; partition: number; offset: string };

/** The Kafka record a run came from: log fields, and its write time for look-up windows. */
interface RecordMeta {
  where: RecordWhere;
  writtenAtMs: number;
}

/** A run on GHES, `fresh` when dispatched here and now (created at about now), not resumed. */
type StagedRun = DispatchedRun & { fresh?: boolean };

/** A decoded, checked message: what is left to do, retried whole by the poison guard. */
export interface PreparedMessage {
  where: RecordWhere;
  /** The Port action run (r_…) it names, to report FAILURE if it cannot be handled. */
  runId?: string;
  handle(signal: AbortSignal, owned: AbortSignal): Promise<void>;
}

/** Written to Port before the POST: a redelivered message that finds it looks on GHES first. */
export const DISPATCHING_LABEL = 'Dispatching workflow';

export interface ProcessorDeps {
  config: AgentConfig;
  port: PortClient;
  reporter: Reporter;
  api: GithubApi;
  watcher: RunWatcher;
  /** Bounds the messages between Port's record and the dispatch at once; unbounded when absent. */
  dispatchSlots?: Semaphore;
  /** Keeps dispatches per repository under GitHub's Actions limit; unpaced when absent. */
  dispatchPacer?: DispatchPacer;
  dispatch: Omit<DispatchContext, 'signal'>;
  version: Version;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}

/**
 * One message, from Kafka bytes to a finished, reported run: `prepare` decodes and checks it
 * once, then its `handle` does the rest. `handle` resolves when the message is done for good —
 * its run finished and reported, or the message refused and, when it names a run, reported
 * FAILURE — so the consumer may commit its offset. It rejects only when aborted
 * (shutdown, or the partition moved to another replica): the message is then redelivered and
 * resumed from what Port and GHES recorded, never dispatched twice.
 */
export function createMessageProcessor(deps: ProcessorDeps) {
  const { config, metrics, reporter, clock } = deps;
  const log = deps.logger.child({ component: 'processor' });
  const noteSignatureVariant = createSignatureVariantNote({ metrics, logger: log });

  async function fail(run: { runId: string }, reason: string, outcome: string, owned: AbortSignal, fields: Record<string, unknown> = {}): Promise<void> {
    metrics.messages.inc({ outcome });
    log.warn(`run ${run.runId} failed: ${reason}`, { runId: run.runId, outcome, ...fields });
    await Promise.all([
      reporter.send(run.runId, { kind: 'log', log: { message: `ghes-agent: ${reason}` } }, owned),
      finalReport(run.runId, { status: 'FAILURE', summary: reason.slice(0, 2000), statusLabel: 'Failed' }, owned),
    ]);
  }

  /**
   * The terminal PATCH, once per run across replicas: when a partition moves, the replica that
   * lost it may have had this very report on the wire. Asking Port first closes that window
   * down to one request's flight time; its cost is one GET per run.
   */
  async function finalReport(runId: string, patch: PortPatch, owned: AbortSignal): Promise<void> {
    const current = await retry(() => deps.port.getRun(runId), { clock, maxAttempts: Infinity, signal: owned, capMs: 30_000 }).catch((err) => {
      if (owned.aborted) throw err;
      return undefined; // Port refused the read for good: send the status anyway, Port refuses a second one
    });
    if (current?.status === 'SUCCESS' || current?.status === 'FAILURE') {
      log.info(`run ${runId} is already ${current.status} in Port; final status not sent again`, { runId });
      return;
    }
    await reporter.send(runId, { kind: 'patch', patch }, owned);
  }

  /**
   * Decodes and checks one Kafka message, once, and returns what is left to do. Nothing returned
   * holds the message's bytes or its parsed JSON: a run tracked for hours keeps only its
   * RunRequest, not the Kafka record (whose value is a slice of a whole fetch response).
   */
  function prepare(msg: IncomingMessage): PreparedMessage {
    const where = { topic: msg.topic, partition: msg.partition, offset: msg.offset };
    const decoded = decodeMessage(msg.value, config.kafka.maxMessageBytes);
    if (decoded.kind === 'skip') {
      metrics.messages.inc({ outcome: 'skipped' });
      log.info(`skipped message: ${decoded.reason}`, { ...where, runId: decoded.runId, ...decoded.keys });
      return { where, handle: async () => undefined };
    }
    if (decoded.kind === 'invalid') {
      if (decoded.limit) metrics.limitReached.inc({ limit: decoded.limit });
      if (decoded.runId?.startsWith('r_')) return refusal({ ...where, ...decoded.keys }, decoded.runId, `invalid run message: ${decoded.reason}`, 'invalid');
      metrics.messages.inc({ outcome: 'invalid' });
      log.warn(`invalid message: ${decoded.reason}`, { ...where, runId: decoded.runId, ...decoded.keys });
      return { where, handle: async () => undefined };
    }
    const { message, signature, ...run } = decoded.run;
    const verdict = verifySignature({
      message,
      signature,
      secret: config.port.clientSecret,
      mode: config.signature.mode,
      maxAgeSeconds: config.signature.maxAgeSeconds,
      nowMs: clock.now(),
      writtenAtMs: msg.timestampMs,
    });
    if (!verdict.ok) return refusal({ ...where, ...messageKeys(message) }, run.runId, `message refused: ${verdict.reason}`, 'signature_rejected');
    if (verdict.checked) noteSignatureVariant(verdict.variant, { ...where, runId: run.runId });
    if (run.runKind === 'workflow-node') {
      metrics.messages.inc({ outcome: 'unsupported' });
      log.warn('workflow-node runs (wfnr_) are not supported by this agent; skipped', { ...where, runId: run.runId });
      return { where, handle: async () => undefined };
    }
    return runJob(run, { where, writtenAtMs: msg.timestampMs });
  }

  // Built outside prepare(): a closure made there would keep prepare's whole scope, the decoded
  // message included, alive for as long as the run is handled.
  // `fields` is the record's place, and for a refused message the names of its keys (MessageKeys).
  function refusal(fields: RecordWhere & Partial<MessageKeys>, runId: string, reason: string, outcome: string): PreparedMessage {
    const where = { topic: fields.topic, partition: fields.partition, offset: fields.offset };
    return { where, runId: runId.startsWith('r_') ? runId : undefined, handle: (_signal, owned) => fail({ runId }, reason, outcome, owned, fields) };
  }

  function runJob(run: RunRequest, meta: RecordMeta): PreparedMessage {
    return { where: meta.where, runId: run.runId, handle: (signal, owned) => handleRun(run, meta, signal, owned) };
  }

  /**
   * `signal` aborts the work (tracking, dispatch); `owned` aborts when the run now belongs to
   * another replica, and cancels the reports not yet sent. At shutdown only `signal` aborts
   * first, so reports already queued are still delivered while this replica holds the partition.
   */
  async function handleRun(run: RunRequest, meta: RecordMeta, signal: AbortSignal, owned: AbortSignal): Promise<void> {
    const runLog = log.child({ runId: run.runId, repo: `${run.org}/${run.repo}`, workflow: run.workflow, ...meta.where });
    // Paced before taking a dispatch slot: a backlog for one repository waits here while
    // other repositories' messages go ahead.
    const startAt = deps.dispatchPacer?.reserve(`${run.org}/${run.repo}`.toLowerCase(), clock.now()) ?? 0;
    if (startAt > clock.now()) {
      metrics.limitReached.inc({ limit: 'dispatch_rate' });
      await clock.sleep(startAt - clock.now(), signal);
    }
    const dispatched = deps.dispatchSlots
      ? await deps.dispatchSlots.run(() => dispatchStage(run, runLog, meta, signal, owned))
      : await dispatchStage(run, runLog, meta, signal, owned);
    if (!dispatched) return;
    await track(run, dispatched, runLog, signal, owned);
  }

  return { prepare };

  /**
   * From Port's record to a dispatched run (or a refusal reported to Port): the short, busy part
   * of a message, run at most `dispatchSlots` at a time. A backlog then waits in the consumer's
   * hands as bytes instead of as thousands of concurrent requests, which cost memory and time.
   */
  async function dispatchStage(run: RunRequest, runLog: Logger, meta: RecordMeta, signal: AbortSignal, owned: AbortSignal): Promise<StagedRun | undefined> {
    const { where } = meta;
    const retryOpts = { clock, maxAttempts: Infinity, signal, capMs: 60_000 };
    const existing = await retry(() => deps.port.getRun(run.runId), retryOpts);
    if (!existing) {
      metrics.messages.inc({ outcome: 'unknown_run' });
      runLog.warn('Port does not know this run (404); skipped');
      return undefined;
    }
    if (existing.status === 'SUCCESS' || existing.status === 'FAILURE') {
      metrics.messages.inc({ outcome: 'already_finished' });
      runLog.info(`run already ${existing.status} in Port; nothing to do`);
      return undefined;
    }

    let dispatched: StagedRun | undefined;
    let ref: string | undefined;
    try {
      const resumed = await resume(run, existing, meta.writtenAtMs, signal, owned);
      if (resumed) {
        metrics.messages.inc({ outcome: 'resumed' });
        runLog.info(`resuming GitHub run ${resumed.runId} recorded for this Port run`, { ghRunId: resumed.runId });
        dispatched = resumed;
      } else {
        const repo = await retry(() => deps.api.repo(run.org, run.repo), retryOpts);
        const request = buildDispatch(run, { defaultBranch: repo.defaultBranch, maxInputs: maxInputsFor([deps.version[0], deps.version[1]]), runIdInput: config.github.runIdInput });
        ref = request.ref;
        const policy = evaluatePolicy(config.policy.allow, { org: run.org, repo: run.repo, workflow: run.workflow, ref: request.ref, defaultBranch: repo.defaultBranch });
        if (!policy.allowed) return void (await fail(run, policy.reason, 'policy_denied', owned, where));

        await reporter.send(run.runId, { kind: 'patch', patch: { statusLabel: DISPATCHING_LABEL } }, owned);
        if (signal.aborted) throw new Error('aborted');
        dispatched = { ...(await dispatchWorkflow({ ...deps.dispatch, signal }, run, request)), fresh: true };
        metrics.dispatches.inc({ outcome: 'success', reason: dispatched.via });
        metrics.messageToDispatch.observe(Math.max(0, clock.now() - meta.writtenAtMs) / 1000);
        await reporter.send(run.runId, {
          kind: 'patch',
          patch: { link: dispatched.htmlUrl, externalRunId: externalRunId(repo.ownerId, repo.id, dispatched.runId), statusLabel: 'Workflow dispatched' },
        }, owned);
        const line = `Dispatched ${run.org}/${run.repo} ${run.workflow} on ${request.ref}: ${dispatched.htmlUrl}`;
        runLog.info(line, { ghRunId: dispatched.runId });
        void reporter.send(run.runId, { kind: 'log', log: { message: line } }, owned).catch(() => undefined);
        metrics.messages.inc({ outcome: 'dispatched' });
      }
    } catch (raw) {
      const err = toAgentError(raw);
      if (signal.aborted) throw err;
      metrics.dispatches.inc({ outcome: 'failure', reason: err.code });
      return void (await fail(run, `could not dispatch ${run.org}/${run.repo} ${run.workflow}${ref ? ` on ${ref}` : ''}: ${err.message}`, 'dispatch_failed', owned, where));
    }
    return dispatched;
  }

  /** The GitHub run already created for this Port run, by Port's record or, after an interrupted dispatch, by GHES. */
  async function resume(run: RunRequest, existing: PortRun, writtenAtMs: number, signal: AbortSignal, owned: AbortSignal): Promise<DispatchedRun | undefined> {
    const recorded = recordedGithubRunId(existing);
    if (recorded !== undefined) {
      const link = Array.isArray(existing.link) ? existing.link[0] : existing.link;
      return { runId: recorded, htmlUrl: link ?? '', via: 'run-details' };
    }
    if (existing.statusLabel !== DISPATCHING_LABEL) return undefined;
    const repo = await retry(() => deps.api.repo(run.org, run.repo), { clock, maxAttempts: Infinity, signal });
    const ref = typeof run.workflowInputs.ref === 'string' && run.workflowInputs.ref ? run.workflowInputs.ref : repo.defaultBranch;
    // The run cannot predate the message; an hour of slack covers clocks that disagree.
    const sinceMs = Math.max(clock.now() - 24 * 3600_000, writtenAtMs > 0 ? writtenAtMs - 3600_000 : 0);
    const found =
      (await findRunByRunName({ ...deps.dispatch, signal }, run, sinceMs)) ?? (await findExistingRun({ ...deps.dispatch, signal }, run, ref, sinceMs));
    if (found) {
      await reporter.send(run.runId, {
        kind: 'patch',
        patch: { link: found.htmlUrl, externalRunId: externalRunId(repo.ownerId, repo.id, found.runId), statusLabel: 'Workflow dispatched' },
      }, owned);
    }
    return found;
  }

  async function track(run: RunRequest, dispatched: StagedRun, runLog: Logger, signal: AbortSignal, owned: AbortSignal): Promise<void> {
    const startedMs = clock.now();
    metrics.runsInFlight.inc();
    let outcome;
    try {
      outcome = await deps.watcher.watch(
        { portRunId: run.runId, org: run.org, repo: run.repo, ghRunId: dispatched.runId, sinceMs: startedMs, fresh: dispatched.fresh },
        {
          signal,
          onStatus: (status) => {
            const line = statusLine(status);
            if (line) void reporter.send(run.runId, { kind: 'log', log: { message: line } }, owned).catch(() => undefined);
          },
        },
      );
    } finally {
      metrics.runsInFlight.dec();
    }
    if (outcome.kind === 'completed') {
      const conclusion = outcome.run.conclusion ?? 'unknown';
      metrics.runsCompleted.inc({ conclusion });
      metrics.runDuration.observe((clock.now() - startedMs) / 1000);
      runLog.info(`Workflow completed: ${conclusion}`, { ghRunId: dispatched.runId, conclusion });
      const logDone = reporter.send(run.runId, { kind: 'log', log: { message: `Workflow completed: ${conclusion}` } }, owned);
      if (!run.reportWorkflowStatus) return logDone;
      const status = portStatusFor(conclusion);
      await Promise.all([
        logDone,
        finalReport(run.runId, { status, statusLabel: `Workflow ${conclusion}`, summary: `GitHub workflow run ${outcome.run.html_url || dispatched.htmlUrl} completed: ${conclusion}` }, owned),
      ]);
      return;
    }
    const reason =
      outcome.kind === 'timed_out'
        ? `timed out waiting for the workflow run ${dispatched.htmlUrl} to complete after ${config.tracking.maxWaitSeconds}s (last status: ${outcome.lastStatus ?? 'unknown'}); the GitHub run was left alone`
        : `the workflow run ${dispatched.htmlUrl} disappeared from GHES: ${outcome.reason}`;
    if (outcome.kind === 'timed_out') metrics.runsTimedOut.inc();
    if (!run.reportWorkflowStatus) {
      runLog.warn(reason);
      return reporter.send(run.runId, { kind: 'log', log: { message: reason } }, owned);
    }
    return fail(run, reason, outcome.kind === 'timed_out' ? 'timed_out' : 'run_gone', owned);
  }
}

export type MessageProcessor = ReturnType<typeof createMessageProcessor>;
