// One /api/v3 request: route → fault → auth → route auth → (rate limit, ETag) → handler.
// Faults come before auth so an outage looks the same to every caller; a fault marked
// `when: 'after'` lets the request take effect first and then replaces its answer.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, type Principal } from './auth.js';
import { fail, type SimContext } from './context.js';
import { computeEtag, ifNoneMatchHits } from './etag.js';
import type { FaultRegistry } from './faults.js';
import { JWT_MESSAGES } from './jwt.js';
import { rateHeaders, type RateLimiter, type RateState } from './rate-limit.js';
import type { ApiResponse, Router } from './router.js';
import type { FaultSpec, RequestLogEntry } from './types.js';

export interface PipelineDeps {
  ctx: SimContext;
  router: Router;
  faults: FaultRegistry;
  rateLimiter: RateLimiter | null;
  log: RequestLogEntry[];
  counters: Map<string, number>;
  /** X-GitHub-Request-Id of each answer (createRequestIds). */
  requestId: () => string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * GitHub's X-GitHub-Request-Id shape (four colon-separated hex groups), unique per request: a
 * random prefix per simulator and a counter, since a randomBytes call per request was a few
 * percent of the simulators' CPU in `make bench` (issue 16).
 */
export function createRequestIds(): () => string {
  const prefix = randomBytes(4).toString('hex').toUpperCase();
  let n = 0;
  return () => {
    const h = (++n).toString(16).toUpperCase().padStart(12, '0');
    return `${prefix.slice(0, 4)}:${prefix.slice(4, 8)}:${h.slice(0, 6)}:${h.slice(6, 12)}`;
  };
}

function rateKey(p: Principal, req: IncomingMessage): string {
  switch (p.kind) {
    case 'pat':
      return `pat:${p.token}`;
    case 'installation':
      return `installation:${p.installation.id}`;
    case 'jwt':
      return `app:${p.appId}`;
    default:
      return `ip:${req.socket.remoteAddress ?? ''}`;
  }
}

/** The credential seen by ETag computation, so validators differ per caller. */
function credentialId(p: Principal): string {
  return p.kind === 'pat' || p.kind === 'installation' ? `${p.kind}:${p.token}` : p.kind === 'jwt' ? `app:${p.appId}` : 'anonymous';
}

function rateLimitedMessage(p: Principal, req: IncomingMessage): string {
  if (p.kind === 'installation') return `API rate limit exceeded for installation ID ${p.installation.id}.`;
  if (p.kind === 'pat') return `API rate limit exceeded for user ${p.login}.`;
  return `API rate limit exceeded for ${req.socket.remoteAddress ?? 'your address'}.`;
}

export async function handleApi(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  apiPath: string,
  query: URLSearchParams,
  rawBody: string,
): Promise<void> {
  const { ctx, router, faults, rateLimiter } = deps;
  const method = (req.method ?? 'GET').toUpperCase();
  const match = router.match(method, apiPath);
  const route = match ? `${match.route.method} ${match.route.template}` : null;
  const counterKey = route ?? `${method} <unmatched>`;
  deps.counters.set(counterKey, (deps.counters.get(counterKey) ?? 0) + 1);
  const entry: RequestLogEntry = {
    at: ctx.clock.now(),
    method,
    path: apiPath,
    route,
    status: 0,
    auth: 'none',
    conditional: req.headers['if-none-match'] !== undefined,
  };
  deps.log.push(entry);
  const rid = deps.requestId();
  let rate: RateState | null = null;
  let oauthScopes: string | undefined;

  const fault = faults.take(method, route, apiPath);
  const after = fault?.when === 'after' ? fault : null;
  // GitHub answers every request with its own Date: clients measure clock skew from it.
  const dated = (): Record<string, string> => ({ date: new Date(ctx.clock.now()).toUTCString() });

  const sendNow = (r: ApiResponse, extra: Record<string, string> = {}): void => {
    entry.status = r.status;
    const headers: Record<string, string> = {
      ...dated(),
      'x-github-enterprise-version': ctx.state.version,
      ...(oauthScopes !== undefined ? { 'x-oauth-scopes': oauthScopes } : {}),
      'x-github-request-id': rid,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      ...(rate ? rateHeaders(rate) : {}),
      ...(r.headers ?? {}),
      ...extra,
    };
    const hasBody = r.status !== 204 && r.status !== 304 && r.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(r.status, headers);
    res.end(hasBody ? JSON.stringify(r.body) : undefined);
  };

  /** The fault's own answer; true when it answered (or dropped the connection). */
  const answerFault = async (f: FaultSpec, when: 'before' | 'after'): Promise<boolean> => {
    entry.fault = f.kind;
    entry.faultWhen = when;
    if (f.kind === 'latency') {
      await sleep(f.latencyMs ?? 1000);
      return false;
    }
    if (f.kind === 'reset') {
      entry.status = 0;
      req.socket.destroy();
      return true;
    }
    if (f.kind === 'secondary-rate-limit') {
      const msg = `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${rid}.`;
      sendNow(fail(ctx, f.status ?? 403, msg), { 'retry-after': String(f.retryAfterS ?? 60) });
      return true;
    }
    if (f.kind === 'outage') {
      sendNow(fail(ctx, f.status ?? 503, 'Service Unavailable'));
      return true;
    }
    const status = f.status ?? 500;
    const extra: Record<string, string> = f.retryAfterS !== undefined ? { 'retry-after': String(f.retryAfterS) } : {};
    sendNow(fail(ctx, status, status >= 500 ? 'Server Error' : 'Injected fault'), extra);
    return true;
  };

  // Every answer below goes through here: an 'after' fault replaces it once the work is done.
  const send = async (r: ApiResponse, extra: Record<string, string> = {}): Promise<void> => {
    if (after && (await answerFault(after, 'after'))) return;
    sendNow(r, extra);
  };

  if (fault && !after && (await answerFault(fault, 'before'))) return;

  const auth = authenticate(req.headers.authorization, {
    state: ctx.state,
    appId: ctx.app.appId,
    publicKey: ctx.app.publicKey,
    now: ctx.clock.now,
  });
  if (!auth.ok) {
    entry.auth = auth.kind;
    return send(fail(ctx, 401, auth.message));
  }
  const principal = auth.principal;
  entry.auth = principal.kind;
  if (principal.kind === 'pat' && principal.access.scopes) oauthScopes = principal.access.scopes.join(', ');

  if (!match) return send(fail(ctx, 404, 'Not Found'));
  const ra = match.route.auth;
  if (ra === 'jwt' && principal.kind !== 'jwt') {
    return send(fail(ctx, 401, principal.kind === 'none' ? 'Requires authentication' : JWT_MESSAGES.undecodable));
  }
  if (ra === 'token' && principal.kind === 'none') return send(fail(ctx, 401, 'Requires authentication'));
  if (ra === 'token' && principal.kind === 'jwt') return send(fail(ctx, 403, 'Resource not accessible by integration'));

  let body: unknown = undefined;
  if (rawBody.trim() !== '') {
    try {
      body = JSON.parse(rawBody);
    } catch {
      return send(fail(ctx, 400, 'Problems parsing JSON'));
    }
  }

  const key = rateKey(principal, req);
  const limited = (): Promise<void> => send(fail(ctx, 403, rateLimitedMessage(principal, req)));
  const isRead = method === 'GET' || method === 'HEAD';
  // Writes are charged up front so a refused write has no side effect.
  const charge = (): boolean => {
    if (!rateLimiter) return true;
    const charged = rateLimiter.charge(key);
    rate = charged ?? rateLimiter.peek(key);
    return charged !== null;
  };
  if (!isRead && !charge()) return limited();

  const r = match.route.handler({ method, path: apiPath, params: match.params, query, body, principal });

  if (isRead && r.status === 200) {
    const text = JSON.stringify(r.body);
    const etag = computeEtag(text, credentialId(principal), r.list === true);
    const cache = { etag, 'cache-control': 'private, max-age=60, s-maxage=60', vary: 'Accept, Authorization, Cookie, X-GitHub-OTP' };
    // A 304 costs nothing against the primary rate limit (GitHub docs).
    if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
      if (rateLimiter) rate = rateLimiter.peek(key);
      const poll = r.headers?.['x-poll-interval'];
      return send({ status: 304 }, poll ? { ...cache, 'x-poll-interval': poll } : cache);
    }
    if (!charge()) return limited();
    return send(r, cache);
  }
  if (isRead && !charge()) return limited();
  await send(r);
}
