export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets, as Port's x-ratelimit-reset reports it. */
  resetS: number;
  periodS: number;
  limited: boolean;
}

export interface RateLimiter {
  take(): RateLimitState;
}

// A fixed window per organization (the sim serves one organization), matching
// Port's documented headers: period, limit, remaining, reset (seconds).
export function createRateLimiter(opts: {
  limit: number;
  windowMs: number;
  enforce: boolean;
  now: () => number;
}): RateLimiter {
  let windowStart = opts.now();
  let used = 0;
  return {
    take() {
      const now = opts.now();
      if (now - windowStart >= opts.windowMs) {
        windowStart = now;
        used = 0;
      }
      used += 1;
      const limited = opts.enforce && used > opts.limit;
      return {
        limit: opts.limit,
        remaining: Math.max(0, opts.limit - used),
        resetS: Math.max(0, Math.ceil((windowStart + opts.windowMs - now) / 1000)),
        periodS: Math.ceil(opts.windowMs / 1000),
        limited,
      };
    },
  };
}

export function rateLimitHeaders(s: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-period': String(s.periodS),
    'x-ratelimit-limit': String(s.limit),
    'x-ratelimit-remaining': String(s.remaining),
    'x-ratelimit-reset': String(s.resetS),
  };
}
