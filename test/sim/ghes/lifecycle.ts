import type { Conclusion, RunScript, RunStatus } from './types.js';

export const DEFAULT_SCRIPT: Required<Pick<RunScript, 'conclusion' | 'queuedMs' | 'waitingMs' | 'durationMs'>> = {
  conclusion: 'success',
  queuedMs: 1000,
  waitingMs: 0,
  durationMs: 5000,
};

/** A script with every phase length known. */
export type FullScript = RunScript &
  Required<Pick<RunScript, 'conclusion' | 'queuedMs' | 'requestedMs' | 'pendingMs' | 'waitingMs' | 'durationMs'>>;

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

/**
 * A run is created `requested`, may wait `pending` (its concurrency group is busy), then sits
 * `queued` until a runner takes it (GitHub's run and job status enums: requested, pending,
 * queued, waiting, in_progress, completed). Unless the script says otherwise, the first tenth
 * of `queuedMs` is requested and the next tenth pending: the time before the job starts stays
 * `queuedMs`, so a script's total duration does not change.
 */
export function fillScript(s: RunScript | undefined): FullScript {
  const base = { ...DEFAULT_SCRIPT, ...(s ?? {}) };
  return { requestedMs: Math.round(base.queuedMs / 10), pendingMs: Math.round(base.queuedMs / 10), ...base };
}

/** Pure: where an attempt stands `elapsedSimMs` after it started. */
export function phaseAt(script: FullScript, elapsedSimMs: number): PhaseAt {
  const r = Math.min(script.requestedMs, script.queuedMs);
  const p = Math.min(r + script.pendingMs, script.queuedMs);
  const q = script.queuedMs;
  const w = q + script.waitingMs;
  const done = w + script.durationMs;
  const waitingToStart = (status: RunStatus, phaseStartSimMs: number): PhaseAt => ({
    status,
    conclusion: null,
    phaseStartSimMs,
    startedSimMs: null,
    completedSimMs: null,
  });
  if (elapsedSimMs < r) return waitingToStart('requested', 0);
  if (elapsedSimMs < p) return waitingToStart('pending', r);
  if (elapsedSimMs < q) return waitingToStart('queued', p);
  if (elapsedSimMs < w) return waitingToStart('waiting', q);
  if (elapsedSimMs < done) {
    return { status: 'in_progress', conclusion: null, phaseStartSimMs: w, startedSimMs: w, completedSimMs: null };
  }
  return { status: 'completed', conclusion: script.conclusion, phaseStartSimMs: done, startedSimMs: w, completedSimMs: done };
}

/** A cancel that took effect: the attempt ends `conclusion` at `atSimMs` (from attempt start). */
export interface Cut {
  atSimMs: number;
  conclusion: Conclusion;
}

/** phaseAt, with a cancel applied: a run cut before it would have completed ends there, cancelled. */
export function phaseWithCut(script: FullScript, elapsedSimMs: number, cut: Cut | undefined): PhaseAt {
  const plain = phaseAt(script, elapsedSimMs);
  if (!cut) return plain;
  const natural = phaseAt(script, Number.MAX_SAFE_INTEGER).completedSimMs!;
  if (cut.atSimMs >= natural || elapsedSimMs < cut.atSimMs) return plain;
  const started = plain.startedSimMs !== null && plain.startedSimMs <= cut.atSimMs ? plain.startedSimMs : null;
  return {
    status: 'completed',
    conclusion: cut.conclusion,
    phaseStartSimMs: cut.atSimMs,
    startedSimMs: started,
    completedSimMs: cut.atSimMs,
  };
}
