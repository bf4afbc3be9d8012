/**
 * The line a run gets when GitHub's budget holds it back, in Ocean's words: "Delayed due to low
 * remaining rate limit. Will attempt to re-run in {backoff_seconds} seconds" (port-ocean 0.56.2
 * core/handlers/actions/execution_manager.py `_execute_run`, posted with post_run_log while its
 * executor is close to the rate limit). Pure.
 *
 * Waits shorter than a second are pacing, not a hold, and write nothing: a burst to one
 * repository would otherwise cost Port a log line per run for a few milliseconds.
 */
export const RATE_LIMIT_NOTE_MIN_MS = 1000;

export function rateLimitDelayLine(delayMs: number): string | undefined {
  if (!(delayMs >= RATE_LIMIT_NOTE_MIN_MS)) return undefined;
  return `Delayed due to low remaining rate limit. Will attempt to re-run in ${Math.ceil(delayMs / 1000)} seconds`;
}
