/**
 * Paces requests to Port's API by the rate-limit headers Port sends with every answer (port-docs
 * docs/api-reference/rate-limits.mdx): `x-ratelimit-limit`, `x-ratelimit-remaining` and
 * `x-ratelimit-reset`, "the time at which the current rate limit window resets, in UTC epoch
 * seconds". Limits are per organization, so other clients of the same organization spend the
 * same budget: the agent slows down before it runs out instead of finding out with a 429.
 *
 * - Above a fifth of the window's budget, requests go at once.
 * - Below it, the requests left (minus a reserve kept for other clients and for reports) are
 *   spread evenly over the time to the reset.
 * - At the reserve, requests wait for the reset.
 * Requests started since the last answer count against what is left, so a burst of concurrent
 * callers does not all pass on one stale `remaining`. Pure apart from the time it is given.
 */
export interface RateLimitPacer {
  /** Records the headers of an answer. */
  observe(headers: { get(name: string): string | null }, nowMs: number): void;
  /** How long the next request should wait (ms), counting it as started. */
  take(nowMs: number): number;
  /** Last `x-ratelimit-remaining` seen, for the metric; undefined before any. */
  remaining(): number | undefined;
  /** Milliseconds until the window resets (for a 429 without retry-after), if known. */
  untilReset(nowMs: number): number | undefined;
}

export function createRateLimitPacer(
  opts: { reserveFraction?: number; paceBelowFraction?: number; maxWaitMs?: number } = {},
): RateLimitPacer {
  let limit = 0;
  let remaining: number | undefined;
  let resetAtMs = 0;
  let startedSince = 0;
  let nextSlotMs = 0;
  const reserveFraction = opts.reserveFraction ?? 0.05;
  const paceBelow = opts.paceBelowFraction ?? 0.2;
  const maxWaitMs = opts.maxWaitMs ?? 60_000;

  return {
    observe(headers, nowMs) {
      const rem = Number(headers.get('x-ratelimit-remaining'));
      const lim = Number(headers.get('x-ratelimit-limit'));
      const reset = Number(headers.get('x-ratelimit-reset'));
      if (!headers.get('x-ratelimit-remaining') || !Number.isFinite(rem)) return;
      remaining = Math.max(0, rem);
      if (Number.isFinite(lim) && lim > 0) limit = lim;
      // Epoch seconds as documented; a small number is read as seconds from now (a proxy or an
      // older API answering the way GitHub's secondary limits do), never as 1970.
      if (Number.isFinite(reset) && reset > 0) resetAtMs = reset > 1e9 ? reset * 1000 : nowMs + reset * 1000;
      startedSince = 0;
    },
    take(nowMs) {
      if (remaining === undefined || nowMs >= resetAtMs) {
        startedSince = 0;
        return 0;
      }
      const reserve = Math.max(1, Math.ceil(limit * reserveFraction));
      const left = remaining - startedSince - reserve;
      startedSince++;
      if (left <= 0) return Math.min(maxWaitMs, resetAtMs - nowMs);
      if (limit > 0 && remaining - startedSince > limit * paceBelow) return 0;
      // Spread what is left evenly until the reset: one request per slot.
      const spacing = (resetAtMs - nowMs) / left;
      const slot = Math.max(nowMs, nextSlotMs);
      nextSlotMs = slot + spacing;
      return Math.min(maxWaitMs, slot - nowMs);
    },
    remaining: () => remaining,
    untilReset: (nowMs) => (remaining === undefined || resetAtMs <= nowMs ? undefined : resetAtMs - nowMs),
  };
}
