import type { SimClock } from './clock.js';
import type { RunPhaseView } from './shapes.js';
import type { Attempt, RunRecord, SimState } from './state.js';
import { phaseWithCut } from './lifecycle.js';
import type { SimRun } from './types.js';
import { iso } from './shapes.js';

/** Converts the latest attempt's simulated phase offsets into real timestamps. */
export function runView(state: SimState, clock: SimClock, run: RunRecord): RunPhaseView {
  return attemptView(clock, state.phase(run).attempt);
}

/** Any attempt (earlier ones are normally completed). */
export function attemptView(clock: SimClock, attempt: Attempt): RunPhaseView {
  const p = { ...phaseWithCut(attempt.script, clock.simElapsedSince(attempt.startedAtMs), attempt.cut), attempt };
  const start = attempt.startedAtMs;
  const at = (sim: number | null): number | null => (sim === null ? null : Math.round(clock.realAt(start, sim)));
  return {
    status: p.status,
    conclusion: p.conclusion,
    updatedAtMs: at(p.phaseStartSimMs)!,
    startedAtMs: at(p.startedSimMs),
    completedAtMs: at(p.completedSimMs),
    attempt: p.attempt,
  };
}

/** The run exists: GET by id finds it (created asynchronously after a 204 dispatch). */
export function isVisible(clock: SimClock, run: RunRecord): boolean {
  return clock.now() >= run.createdAtMs;
}

/** Run lists show it: `listLagMs` after it exists (GitHub's lists trail the run's creation). */
export function isListed(clock: SimClock, run: RunRecord, listLagMs: number): boolean {
  return clock.now() >= run.createdAtMs + listLagMs;
}

export function simRun(state: SimState, clock: SimClock, run: RunRecord): SimRun {
  const v = runView(state, clock, run);
  return {
    id: run.id,
    owner: run.repo.owner.login,
    repo: run.repo.name,
    workflowId: run.workflow.id,
    workflowPath: run.workflow.path,
    runNumber: run.runNumber,
    runAttempt: v.attempt.number,
    displayTitle: run.displayTitle,
    headBranch: run.headBranch,
    actor: run.actor.login,
    inputs: { ...run.inputs },
    status: v.status as SimRun['status'],
    conclusion: v.conclusion as SimRun['conclusion'],
    visible: isVisible(clock, run),
    createdAt: iso(run.createdAtMs),
    updatedAt: iso(v.updatedAtMs),
    dispatch: run.dispatch,
  };
}
