import type { FetchFn } from '../util/http-fetch.js';

/**
 * GHES's clock against this host's, measured from the `Date` header of every GHES response.
 * It matters because an App JWT is checked against the appliance's clock with no leeway: `exp`
 * no more than 10 minutes ahead, `iat` not in the future (GitHub, "Generating a JSON Web Token
 * (JWT) for a GitHub App"). @octokit/auth-app backdates by 30 s and corrects skew only when an
 * /app route refuses its JWT; the installation-token POST is not corrected (auth-app's
 * `hook.js`), so a host clock more than 30 s ahead makes every token request 401.
 *
 * A Date header has one-second resolution: each sample is taken at the middle of its second,
 * and the offset is the median of the last few samples, so one slow response does not move it.
 */
export interface ClockSkew {
  /** Feeds one response's Date header, received at local `receivedAtMs`. */
  observe(dateHeader: string | null | undefined, receivedAtMs: number): void;
  /** GHES's clock minus the local one, ms; 0 until a response has been seen. */
  offsetMs: () => number;
  measured(): boolean;
}

export function createClockSkew(opts: { samples?: number; onChange?: (offsetMs: number, previousMs: number) => void } = {}): ClockSkew {
  const max = Math.max(1, opts.samples ?? 5);
  const samples: number[] = [];
  let offset = 0;
  return {
    observe(dateHeader, receivedAtMs) {
      if (!dateHeader) return;
      const serverMs = Date.parse(dateHeader);
      if (!Number.isFinite(serverMs)) return;
      samples.push(serverMs + 500 - receivedAtMs);
      if (samples.length > max) samples.shift();
      const previous = offset;
      offset = median(samples);
      if (offset !== previous || samples.length === 1) opts.onChange?.(offset, previous);
    },
    offsetMs: () => offset,
    measured: () => samples.length > 0,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** The same fetch, feeding every response's Date header to `skew` (errors pass through untouched). */
export function measuringSkew(fetch: FetchFn, skew: ClockSkew, now: () => number = Date.now): FetchFn {
  return async (url, init) => {
    const res = await fetch(url, init);
    skew.observe(res.headers.get('date'), now());
    return res;
  };
}
