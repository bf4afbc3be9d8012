import { AgentError } from '../errors.js';
import type { HttpResponse } from '../util/http-fetch.js';

/** A fresh token and how long it may be reused from now. */
export interface FreshToken {
  value: string;
  reuseMs: number;
}

/**
 * One `POST /v1/auth/access_token` with the client id and secret. `send` with `auth` false follows
 * no redirect (port-http.ts says why: the body is the secret). The token is reused until a minute
 * before Port says it expires (`expiresIn`, seconds; 3600 when absent), or half its life when that
 * is shorter than two minutes: Ocean caches it the same way.
 */
export async function requestAccessToken(deps: {
  clientId: string;
  clientSecret: string;
  send: (
    operation: string,
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    auth: boolean,
  ) => Promise<HttpResponse>;
  fail: (operation: string, res: HttpResponse) => Promise<never>;
}): Promise<FreshToken> {
  const res = await deps.send(
    'auth',
    'POST',
    '/v1/auth/access_token',
    { clientId: deps.clientId, clientSecret: deps.clientSecret },
    {},
    false,
  );
  if (res.status === 401 || res.status === 403) {
    await res.text().catch(() => '');
    throw new AgentError(
      'auth',
      'Port rejected the client id/secret (401). Check port.clientId and port.clientSecret (Port → Settings → Credentials) and port.region.',
      { status: res.status },
    );
  }
  if (!res.ok) await deps.fail('auth', res);
  const body = (await res.json()) as { accessToken?: string; expiresIn?: number };
  if (!body.accessToken) throw new AgentError('port', 'Port auth answered without accessToken', { retriable: true });
  const ttlMs = (body.expiresIn ?? 3600) * 1000;
  return { value: body.accessToken, reuseMs: Math.max(ttlMs - 60_000, ttlMs / 2) };
}
