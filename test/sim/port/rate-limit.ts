export interface RateLimitState {
  limit: number;
  remaining: number;
  /** The UTC epoch second at which the window resets, as Port's x-ratelimit-reset reports it. */
  resetAtS: number;
  /** Seconds from now until then (retry-after on a 429). */
  resetInS: number;
  periodS: number;
  limited: boolean;
}

export interface RateLimiter {
  take(): RateLimitState;
}

// A fixed window per organization (the sim serves one organization), with Port's documented
// headers (port-docs docs/api-reference/rate-limits.mdx): x-ratelimit-period (the window in
// seconds), -limit, -remaining, and -reset: "the time at which the current rate limit window
// resets, in UTC epoch seconds".
export function createRateLimiter(opts: { limit: number; windowMs: number; enforce: boolean; now: () => number }): RateLimiter {
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
      const resetAtMs = windowStart + opts.windowMs;
      return {
        limit: opts.limit,
        remaining: Math.max(0, opts.limit - used),
        resetAtS: Math.ceil(resetAtMs / 1000),
        resetInS: Math.max(0, Math.ceil((resetAtMs - now) / 1000)),
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
    'x-ratelimit-reset': String(s.resetAtS),
  };
}
