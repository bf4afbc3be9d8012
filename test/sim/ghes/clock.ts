// The appliance's clock: real time plus a settable offset (a GHES whose clock disagrees with the
// agent's, which is what breaks App JWTs: see jwt.ts). Date headers, created_at, token expiry and
// JWT checks all read it, so they agree with each other as on a real server. Only run phase
// durations are compressed by timeScale, so an accelerated run simply looks short in its
// timestamps.
export interface SimClock {
  /** The server's ms since the epoch: real time plus the offset. */
  now: () => number;
  timeScale: number;
  /** Simulated ms elapsed since a server instant. */
  simElapsedSince(serverMs: number): number;
  /** Server instant at which `simMs` simulated ms after `serverStartMs` is reached. */
  realAt(serverStartMs: number, simMs: number): number;
  /** The server clock minus the real one, ms (negative: the appliance is behind). */
  offsetMs(): number;
  setOffsetMs(ms: number): void;
}

export function createSimClock(opts: { timeScale?: number; now?: () => number; offsetMs?: number } = {}): SimClock {
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`timeScale must be > 0, got ${timeScale}`);
  const real = opts.now ?? Date.now;
  let offset = opts.offsetMs ?? 0;
  const now = (): number => real() + offset;
  return {
    now,
    timeScale,
    simElapsedSince: (serverMs) => Math.max(0, now() - serverMs) * timeScale,
    realAt: (serverStartMs, simMs) => serverStartMs + simMs / timeScale,
    offsetMs: () => offset,
    setOffsetMs(ms) {
      if (!Number.isFinite(ms)) throw new Error(`clock offset must be a number of ms, got ${ms}`);
      offset = ms;
    },
  };
}
