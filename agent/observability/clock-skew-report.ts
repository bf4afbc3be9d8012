import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Beyond this the default App JWT (backdated 30 s by auth-app) would be refused: worth a warning. */
const WARN_AT_MS = 30_000;

/**
 * What the agent says about GHES's clock: the gauge on every change, a warning when the skew is
 * large enough to have broken App authentication (the agent corrects for it, but the clocks
 * should be fixed: log timestamps disagree too), and a note when it is back to normal.
 */
export function reportClockSkew(deps: { metrics: Metrics; logger: Logger }) {
  const log = deps.logger.child({ component: 'github' });
  let warnedAtMs: number | undefined;
  return (offsetMs: number): void => {
    deps.metrics.githubClockSkew.set(offsetMs / 1000);
    const large = Math.abs(offsetMs) >= WARN_AT_MS;
    if (large && (warnedAtMs === undefined || Math.abs(offsetMs - warnedAtMs) >= WARN_AT_MS)) {
      warnedAtMs = offsetMs;
      const s = Math.round(Math.abs(offsetMs) / 1000);
      log.warn(
        `GHES's clock is ${s} s ${offsetMs < 0 ? 'behind' : 'ahead of'} this host's (from its Date header): App JWTs and run look-ups use GHES's clock to make up for it. Synchronize both clocks (NTP).`,
        { clockSkewSeconds: Math.round(offsetMs / 1000) },
      );
    } else if (!large && warnedAtMs !== undefined) {
      warnedAtMs = undefined;
      log.info(`GHES's clock is within ${Math.round(Math.abs(offsetMs) / 1000)} s of this host's again`, {
        clockSkewSeconds: Math.round(offsetMs / 1000),
      });
    }
  };
}
