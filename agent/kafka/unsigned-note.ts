import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';

/** At most one log line per this interval about unsigned messages accepted. */
export const UNSIGNED_LOG_INTERVAL_MS = 60_000;

/**
 * Counts every unsigned message accepted under `signature.mode: if-present`
 * (ghes_agent_unsigned_messages_accepted_total) and logs at most one line a minute, saying how
 * many were accepted since the last one. Port signs every run message it publishes (port-agent
 * refuses an unsigned one, see config/schema.ts signature.mode), so an unsigned message is
 * either not Port's or a sign that the topic carries something unexpected: worth an operator's
 * look, not a line per message an attacker could flood the log with. The clock is injected; no
 * timer is set per message.
 */
export function createUnsignedNote(deps: { metrics: Metrics; logger: Logger; clock: Clock; intervalMs?: number }) {
  const interval = deps.intervalMs ?? UNSIGNED_LOG_INTERVAL_MS;
  let lastLogMs: number | undefined;
  let since = 0;
  return (fields: Record<string, unknown>): void => {
    deps.metrics.unsignedAccepted.inc();
    since++;
    const now = deps.clock.now();
    if (lastLogMs !== undefined && now - lastLogMs < interval) return;
    deps.logger.warn(
      `accepted ${since} unsigned message${since === 1 ? '' : 's'} ${lastLogMs === undefined ? 'so far' : `in the last ${Math.round((now - lastLogMs) / 1000)} s`} because signature.mode is "if-present": anyone able to write to the topic can send such messages; set signature.mode: required (Port signs every run message)`,
      { ...fields, unsignedAccepted: since },
    );
    lastLogMs = now;
    since = 0;
  };
}
