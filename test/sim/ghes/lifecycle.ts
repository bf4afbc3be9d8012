import type { Conclusion, RunScript, RunStatus } from './types.js';

export const DEFAULT_SCRIPT: Required<RunScript> = {
  conclusion: 'success',
  queuedMs: 1000,
  waitingMs: 0,
  durationMs: 5000,
};

export interface PhaseAt {
  status: RunStatus;
  conclusion: Conclusion | null;
  /** Simulated ms from attempt start at which the current phase began. */
  phaseStartSimMs: number;
  /** Simulated ms from attempt start at which in_progress began, or null if not yet. */
  startedSimMs: number | null;
  /** Simulated ms from attempt start at which the attempt completed, or null. */
  completedSimMs: number | null;
}

export function fillScript(s: RunScript | undefined): Required<RunScript> {
  return { ...DEFAULT_SCRIPT, ...(s ?? {}) } as Required<RunScript>;
}

/** Pure: where an attempt stands `elapsedSimMs` after it started. */
export function phaseAt(script: Required<RunScript>, elapsedSimMs: number): PhaseAt {
  const q = script.queuedMs;
  const w = q + script.waitingMs;
  const done = w + script.durationMs;
  if (elapsedSimMs < q) {
    return { status: 'queued', conclusion: null, phaseStartSimMs: 0, startedSimMs: null, completedSimMs: null };
  }
  if (elapsedSimMs < w) {
    return { status: 'waiting', conclusion: null, phaseStartSimMs: q, startedSimMs: null, completedSimMs: null };
  }
  if (elapsedSimMs < done) {
    return { status: 'in_progress', conclusion: null, phaseStartSimMs: w, startedSimMs: w, completedSimMs: null };
  }
  return { status: 'completed', conclusion: script.conclusion, phaseStartSimMs: done, startedSimMs: w, completedSimMs: done };
}
