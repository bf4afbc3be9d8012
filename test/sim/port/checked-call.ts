// A request to the Port simulator whose answer is checked against the schema written from
// Port's API description (port-api-schema.ts) before the test sees it.
import assert from 'node:assert/strict';
import { ROUTES, UNPROMISED_RUN_FIELDS, responseSchema } from './port-api-schema.js';
import { checkSchema } from './schema-check.js';
import { resolveRoute } from './routes.js';
import type { PortSim } from './types.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function checkedCall(
  sim: PortSim,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(sim.url + path, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const body = (await res.json()) as Record<string, unknown>;
  const key = `${method} ${resolveRoute(new URL(path, sim.url).pathname).route}`;
  const schema = responseSchema(key, res.status);
  assert.ok(schema, `${key} ${res.status}: no schema for this answer`);
  const errs = checkSchema(body, schema, { strict: true, allowExtra: UNPROMISED_RUN_FIELDS });
  assert.deepEqual(errs, [], `${key} ${res.status} (${ROUTES[key]?.source}):\n${errs.join('\n')}\n${JSON.stringify(body)}`);
  return { status: res.status, headers: res.headers, body };
}

export async function login(sim: PortSim): Promise<string> {
  const r = await checkedCall(sim, 'POST', '/v1/auth/access_token', { body: { clientId: sim.clientId, clientSecret: sim.clientSecret } });
  assert.equal(r.status, 200);
  return r.body.accessToken as string;
}
