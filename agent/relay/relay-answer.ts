import type { RelayRouteName } from './relay-routes.js';

/** The relay's answers by outcome: a metric label, and what the audit log says of a request. */
export type RelayOutcome =
  'ok' | 'port_error' | 'unauthenticated' | 'forbidden' | 'rate_limited' | 'too_large' | 'timeout' | 'bad_request' | 'not_found' | 'error';

/** What the relay answers one request with; relay-server.ts writes it. */
export interface RelayAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
  route: RelayRouteName;
  outcome: RelayOutcome;
}

/** Port's answers are JSON; so are the relay's own refusals. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Port's error shape (its API's `{ok: false, error, message}`). */
export function portErrorAnswer(
  status: number,
  error: string,
  message: string,
  route: RelayRouteName,
  outcome: RelayOutcome,
  headers: Record<string, string> = {},
): RelayAnswer {
  return {
    status,
    body: JSON.stringify({ ok: false, error, message }),
    headers: { 'content-type': JSON_TYPE, ...headers },
    route,
    outcome,
  };
}
