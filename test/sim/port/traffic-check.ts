// Checks what the Port simulator recorded (with `recordResponses`) against the schemas written
// from Port's API description: every request body and query the client sent, every answer.
import { ROUTES, UNPROMISED_RUN_FIELDS, responseSchema } from './port-api-schema.js';
import { checkQuery, checkSchema } from './schema-check.js';
import type { PortSim } from './types.js';

/** Problems found, and the "METHOD route status" keys the traffic exercised. */
export function checkTraffic(sim: PortSim): { problems: string[]; seen: Set<string> } {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of sim.requests()) {
    if (r.status === 0) continue;
    const key = `${r.method} ${r.route}`;
    const route = ROUTES[key];
    if (!route) {
      problems.push(`${key}: a route the schema does not know`);
      continue;
    }
    seen.add(`${key} ${r.status}`);
    if (route.request && r.body !== undefined && r.route !== '/v1/auth/access_token')
      problems.push(...checkSchema(r.body, route.request).map((e) => `${key} request: ${e}`));
    problems.push(...checkQuery(new URLSearchParams(r.query ?? ''), route.query ?? {}).map((e) => `${key}: ${e}`));
    const schema = responseSchema(key, r.status);
    if (!schema) problems.push(`${key} ${r.status}: an answer the description does not document`);
    else
      problems.push(
        ...checkSchema(r.response, schema, { strict: true, allowExtra: UNPROMISED_RUN_FIELDS }).map((e) => `${key} ${r.status}: ${e}`),
      );
  }
  return { problems, seen };
}
