import { AgentError, toAgentError } from '../errors.js';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      // Callers pass `deadline - now()`: timers fire on whole milliseconds, often just before a
      // deadline with a fraction, so that can be a hair below zero, which Node 24 answers with a
      // TimeoutNegativeWarning on stderr (and agent-e2e refuses warnings). Zero is what they mean.
      const t = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(t);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export function abortError(): AgentError {
  return new AgentError('internal', 'aborted', { retriable: false });
}

/** Capped exponential backoff with full jitter; a server's retry-after wins when it is longer. */
export function backoffDelay(
  attempt: number,
  opts: { baseMs: number; capMs: number; random?: () => number },
  retryAfterMs?: number,
): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = exp / 2 + (opts.random ?? Math.random)() * (exp / 2);
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}

export interface RetryOptions {
  clock: Clock;
  baseMs?: number;
  capMs?: number;
  /** Attempts at most; Infinity retries until aborted (reports that must not be lost). */
  maxAttempts?: number;
  signal?: AbortSignal;
  onRetry?: (err: AgentError, attempt: number, delayMs: number) => void;
}

/** Retries retriable AgentErrors; anything else is thrown at once. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const max = opts.maxAttempts ?? 5;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw abortError();
    try {
      return await fn(attempt);
    } catch (raw) {
      const err = toAgentError(raw);
      if (!err.retriable || attempt + 1 >= max || opts.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, { baseMs: opts.baseMs ?? 500, capMs: opts.capMs ?? 30_000 }, err.retryAfterMs);
      opts.onRetry?.(err, attempt, delay);
      await opts.clock.sleep(delay, opts.signal);
    }
  }
}
