import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import { type FetchFn, type HttpResponse, describeNetworkError } from '../util/http-fetch.js';
import { requestAccessToken } from './port-access-token.js';
import { failPortAnswer } from './port-failure.js';
import { createRateLimitPacer } from './rate-limit-pacer.js';

export interface PortHttp {
  /** One authenticated call, renewing the token once if Port says it is no longer valid. */
  call(operation: string, method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<HttpResponse>;
  /** Turns a non-2xx answer into an AgentError (5xx, 429, 408 retriable) carrying Port's body. */
  fail(operation: string, res: HttpResponse): Promise<never>;
  /** The claims of the current access token (a JWT, read without verifying it: Port verifies it). */
  tokenClaims(): Promise<Record<string, unknown>>;
}

/**
 * Port's API over HTTP: bearer tokens from `POST /v1/auth/access_token` cached until a minute
 * before they expire (Ocean does the same; port-agent fetches one per call), renewed once on a
 * 401; every request paced by the rate-limit headers (rate-limit-pacer.ts); failures become
 * AgentErrors that say whether to try again and when.
 */
export function createPortHttp(deps: {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch: FetchFn;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
}): PortHttp {
  const host = new URL(deps.baseUrl).host;
  const pacer = createRateLimitPacer();
  let token: { value: string; expiresAtMs: number } | undefined;
  let pendingToken: Promise<string> | undefined;
  let pacingLogged = 0;

  /**
   * `auth` false is the token POST only: its body is `{clientId, clientSecret}`, so it follows no
   * redirect at all (`redirect: 'manual'`, issue 23): whoever answers it with a 307/308, Port's
   * host or anything between, gets the 3xx back as a refusal, and the secret goes nowhere else.
   * Every other call follows only what http-fetch's redirectRefusal allows (never another origin:
   * each carries a bearer token).
   */
  async function send(
    operation: string,
    method: string,
    path: string,
    body: unknown,
    extraHeaders: Record<string, string>,
    auth: boolean,
  ): Promise<HttpResponse> {
    const wait = pacer.take(deps.clock.now());
    if (wait > 0) {
      deps.metrics.limitReached.inc({ limit: 'port_rate' });
      if (deps.clock.now() - pacingLogged > 60_000) {
        pacingLogged = deps.clock.now();
        deps.logger.warn(
          `Port's rate limit is nearly used up (x-ratelimit-remaining ${pacer.remaining()}): pacing requests until it resets`,
          { component: 'port', waitMs: Math.round(wait) },
        );
      }
      await deps.clock.sleep(wait);
    }
    let res: HttpResponse;
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'ghes-agent',
        ...extraHeaders,
      };
      if (auth) headers.authorization = `Bearer ${await accessToken()}`;
      res = await deps.fetch(`${deps.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        ...(auth ? {} : { redirect: 'manual' as const }),
      });
    } catch (err) {
      if (err instanceof AgentError) {
        // A limit cut the answer (port.requestDeadlineMs, port.maxResponseBytes): http-fetch's limitError.
        if (err.code === 'timeout' || err.code === 'limits')
          deps.metrics.portRequests.inc({ operation, outcome: err.code === 'timeout' ? 'deadline' : 'too_large' });
        throw new AgentError(err.code, `Port API ${operation}: ${err.message}`, { retriable: err.retriable, cause: err });
      }
      deps.metrics.portRequests.inc({ operation, outcome: 'network_error' });
      throw new AgentError('network', `Port API: ${describeNetworkError(err, host, 'port.caFile')}`, { retriable: true, cause: err });
    }
    pacer.observe(res.headers, deps.clock.now());
    const remaining = pacer.remaining();
    if (remaining !== undefined) deps.metrics.portRateLimitRemaining.set(remaining);
    deps.metrics.portRequests.inc({ operation, outcome: res.ok ? 'success' : `http_${Math.floor(res.status / 100)}xx` });
    return res;
  }

  function fail(operation: string, res: HttpResponse): Promise<never> {
    return failPortAnswer(operation, res, { logger: deps.logger, untilReset: () => pacer.untilReset(deps.clock.now()) });
  }

  async function accessToken(): Promise<string> {
    if (token && deps.clock.now() < token.expiresAtMs) return token.value;
    pendingToken ??= requestAccessToken({ clientId: deps.clientId, clientSecret: deps.clientSecret, send, fail })
      .then((fresh) => {
        token = { value: fresh.value, expiresAtMs: deps.clock.now() + fresh.reuseMs };
        return fresh.value;
      })
      .finally(() => {
        pendingToken = undefined;
      });
    return pendingToken;
  }

  return {
    async call(operation, method, path, opts = {}) {
      let res = await send(operation, method, path, opts.body, opts.headers ?? {}, true);
      if (res.status === 401) {
        await res.text().catch(() => '');
        token = undefined;
        res = await send(operation, method, path, opts.body, opts.headers ?? {}, true);
      }
      return res;
    },
    fail,
    async tokenClaims() {
      return decodeJwtClaims(await accessToken());
    },
  };
}

/** The payload of a JWT, or {} when the token is not one (Port's tokens are; a proxy's might not be). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
