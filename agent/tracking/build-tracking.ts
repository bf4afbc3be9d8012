import type { AgentConfig } from '../config/schema.js';
import type { ClockSkew } from '../github/clock-skew.js';
import type { GithubApi } from '../github/github-api.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../util/backoff.js';
import { createBatchedWatcher } from './batched-watcher.js';
import { createNaiveWatcher } from './naive-watcher.js';
import type { RunWatcher } from './run-watcher.js';

/** The run watcher of `tracking.mode`, its seconds and multipliers turned into milliseconds. */
export function buildTracking(
  config: Pick<AgentConfig, 'tracking' | 'github'>,
  deps: { github: { api: GithubApi; skew: ClockSkew }; clock: Clock; logger: Logger },
): RunWatcher {
  const { clock, logger } = deps;
  const { api, skew } = deps.github;
  const t = config.tracking;
  const intervalMs = t.pollIntervalSeconds * 1000;
  return t.mode === 'naive'
    ? createNaiveWatcher({
        api,
        clock,
        logger,
        intervalMs,
        maxWaitMs: t.maxWaitSeconds * 1000,
        sweepMs: intervalMs * t.statusSweepMultiplier,
      })
    : createBatchedWatcher({
        api,
        clock,
        serverOffsetMs: skew.offsetMs,
        logger,
        settings: {
          intervalMs,
          maxIntervalMs: intervalMs * t.idleIntervalMultiplier,
          sweepMs: intervalMs * t.statusSweepMultiplier,
          maxWaitMs: t.maxWaitSeconds * 1000,
          // A quarter of the per-host bound: polling never crowds out dispatches.
          maxConcurrentRequests: Math.max(1, Math.floor(config.github.maxConcurrency / 4)),
        },
      });
}
