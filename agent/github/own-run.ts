import { AgentError } from '../errors.js';
import type { RunCandidate } from './correlate.js';
import { isRunOfWorkflow } from './workflow-of-run.js';

/**
 * Issue 23: whether a GitHub run found by its run-name is one the agent dispatched for an
 * invocation. A run-name is text anyone can choose: whoever can dispatch a workflow in the
 * repository (write access) can start a run titled `… r_<id>` — of any workflow whose run-name
 * shows an input, or of a workflow of their own — and so could a Port user through another
 * action whose run-name shows an input they fill in. Such a planted run must never be adopted
 * (tracked, reported to Port, cancelled when the Port run ends) in place of the agent's own.
 *
 * What tells them apart is what GHES records and nobody but the agent's credentials can set:
 * - `actor`: who dispatched it. The agent's dispatches are attributed to its own login, the
 *   App's bot `<slug>[bot]` or the token's user (github-api.ts `actor()`); a person, another
 *   App or `github-actions[bot]` (a workflow's GITHUB_TOKEN) is someone else. A re-run keeps the
 *   original `actor` (the re-runner is `triggering_actor`), so the agent's run re-run by a
 *   person stays the agent's. GitHub logins are case-insensitive.
 * - `path` / `workflow_id`: which workflow it is a run of. A repository's run list
 *   (resume-locator.ts, find-interrupted-run.ts) mixes every workflow's runs, and a run of
 *   another workflow of the same repository, even one the agent dispatched for another Port
 *   run, may show this id in its run-name.
 *
 * Which workflow a run is of is decided by workflow-of-run.ts, the rule a recorded run is
 * checked by too (run/verify-recorded-run.ts).
 */
export interface RunOwner {
  /** The agent's own login; undefined when GHES did not say (GET /app without a slug, GET /user refused). */
  actor: string | undefined;
  org: string;
  repo: string;
  /** The invocation's workflow: a file name (`deploy.yml`) or a numeric id (decode-message.ts). */
  workflow: string;
}

export type RunOrigin = Pick<RunCandidate, 'actor' | 'path' | 'workflow_id'>;

/** Why a run showing the id was not taken: the label of `ghes_agent_run_name_mismatches_total`. */
export type Mismatch = 'other_actor' | 'other_workflow' | 'unverifiable';

export type Ownership =
  /** Dispatched by the agent's login, of the invocation's workflow. */
  | { kind: 'own' }
  /** Provably someone else's or another workflow's: ignored. */
  | { kind: 'foreign'; why: Exclude<Mismatch, 'unverifiable'>; reason: string }
  /** Cannot be told: the agent's login or the run's actor or workflow is unknown. Never adopted. */
  | { kind: 'unverifiable'; why: 'unverifiable'; reason: string };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The verdict on one run found by its run-name (see the module comment). Pure. */
export function ownership(run: RunOrigin, owner: RunOwner): Ownership {
  const ofWorkflow = isRunOfWorkflow(run, owner);
  if (ofWorkflow === false)
    return {
      kind: 'foreign',
      why: 'other_workflow',
      reason: `it is a run of ${run.path || `workflow ${run.workflow_id}`}, not of ${owner.workflow}`,
    };
  if (owner.actor !== undefined && run.actor !== undefined && !same(run.actor, owner.actor)) {
    return { kind: 'foreign', why: 'other_actor', reason: `it was dispatched by ${run.actor}, not by the agent (${owner.actor})` };
  }
  const unverifiable = (reason: string): Ownership => ({ kind: 'unverifiable', why: 'unverifiable', reason });
  if (owner.actor === undefined)
    return unverifiable(
      "the agent's own login is unknown (GHES did not name the App's bot or the token's user at start), so who dispatched it cannot be checked",
    );
  if (run.actor === undefined) return unverifiable('GHES does not say who dispatched it');
  if (ofWorkflow === undefined) return unverifiable('GHES does not say which workflow it is a run of');
  return { kind: 'own' };
}

/** A run that shows the id but was not taken, and why. */
export type NotTaken<R> = { run: R; why: Mismatch; reason: string };

export type RunNameMatch<R> =
  | { kind: 'found'; run: R; ignored: NotTaken<R>[] }
  | { kind: 'none'; ignored: NotTaken<R>[] }
  | { kind: 'ambiguous'; runs: R[]; ignored: NotTaken<R>[] }
  | { kind: 'unverifiable'; runs: NotTaken<R>[]; ignored: NotTaken<R>[] };

/**
 * The agent's run for a Port run among `runs`, by the Port run id its run-name shows: only a
 * run of the agent's own login and of the invocation's workflow counts. Runs that show the id
 * but are provably someone else's are `ignored` (the caller logs them); two of the agent's own
 * are `ambiguous`. When none is the agent's but some cannot be told apart (`unverifiable`), the
 * caller must neither adopt one nor dispatch again as if none existed. Pure.
 */
export function matchRunName<R extends RunOrigin & Pick<RunCandidate, 'display_title'>>(
  runs: R[],
  runId: string,
  owner: RunOwner,
): RunNameMatch<R> {
  const own: R[] = [];
  const ignored: NotTaken<R>[] = [];
  const unknown: NotTaken<R>[] = [];
  for (const run of runs) {
    if (!run.display_title.includes(runId)) continue;
    const o = ownership(run, owner);
    if (o.kind === 'own') own.push(run);
    else (o.kind === 'foreign' ? ignored : unknown).push({ run, why: o.why, reason: o.reason });
  }
  if (own.length > 1) return { kind: 'ambiguous', runs: own, ignored };
  if (own.length === 1) return { kind: 'found', run: own[0]!, ignored };
  if (unknown.length > 0) return { kind: 'unverifiable', runs: unknown, ignored };
  return { kind: 'none', ignored };
}

/**
 * The refusal when runs show the Port run id but none can be told to be the agent's: adopting
 * one could track (and later cancel) someone else's run, dispatching again could start a second.
 */
export function unverifiedRuns(run: { org: string; repo: string }, runs: Array<{ run: { html_url: string }; reason: string }>): AgentError {
  return new AgentError(
    'ambiguous',
    `${runs.length} run(s) of ${run.org}/${run.repo} show this Port run id but the agent cannot tell whether it dispatched them ` +
      `(${runs.map((r) => `${r.run.html_url}: ${r.reason}`).join('; ')}); it neither tracks them nor dispatches again`,
  );
}
