import { type Metrics, statusClass } from '../observability/metrics.js';
import type { Semaphore } from '../util/semaphore.js';
import type { Gh } from './gh.js';

/**
 * Wraps every request of `gh`: one slot of the GHES host's semaphore (`limiter`, github.maxConcurrency)
 * while it is in flight, and its route, method, status class, duration and the rate-limit headers
 * recorded in the metrics. Returns the same client.
 */
export function instrumentRequests(gh: Gh, deps: { limiter: Semaphore; metrics: Metrics }): Gh {
  gh.hook.wrap('request', async (request, options) => {
    const route = String(options.url).split('?')[0]!;
    const method = String(options.method);
    const start = performance.now();
    let status: number | undefined;
    let headers: Record<string, string | undefined> | undefined;
    try {
      // Installation tokens are created inside another request's hook (auth-app), while that
      // request already holds a slot: limiting them too deadlocks once every slot waits for a token.
      const res = route.endsWith('/access_tokens') ? await request(options) : await deps.limiter.run(async () => request(options));
      status = res.status;
      headers = res.headers as Record<string, string | undefined>;
      return res;
    } catch (err) {
      status = (err as { status?: number }).status;
      headers = (err as { response?: { headers?: Record<string, string | undefined> } }).response?.headers;
      throw err;
    } finally {
      deps.metrics.githubRequests.inc({ route, method, status_class: statusClass(status) });
      deps.metrics.githubRequestDuration.observe({ route, method }, (performance.now() - start) / 1000);
      const remaining = headers?.['x-ratelimit-remaining'];
      if (remaining !== undefined)
        deps.metrics.githubRateLimitRemaining.set({ resource: headers?.['x-ratelimit-resource'] ?? 'core' }, Number(remaining));
    }
  });
  return gh;
}
