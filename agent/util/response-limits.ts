import type { AgentConfig } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import type { ResponseLimits } from './http-fetch.js';

/**
 * The limits on every answer of GHES or Port (github/port.requestDeadlineMs, maxResponseBytes:
 * issue 23), each cut counted as ghes_agent_limit_reached_total{limit="<remote>_response_deadline"}
 * or `…_response_bytes`.
 */
export function responseLimits(config: Pick<AgentConfig, 'github' | 'port'>, remote: 'github' | 'port', metrics?: Metrics): ResponseLimits {
  return {
    deadlineMs: config[remote].requestDeadlineMs,
    maxBodyBytes: config[remote].maxResponseBytes,
    deadlineSetting: `${remote}.requestDeadlineMs`,
    sizeSetting: `${remote}.maxResponseBytes`,
    onLimit:
      metrics && ((limit) => metrics.limitReached.inc({ limit: `${remote}_response_${limit === 'deadline' ? 'deadline' : 'bytes'}` })),
  };
}
