/**
 * The one error type of the agent. Every failure that crosses a module boundary is an
 * AgentError, so callers decide with two questions only: may I try again (`retriable`), and
 * when (`retryAfterMs`). `code` is a stable, low-cardinality word usable as a metric label;
 * `message` is written for the user who reads it in Port and must never contain a secret.
 */
export type ErrorCode =
  | 'config'
  | 'invalid_message'
  | 'signature'
  | 'policy'
  | 'inputs'
  | 'not_found'
  | 'auth'
  | 'forbidden'
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'ambiguous'
  | 'conflict'
  | 'timeout'
  | 'limits'
  | 'port'
  | 'internal';

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** Server-provided wait (retry-after, rate-limit reset) in ms, when known. */
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retriable?: boolean; retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AgentError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.status = opts.status;
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof AgentError ? err.retriable : false;
}

/** Wrap anything thrown by code we do not control into an AgentError, keeping AgentErrors as they are. */
export function toAgentError(err: unknown, code: ErrorCode = 'internal'): AgentError {
  if (err instanceof AgentError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AgentError(code, message, { cause: err });
}
