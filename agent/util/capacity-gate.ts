import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** One resource the agent bounds: how much is in use now, the most allowed, and the setting that sets it. */
export interface Bound {
  /** Metric label: a fixed word such as 'inflight_runs'. */
  limit: string;
  setting: string;
  max: number;
  current(): number;
}

/**
 * The consumer asks this before taking each message. A bound reached closes the gate: the
 * consumer stops taking messages (Kafka keeps them) until the work in hand shrinks, so memory
 * and open requests stay bounded and nothing is dropped. Each time a bound is reached it is
 * counted and logged once, not on every poll of the consumer's wait loop.
 */
export function createCapacityGate(deps: { bounds: Bound[]; metrics: Pick<Metrics, 'limitReached'>; logger: Logger }): () => boolean {
  const log = deps.logger.child({ component: 'limits' });
  const reached = new Set<string>();
  return () => {
    let open = true;
    for (const b of deps.bounds) {
      const current = b.current();
      if (current >= b.max) {
        open = false;
        if (!reached.has(b.limit)) {
          reached.add(b.limit);
          deps.metrics.limitReached.inc({ limit: b.limit });
          log.warn(`${b.setting} (${b.max}) reached: not taking new messages until work in hand finishes (they wait in Kafka)`, {
            limit: b.limit,
            current,
            max: b.max,
          });
        }
      } else if (reached.delete(b.limit)) {
        log.info(`${b.setting}: back under ${b.max}; taking messages again`, { limit: b.limit, current, max: b.max });
      }
    }
    return open;
  };
}
