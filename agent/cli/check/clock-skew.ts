/**
 * How far this machine's clock is from GHES's, from the Date header of one response: the local
 * time in the middle of the round trip against the server's. The header truncates to the
 * second, so its true time lies in [date, date + 1 s): the estimate is date + 0.5 s, good to
 * half a second plus half the round trip (`uncertaintyMs`). Positive: this clock is ahead.
 */
export function clockSkew(
  dateHeader: string | undefined | null,
  sentAtMs: number,
  receivedAtMs: number,
): { skewMs: number; uncertaintyMs: number } | undefined {
  if (!dateHeader) return undefined;
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) return undefined;
  return { skewMs: (sentAtMs + receivedAtMs) / 2 - (server + 500), uncertaintyMs: 500 + (receivedAtMs - sentAtMs) / 2 };
}

/** Beyond this (for certain, after the uncertainty) the check fails. */
export function skewTooLarge(s: { skewMs: number; uncertaintyMs: number }): boolean {
  return Math.abs(s.skewMs) - s.uncertaintyMs > MAX_CLOCK_SKEW_MS;
}

/**
 * GitHub App JWTs are dated 60 s in the past precisely to absorb clock drift, and GHES refuses
 * a JWT issued in the future; installation tokens expire an hour after GHES's clock. Beyond a
 * minute something is wrong with time synchronisation.
 */
export const MAX_CLOCK_SKEW_MS = 60_000;
