// Real time stays real (Date headers, created_at, token expiry, JWT checks all agree
// with the client's clock); only run phase durations are compressed by timeScale, so an
// accelerated run simply looks short in its timestamps.
export interface SimClock {
  /** Real ms since the epoch. */
  now(): number;
  timeScale: number;
  /** Simulated ms elapsed since a real instant. */
  simElapsedSince(realMs: number): number;
  /** Real instant at which `simMs` simulated ms after `realStartMs` is reached. */
  realAt(realStartMs: number, simMs: number): number;
}

export function createSimClock(opts: { timeScale?: number; now?: () => number } = {}): SimClock {
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`timeScale must be > 0, got ${timeScale}`);
  const now = opts.now ?? Date.now;
  return {
    now,
    timeScale,
    simElapsedSince: (realMs) => Math.max(0, now() - realMs) * timeScale,
    realAt: (realStartMs, simMs) => realStartMs + simMs / timeScale,
  };
}
