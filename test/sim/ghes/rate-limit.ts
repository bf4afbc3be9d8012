// Primary rate limit: fixed window per credential, as GitHub's x-ratelimit-* headers
// describe it. Off unless configured (GHES default).
export interface RateState {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds. */
  reset: number;
}

export interface RateLimiter {
  peek(key: string): RateState;
  /** Charges one request; returns the state after charging, or null if exhausted. */
  charge(key: string): RateState | null;
}

export function createRateLimiter(cfg: { limit: number; windowMs: number }, now: () => number): RateLimiter {
  const windows = new Map<string, { start: number; used: number }>();
  const win = (key: string): { start: number; used: number } => {
    const t = now();
    let w = windows.get(key);
    if (!w || t >= w.start + cfg.windowMs) {
      w = { start: t, used: 0 };
      windows.set(key, w);
    }
    return w;
  };
  const view = (w: { start: number; used: number }): RateState => ({
    limit: cfg.limit,
    used: w.used,
    remaining: Math.max(0, cfg.limit - w.used),
    reset: Math.ceil((w.start + cfg.windowMs) / 1000),
  });
  return {
    peek: (key) => view(win(key)),
    charge(key) {
      const w = win(key);
      if (w.used >= cfg.limit) return null;
      w.used += 1;
      return view(w);
    },
  };
}

export function rateHeaders(s: RateState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(s.limit),
    'x-ratelimit-remaining': String(s.remaining),
    'x-ratelimit-used': String(s.used),
    'x-ratelimit-reset': String(s.reset),
    'x-ratelimit-resource': 'core',
  };
}
