import { toAgentError } from '../errors.js';
import type { Made } from '../github/content-writes.js';
import { evaluateAction } from '../policy/evaluate-policy.js';
import { LeaseExpired, type RunScope } from '../run/run-scope.js';
import { retry } from '../util/backoff.js';
import { type ActionExecutor, type Decoded, type WriteDeps, unavailableOn } from './executor.js';

/** One creating action type (a pull request, an issue), as its executor file describes it. */
export interface CreateSpec<P extends { org: string; repo: string }> {
  type: ActionExecutor['type'];
  /** "create pull request in acme/infra": the failure message says "could not " and this. */
  what: (p: P) => string;
  decode(props: Record<string, unknown>): Decoded<P>;
  /** Written to Port before the POST (as "Dispatching workflow" is): a redelivery that finds it looks on GHES first. */
  intentLabel: string;
  doneLabel: string;
  /** Ocean's log line before the write. */
  intentLine(p: P): string;
  /**
   * What the first attempt may have made: by head and base, or by the marker carrying the Port
   * run id. `sinceMs`: nothing the run made is older (the run's time, less SINCE_MARGIN_MS).
   */
  find(p: P, runId: string, sinceMs: number): Promise<Made | undefined>;
  /**
   * The write. `mayHaveWritten`: Port's record showed the intent before this attempt, or an
   * earlier try of this attempt ended without an answer: a delete's 404 then means it took effect.
   */
  create(p: P, runId: string, mayHaveWritten: boolean): Promise<Made>;
  /** Ocean's result message. */
  message(m: Made, p: P): string;
  /** The run's link (default the write's html_url; a deleted comment has none). */
  link?(m: Made): string | undefined;
  /** What a workflow node's output carries (Ocean's node output: number and URL). */
  nodeOutput?(m: Made): Record<string, unknown>;
}

/**
 * The at-most-once order of every creating type (issue 24, item 2), in the order of writes:
 * 1. the policy (before any GHES request: evaluate-policy.ts evaluateAction) and the GHES
 *    version (a type whose route this GHES lacks is refused naming the version that has it);
 * 2. Port's record (done or unknown: nothing to do);
 * 3. when the record shows the intent label, an earlier attempt may have written: look for it
 *    (a pull request by head and base, an issue by its run-id marker) and report it if found;
 * 4. the intent label, awaited (a crash after it makes the redelivery look first);
 * 5. the one write, never retried blindly (a client without plugin-retry): after an answer
 *    lost on the way back it is looked for first, and tried again only when not found;
 * 6. the final report: SUCCESS with Ocean's message, the link, and for a node the number and URL.
 * A crash between 4 and 5 finds nothing in 3 and writes; between 5 and 6 finds the write and
 * reports it: never a second pull request or issue.
 */
/** GHES's and Port's clocks may differ: what a run made is looked for from this long before the run was written. */
export const SINCE_MARGIN_MS = 60 * 60_000;

export function createOnce<P extends { org: string; repo: string }>(spec: CreateSpec<P>, deps: WriteDeps): ActionExecutor {
  const { reports, reporter, clock } = deps;

  async function execute(scope: RunScope): Promise<void> {
    const { run, owned, signal } = scope;
    const target = { org: run.org, repo: run.repo, action: spec.type };
    const policy = evaluateAction(deps.policy, target);
    if (!policy.allowed) return void (await openAndFail(scope, policy.reason, 'policy_denied'));
    const unavailable = unavailableOn(spec.type, deps.version);
    if (unavailable) return void (await openAndFail(scope, unavailable, 'unsupported_on_ghes'));
    const decoded = spec.decode(run.action?.props ?? {});
    if (!decoded.ok) return void (await openAndFail(scope, `invalid run: ${decoded.problems.join('; ')}`, 'invalid'));
    const p = decoded.value;
    const existing = await reports.openRecord(scope);
    if (!existing) return;
    const retryOpts = { clock, maxAttempts: Infinity, signal, capMs: 60_000 };
    const attempt = { mayHaveWritten: existing.statusLabel === spec.intentLabel || existing.statusLabel === spec.doneLabel };
    try {
      if (attempt.mayHaveWritten) {
        const found = await retry(() => spec.find(p, run.runId, sinceOf(scope)), retryOpts);
        if (found) {
          scope.count('resumed');
          scope.log.info(`an earlier attempt to ${spec.what(p)} for this Port run took effect (${found.htmlUrl}); not written again`);
          return void (await done(scope, found, p));
        }
      }
      scope.checkLease(clock.now());
      await reporter.send(run.runId, { kind: 'patch', patch: { statusLabel: spec.intentLabel } }, owned);
      void reporter.send(run.runId, { kind: 'log', log: { message: spec.intentLine(p) } }, owned).catch(() => undefined);
      if (signal.aborted) throw new Error('aborted');
      scope.checkLease(clock.now());
      const made = await retry(() => createOrFind(scope, p, attempt), retryOpts);
      scope.count('executed');
      await done(scope, made, p);
    } catch (raw) {
      const err = toAgentError(raw);
      if (signal.aborted || err instanceof LeaseExpired) throw err;
      await reports.fail(scope, `could not ${spec.what(p)}: ${err.message}`, 'action_failed');
    }
  }

  /**
   * The one POST. An answer lost on the way back (a 5xx, a reset, a timeout: retriable errors)
   * may hide a write that took effect, so before it is tried again the write is looked for; a
   * refusal (4xx) had no effect and ends the run FAILURE with GitHub's message.
   */
  async function createOrFind(scope: RunScope, p: P, attempt: { mayHaveWritten: boolean }): Promise<Made> {
    const runId = scope.run.runId;
    // Each attempt within the intake's lease only: past it, another replica may be handed the
    // run and write too (LeaseExpired lets the run go; the next claim looks first).
    scope.checkLease(clock.now());
    try {
      return await spec.create(p, runId, attempt.mayHaveWritten);
    } catch (raw) {
      const err = toAgentError(raw);
      if (!err.retriable) throw err;
      attempt.mayHaveWritten = true;
      const found = await spec.find(p, runId, sinceOf(scope));
      if (found) return found;
      throw err;
    }
  }

  function sinceOf(scope: RunScope): number {
    return scope.ctx.writtenAtMs - SINCE_MARGIN_MS;
  }

  async function openAndFail(scope: RunScope, reason: string, outcome: string): Promise<void> {
    if (await reports.openRecord(scope)) await reports.fail(scope, reason, outcome);
  }

  async function done(scope: RunScope, made: Made, p: P): Promise<void> {
    const message = spec.message(made, p);
    const link = spec.link ? spec.link(made) : made.htmlUrl;
    scope.log.info(message, { number: made.number });
    await Promise.all([
      reporter.send(scope.run.runId, { kind: 'log', log: { message } }, scope.owned),
      reports.finalReport(
        scope.run.runId,
        {
          status: 'SUCCESS',
          summary: message,
          statusLabel: spec.doneLabel,
          ...(link ? { link } : {}),
          nodeOutput: spec.nodeOutput?.(made) ?? { number: made.number, url: made.htmlUrl },
        },
        scope.owned,
      ),
    ]);
  }

  return { type: spec.type, labels: [spec.intentLabel, spec.doneLabel], execute };
}
