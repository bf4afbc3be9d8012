import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { HttpResponse } from '../util/http-fetch.js';

/**
 * Turns Port's non-2xx answer into the AgentError that says whether to try again and when: 5xx,
 * 429 and 408 are retriable; a 429 waits for retry-after, or without it for the rate-limit
 * window's reset (`untilReset`, from the pacer's headers). A refused redirect names its rule, not
 * its body. Refusals that will not change on a retry are logged with Port's body (cut to 2,000
 * characters), which is where Port says what it did not accept.
 */
export async function failPortAnswer(
  operation: string,
  res: HttpResponse,
  ctx: { logger: Logger; untilReset: () => number | undefined },
): Promise<never> {
  if (res.redirectRefused) {
    // A redirect not followed: its Location's origin and the rule are named, not its body.
    await res.text().catch(() => '');
    throw new AgentError(
      'port',
      `Port API ${operation} answered ${res.status}, a redirect ${res.redirectRefused}. Check port.apiUrl / port.region (and any proxy in between).`,
      { status: res.status },
    );
  }
  const text = (await res.text().catch(() => '')).slice(0, 2000);
  const retryAfter = Number(res.headers.get('retry-after'));
  const retriable = res.status >= 500 || res.status === 429 || res.status === 408;
  if (!retriable) ctx.logger.warn('Port API refused a request', { component: 'port', operation, status: res.status, body: text });
  // A 429 without retry-after waits for the window's reset, as the headers say.
  const untilReset = res.status === 429 ? ctx.untilReset() : undefined;
  throw new AgentError(
    res.status === 429 ? 'rate_limited' : 'port',
    `Port API ${operation} answered ${res.status}: ${text || res.statusText}`,
    {
      retriable,
      status: res.status,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : untilReset,
    },
  );
}
