import { toAgentError } from '../errors.js';
import { type Clock, retry } from '../util/backoff.js';
import type { Version } from './ghes-version.js';
import type { CancelAnswer } from './run-insight-api.js';

/**
 * POST …/force-cancel is in every GHES description @octokit/openapi ships (3.17 to 3.19) and on
 * api.github.com; older GHES are not described there, so the agent does not count on it below.
 */
export function supportsForceCancel(v: Version): boolean {
  return v[0] > 3 || (v[0] === 3 && v[1] >= 17);
}

export type CancelResult = 'cancelled' | 'force_cancelled' | 'already_completed' | 'did_not_take' | 'failed';

export interface CancelDeps {
  api: {
    cancel(owner: string, repo: string, runId: number, force: boolean): Promise<CancelAnswer>;
    getRun(owner: string, repo: string, runId: number): Promise<{ run: { status: string } } | undefined>;
  };
  clock: Clock;
  version: Version;
  /** How long a cancel may take before the force-cancel. */
  graceMs: number;
}

/**
 * Cancels a GHES run, and force-cancels it when the cancel does not take within `graceMs`
 * (a job with `if: always()` keeps a cancelled run going: GitHub docs, "Canceling a workflow")
 * and the version has force-cancel. A cancel is idempotent (a second one is accepted, or 409
 * once completed), so an ambiguous failure (5xx, lost answer: it may have taken effect) is
 * simply sent again. Never throws: the result says what happened.
 */
export async function cancelRun(
  deps: CancelDeps,
  run: { owner: string; repo: string; runId: number },
  signal?: AbortSignal,
): Promise<{ result: CancelResult; error?: string }> {
  const send = (force: boolean) =>
    retry(() => deps.api.cancel(run.owner, run.repo, run.runId, force), { clock: deps.clock, maxAttempts: 4, baseMs: 1000, signal });
  try {
    if ((await send(false)) === 'completed') return { result: 'already_completed' };
    const deadline = deps.clock.now() + deps.graceMs;
    const step = Math.max(500, Math.min(5000, deps.graceMs / 6));
    while (deps.clock.now() < deadline) {
      await deps.clock.sleep(Math.min(step, Math.max(0, deadline - deps.clock.now())), signal);
      const seen = await deps.api.getRun(run.owner, run.repo, run.runId).catch(() => undefined);
      if (seen?.run.status === 'completed') return { result: 'cancelled' };
    }
    if (!supportsForceCancel(deps.version))
      return {
        result: 'did_not_take',
        error: `the cancel did not take within ${Math.round(deps.graceMs / 1000)} s and GHES ${deps.version.join('.')} has no force-cancel`,
      };
    return { result: (await send(true)) === 'completed' ? 'cancelled' : 'force_cancelled' };
  } catch (raw) {
    return { result: 'failed', error: toAgentError(raw).message };
  }
}
