/**
 * relay.requestsPerRepoPerMinute: a token bucket per repository (the token's repository_id), so a
 * runaway workflow spends its own budget, not the agent's Port rate limit for every other
 * repository (Port limits per organization: docs api-reference/rate-limits). Pure given `now`.
 */
export interface RepoRateLimit {
  /** 0 when the request may go, else the ms until one token is back. */
  take(repositoryId: number): number;
}

export function createRepoRateLimit(opts: { perMinute: number; now: () => number; maxRepos?: number }): RepoRateLimit {
  const capacity = opts.perMinute;
  const perMs = opts.perMinute / 60_000;
  const maxRepos = opts.maxRepos ?? 10_000;
  const buckets = new Map<number, { tokens: number; at: number }>();
  return {
    take(repositoryId) {
      const now = opts.now();
      let b = buckets.get(repositoryId);
      if (b) {
        b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs);
        b.at = now;
      } else {
        // Bounded memory: the oldest entry goes (a full bucket is what a new one would get anyway).
        if (buckets.size >= maxRepos) buckets.delete(buckets.keys().next().value!);
        b = { tokens: capacity, at: now };
        buckets.set(repositoryId, b);
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - b.tokens) / perMs);
    },
  };
}
