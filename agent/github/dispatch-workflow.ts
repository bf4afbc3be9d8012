import type { DispatchGate } from './dispatch-pacer.js';
import { AgentError, toAgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { RunRequest } from '../types/run-request.js';
import { type Clock, backoffDelay } from '../util/backoff.js';
import type { KeyedMutex } from '../util/semaphore.js';
import type { DispatchRequest } from './build-dispatch.js';
import { type Correlation, correlateRun, runNameShowsRunIds } from './correlate.js';
import { everyPage } from './every-page.js';
import type { GithubApi } from './github-api.js';
import { type Mismatch, matchRunName, unverifiedRuns } from './own-run.js';
import { qualifiedRef } from '../policy/evaluate-policy.js';

export interface DispatchedRun {
  runId: number;
  htmlUrl: string;
  /** How the run id was learnt: from the API, by run-name, by the serialized fallback, or found after a restart. */
  via: 'run-details' | 'run-name' | 'newest-after-dispatch';
}

export interface DispatchContext {
  api: GithubApi;
  clock: Clock;
  logger: Logger;
  /** Serializes dispatches per workflow while the run-name-less fallback needs it. */
  locks: KeyedMutex;
  /** Shared across dispatches: workflows that refused the run id input, and servers without run details. */
  learned: { noRunIdInput: Set<string>; runDetails: boolean };
  correlationTimeoutMs: number;
  /** Keeps the POSTs to one repository within GitHub's per-10 s limit as GitHub counts them. */
  gate?: DispatchGate;
  /** Called when a POST has to wait at the gate (counted as limit dispatch_rate). */
  onGateWait?: () => void;
  /** Called before waiting `delayMs` after GitHub refused a POST for its rate limit (the run is told: rate-limit-delay.ts). */
  onRateLimitWait?: (delayMs: number) => void;
  pollMs?: number;
  signal?: AbortSignal;
  /** GHES's clock minus the local one (clock-skew.ts): run timestamps are GHES's. */
  serverOffsetMs?: () => number;
  /**
   * The login the agent dispatches as (`<app-slug>[bot]`, or the token's user): correlation
   * without a run-name only considers runs of that actor, so a person dispatching the same
   * workflow at the same moment is not mistaken for the agent's run.
   */
  actor?: string;
  /** Called for each run that shows a Port run id looked for but is not taken (own-run.ts): counted as ghes_agent_run_name_mismatches_total. */
  onRunNameMismatch?: (why: Mismatch) => void;
}

/** Now on GHES's clock. */
/** One dispatch POST, through the per-repository gate when there is one (dispatch-pacer.ts). */
async function gated<T>(ctx: DispatchContext, run: RunRequest, post: () => Promise<T>): Promise<T> {
  if (!ctx.gate) return post();
  const answered = await ctx.gate.pass(`${run.org}/${run.repo}`.toLowerCase(), ctx.signal, ctx.onGateWait);
  try {
    return await post();
  } finally {
    answered();
  }
}

const serverNow = (ctx: Pick<DispatchContext, 'clock' | 'serverOffsetMs'>): number => ctx.clock.now() + (ctx.serverOffsetMs?.() ?? 0);

const CREATED_SLACK_MS = 120_000;

/**
 * Dispatches once and learns the run id. The POST is never repeated blindly: it is repeated
 * only when GitHub said it did nothing (400/422 about our own additions, a rate limit), or
 * after a 5xx/network failure once the run was looked for during the whole
 * correlationTimeoutMs without being found: GitHub creates runs asynchronously, so a POST
 * that went through may show its run only seconds later (Ocean polls 30 × 2 s for it).
 */
export async function dispatchWorkflow(ctx: DispatchContext, run: RunRequest, req: DispatchRequest): Promise<DispatchedRun> {
  const wfKey = `${run.org}/${run.repo}/${run.workflow}`.toLowerCase();
  // The ref exactly as the policy approved it: a short name as refs/heads/<name>, refs/… as given.
  // GitHub's OpenAPI description of "Create a workflow dispatch event" says only "The git
  // reference for the workflow. The reference can be a branch or tag name" (ghes-3.17 to 3.19,
  // api.github.com); fully qualified refs are accepted as well: clients send them (the
  // benc-uk/workflow-dispatch action's default ref is github.context.ref, i.e. GITHUB_REF, which
  // GitHub documents as fully formed, refs/heads/<branch> or refs/tags/<tag>; a project whose
  // branch and tag shared a name fixed its dispatches by sending refs/tags/<tag>,
  // OpenAdminOS/OpenAdminOS#78). Which one a short name that is both a branch and a tag runs is
  // not documented by GitHub: git itself prefers the tag (gitrevisions: refs/tags/<name> before
  // refs/heads/<name>), while that report saw GitHub pick the branch. A qualified ref leaves no
  // such choice to GHES. The correlation below filters by the short name (the run list's
  // `branch` takes "the name of the branch", OpenAPI; a run's head_branch is a name, "master").
  const ref = qualifiedRef(req.ref);
  const inputs = { ...req.inputs };
  let runIdInput = req.runIdInput;
  if (runIdInput && ctx.learned.noRunIdInput.has(wfKey)) {
    delete inputs[runIdInput];
    runIdInput = undefined;
  }

  for (let attempt = 0; ; attempt++) {
    if (ctx.signal?.aborted) throw new AgentError('internal', 'aborted');
    const useDetails = ctx.learned.runDetails;
    const postedAtMs = ctx.clock.now();
    try {
      if (useDetails) {
        const res = await gated(ctx, run, () =>
          ctx.api.dispatch(run.org, run.repo, run.workflow, { ref, inputs, return_run_details: true }),
        );
        if (res.status === 200) return { runId: res.runId, htmlUrl: res.htmlUrl, via: 'run-details' };
        // A 204 although we asked for details: find the run as an older server would.
        const found = await awaitCorrelation(ctx, run, req.ref, undefined, serverNow(ctx) - CREATED_SLACK_MS);
        return expectFound(found, run);
      }
      // Before 3.21: serialize per workflow so the fallback (newest new run) cannot mix two dispatches.
      return await ctx.locks.run(wfKey, async () => {
        const before = await ctx.api.listWorkflowRuns(run.org, run.repo, run.workflow, {
          branch: branchName(req.ref),
          actor: ctx.actor,
          perPage: 30,
        });
        const known = new Set(before.runs.map((r) => r.id));
        await gated(ctx, run, () => ctx.api.dispatch(run.org, run.repo, run.workflow, { ref, inputs }));
        const found = await awaitCorrelation(ctx, run, req.ref, known, before.serverDateMs - 5_000);
        return expectFound(found, run);
      });
    } catch (raw) {
      const err = toAgentError(raw);
      if (err.code === 'ambiguous' || err.code === 'internal') throw err;
      const text = err.message;
      if ((err.status === 400 || err.status === 422) && useDetails && /return_run_details/.test(text)) {
        ctx.logger.warn('GHES does not accept return_run_details; correlating runs instead', { component: 'dispatch' });
        ctx.learned.runDetails = false;
        continue;
      }
      if (
        err.status === 422 &&
        runIdInput &&
        /unexpected inputs/i.test(text) &&
        text.includes(runIdInput) &&
        onlyUnexpected(text, runIdInput)
      ) {
        ctx.learned.noRunIdInput.add(wfKey);
        delete inputs[runIdInput];
        runIdInput = undefined;
        continue;
      }
      if (err.status === 422 && /no ref found/i.test(text) && ref !== req.ref) {
        throw new AgentError(
          err.code,
          `there is no branch ${req.ref}: a short ref is dispatched as the branch ${ref}, as the policy reads it; to run a tag, set workflowInputs.ref to refs/tags/${req.ref} (${text})`,
          { status: err.status, cause: err },
        );
      }
      if (!err.retriable) throw err;
      if (err.code !== 'rate_limited') {
        // 5xx or network: the POST may have gone through, and its run may be listed only
        // seconds later. Look for it for correlationTimeoutMs before dispatching again.
        ctx.logger.warn('dispatch failed; looking for its run before dispatching again', {
          component: 'dispatch',
          runId: run.runId,
          attempt,
          error: text,
        });
        const existing = await awaitExistingRun(ctx, run, req.ref, postedAtMs);
        if (existing) return existing;
        ctx.logger.warn(`no run of this dispatch appeared in ${Math.round(ctx.correlationTimeoutMs / 1000)} s; dispatching again`, {
          component: 'dispatch',
          runId: run.runId,
          attempt,
        });
        continue;
      }
      const delay = backoffDelay(attempt, { baseMs: 1000, capMs: 60_000 }, err.retryAfterMs);
      ctx.logger.warn('dispatch rate limited; will retry', {
        component: 'dispatch',
        runId: run.runId,
        attempt,
        delayMs: Math.round(delay),
        error: text,
      });
      ctx.onRateLimitWait?.(delay);
      await ctx.clock.sleep(delay, ctx.signal);
    }
  }
}

/**
 * After a POST that may or may not have gone through (5xx, timeout, dropped connection): looks
 * for its run until `correlationTimeoutMs` after the POST, since GitHub lists a new run only
 * once it has created it, asynchronously. `undefined` when none appeared in that time.
 */
async function awaitExistingRun(
  ctx: DispatchContext,
  run: RunRequest,
  ref: string,
  postedAtMs: number,
): Promise<DispatchedRun | undefined> {
  const deadline = postedAtMs + ctx.correlationTimeoutMs;
  for (let i = 0; ; i++) {
    await ctx.clock.sleep(Math.min(ctx.pollMs ?? 2000, 500 * 2 ** i), ctx.signal);
    const found = await findExistingRun(ctx, run, ref, postedAtMs - CREATED_SLACK_MS);
    if (found || ctx.clock.now() >= deadline) return found;
  }
}

/**
 * After a restart or an ambiguous failure: the run dispatched for this Port run, if any, among
 * the runs created since `sinceMs` (local time; converted to GHES's clock here). Throws
 * 'ambiguous' when the answer cannot be known (the workflow's run-name does not show Port run
 * ids), because dispatching then could start a second run.
 *
 * Who could trigger this: anyone who can dispatch this workflow (write access to the
 * repository) can start a run whose run-name shows this Port run id (issue 23). What stops
 * them: the list is not filtered by actor on GHES's side (so that the agent's own run is seen
 * whoever else dispatched), but a run showing the id is taken only when it is of the agent's
 * own login and of this workflow (own-run.ts); a person's is logged and ignored. A run the
 * agent dispatched under an earlier identity (its App or token changed between the POST and
 * this look) is then not recognised either; the price is a second dispatch in that rare case,
 * rather than adopting whatever a person planted. With the agent's login unknown, a run showing
 * the id is neither adopted nor dispatched again ('ambiguous', with the runs named).
 */
export async function findExistingRun(
  ctx: DispatchContext,
  run: RunRequest,
  ref: string,
  localSinceMs: number,
): Promise<DispatchedRun | undefined> {
  const sinceMs = localSinceMs + (ctx.serverOffsetMs?.() ?? 0);
  // On a busy workflow the run may sit behind a hundred newer ones.
  const runs = await everyPage(
    async (page, perPage) =>
      (
        await withRetries(ctx, () =>
          ctx.api.listWorkflowRuns(run.org, run.repo, run.workflow, { createdSince: new Date(sinceMs).toISOString(), perPage, page }),
        )
      ).runs,
  );
  const found = matchRunName(runs, run.runId, { actor: ctx.actor, org: run.org, repo: run.repo, workflow: run.workflow });
  for (const { why } of [...found.ignored, ...(found.kind === 'unverifiable' ? found.runs : [])]) ctx.onRunNameMismatch?.(why);
  for (const { run: other, reason } of found.ignored) {
    ctx.logger.warn(`run ${other.html_url} shows Port run id ${run.runId} but is not the agent's: ${reason}; ignored`, {
      component: 'dispatch',
      runId: run.runId,
      ghRunId: other.id,
    });
  }
  if (found.kind === 'found') return { runId: found.run.id, htmlUrl: found.run.html_url, via: 'run-name' };
  if (found.kind === 'ambiguous') throw ambiguous(run, found);
  if (found.kind === 'unverifiable') throw unverifiedRuns(run, found.runs);
  const recent =
    runs.length > 0
      ? runs
      : (await withRetries(ctx, () => ctx.api.listWorkflowRuns(run.org, run.repo, run.workflow, { perPage: 20 }))).runs;
  if (recent.length === 0 || runNameShowsRunIds(recent)) return undefined;
  throw new AgentError(
    'ambiguous',
    `the dispatch of ${run.org}/${run.repo} ${run.workflow} was interrupted and the agent cannot tell whether a run started, because the workflow's run-name does not show the Port run id. ` +
      `It did not dispatch again, to avoid a second run. Add "run-name: <title> \${{ inputs.port_run_id }}" (and a port_run_id input) to the workflow so interrupted dispatches can be recognized.`,
  );
}

/** `notBeforeMs` is on GHES's clock. */
async function awaitCorrelation(
  ctx: DispatchContext,
  run: RunRequest,
  ref: string,
  known: Set<number> | undefined,
  notBeforeMs: number,
): Promise<Correlation> {
  const deadline = ctx.clock.now() + ctx.correlationTimeoutMs;
  let last: Correlation = { kind: 'none' };
  for (let i = 0; ctx.clock.now() < deadline; i++) {
    await ctx.clock.sleep(Math.min(ctx.pollMs ?? 1000, 250 * 2 ** i), ctx.signal);
    const page = await withRetries(ctx, () =>
      ctx.api.listWorkflowRuns(run.org, run.repo, run.workflow, {
        createdSince: new Date(notBeforeMs - CREATED_SLACK_MS).toISOString(),
        actor: ctx.actor,
        perPage: 100,
      }),
    );
    last = correlateRun(page.runs, { portRunId: run.runId, ref, knownBefore: known, notBeforeMs, actor: ctx.actor });
    if (last.kind !== 'none') return last;
  }
  return last;
}

function expectFound(c: Correlation, run: RunRequest): DispatchedRun {
  if (c.kind === 'found') return { runId: c.run.id, htmlUrl: c.run.html_url, via: c.by };
  if (c.kind === 'ambiguous') throw ambiguous(run, c);
  throw new AgentError(
    'ambiguous',
    `the workflow ${run.org}/${run.repo} ${run.workflow} was dispatched but its run could not be identified in time. ` +
      `Add "run-name: <title> \${{ inputs.port_run_id }}" to the workflow (with a port_run_id input) so the agent can find it, or raise github.correlationTimeoutSeconds.`,
  );
}

function ambiguous(run: RunRequest, c: { runs: { html_url: string }[] }): AgentError {
  return new AgentError(
    'ambiguous',
    `${c.runs.length} runs of ${run.org}/${run.repo} ${run.workflow} match this Port run and the agent will not guess between them: ${c.runs.map((r) => r.html_url).join(', ')}`,
  );
}

async function withRetries<T>(ctx: DispatchContext, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const err = toAgentError(raw);
      if (!err.retriable || ctx.signal?.aborted) throw err;
      await ctx.clock.sleep(backoffDelay(attempt, { baseMs: 500, capMs: 30_000 }, err.retryAfterMs), ctx.signal);
    }
  }
}

function onlyUnexpected(message: string, input: string): boolean {
  const m = /unexpected inputs provided:\s*(\[[^\]]*\])/i.exec(message);
  if (!m) return false;
  try {
    const list = JSON.parse(m[1]!) as string[];
    return list.length === 1 && list[0] === input;
  } catch {
    return false;
  }
}

const branchName = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, '');
