import { toAgentError } from '../errors.js';

/** The services the agent cannot work without. */
export type Dependency = 'github' | 'port' | 'kafka';

export interface DependencyHealth {
  /** A call to the dependency got an answer (any answer that proves it is reachable). */
  success(dep: Dependency): void;
  /**
   * A call failed the way an unreachable or broken service fails (network, timeout, 5xx).
   * `reason` is the agent's own words (outageReason), never the remote's: it is shown on /readyz.
   */
  failure(dep: Dependency, reason: string): void;
  /** The dependencies unreachable for longer than the grace period, with the last reason. */
  unhealthy(): string[];
}

/**
 * Tracks whether GHES, Port's API and the broker are reachable, for /readyz. Pure apart from
 * the injected clock: the clients and the consumer feed it, readiness reads it. One failed
 * request is not an outage (retries absorb it); a dependency is unhealthy only once it has kept
 * failing, with no success in between, for `unreachableAfterMs`. A dependency that must be in
 * regular contact (the broker: fetches and heartbeats every few seconds) is also unhealthy when
 * it has not been heard from for that long, even if no call has reported an error yet.
 */
export function createDependencyHealth(opts: {
  now: () => number;
  unreachableAfterMs: number;
  expectContact?: Dependency[];
}): DependencyHealth {
  const failingSince = new Map<Dependency, { since: number; reason: string }>();
  const lastContact = new Map<Dependency, number>();
  const started = opts.now();
  return {
    success(dep) {
      failingSince.delete(dep);
      lastContact.set(dep, opts.now());
    },
    failure(dep, reason) {
      const current = failingSince.get(dep);
      failingSince.set(dep, { since: current?.since ?? opts.now(), reason });
    },
    unhealthy() {
      const now = opts.now();
      const out: string[] = [];
      for (const [dep, f] of failingSince) {
        if (now - f.since >= opts.unreachableAfterMs)
          out.push(`${dep} unreachable for ${Math.round((now - f.since) / 1000)} s: ${f.reason}`);
      }
      for (const dep of opts.expectContact ?? []) {
        if (failingSince.has(dep) && out.some((l) => l.startsWith(`${dep} `))) continue;
        const last = lastContact.get(dep) ?? started;
        if (now - last >= opts.unreachableAfterMs) out.push(`${dep}: no contact for ${Math.round((now - last) / 1000)} s`);
      }
      return out;
    },
  };
}

/** Whether an error says the service is unreachable or broken (not: the request was wrong). */
export function isOutageError(err: unknown): boolean {
  const e = toAgentError(err);
  if (e.code === 'network' || e.code === 'server' || e.code === 'timeout') return true;
  return e.status !== undefined && e.status >= 500;
}

/**
 * What /readyz says of a failure: its kind and HTTP status, in the agent's own words. Never the
 * error's message (issue 23): that carries the remote's answer (Port's error body, GHES's
 * message), which /readyz, open to anything that can reach the metrics port, must not repeat;
 * the agent's log has the whole error.
 */
export function outageReason(err: unknown): string {
  const e = toAgentError(err);
  const kind =
    e.code === 'network'
      ? 'network error'
      : e.code === 'timeout'
        ? 'timed out'
        : e.code === 'server' || (e.status ?? 0) >= 500
          ? 'server error'
          : e.code;
  return `${kind}${e.status === undefined ? '' : ` (HTTP ${e.status})`}, details in the agent's log`;
}

/**
 * The same client with every method reporting to `health`: any answer is a success (a 404 or
 * 422 proves the service is up), an outage error a failure. Errors pass through unchanged.
 */
export function observeCalls<T extends object>(target: T, dep: Dependency, health: DependencyHealth): T {
  const wrapped = { ...target } as Record<string, unknown>;
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        const result = await (value as (...a: unknown[]) => unknown).apply(target, args);
        health.success(dep);
        return result;
      } catch (err) {
        if (isOutageError(err)) health.failure(dep, outageReason(err));
        else health.success(dep);
        throw err;
      }
    };
  }
  return wrapped as T;
}
