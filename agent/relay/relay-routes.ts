/**
 * The requests the relay serves: exactly those port-labs/port-github-action makes (commit
 * 0d9dda7d655ceb1ec16ea9f646a771ec1fc19479, v1.7.10, src/clients/port/*.ts), each turned into the
 * Port request the relay forwards. Pure.
 *
 * | operation          | action's request (src/clients/port/…)                                           |
 * |--------------------|---------------------------------------------------------------------------------|
 * | token (every op)   | POST /v1/auth/access_token {clientId, clientSecret} (getToken.ts)               |
 * | UPSERT, BULK_UPSERT| POST /v1/blueprints/{bp}/entities?upsert=true&merge=true[&run_id][&create_missing_related_entities=true] (upsertEntity.ts; BULK_UPSERT is one per entity) |
 * | GET                | GET /v1/blueprints/{bp}/entities/{encoded id}[?include=…] (getEntity.ts)         |
 * | SEARCH             | POST /v1/entities/search[?include=…] {rules, combinator} (searchEntities.ts)     |
 * | DELETE             | DELETE /v1/blueprints/{bp}/entities/{encoded id}?delete_dependents=…[&run_id] (deleteEntity.ts) |
 * | PATCH_RUN          | PATCH /v1/actions/runs/{id}?runId={id} (patchRun.ts); with logMessage first POST /v1/actions/runs/{id}/logs {message} (updateRunLogs.ts) |
 *
 * Only the query parameters the action sends are passed on (anything else is refused, so a caller
 * cannot reach a Port feature the relay did not decide on), in the order they came.
 */
export type RelayRouteName =
  'token' | 'upsert_entity' | 'get_entity' | 'delete_entity' | 'search_entities' | 'patch_run' | 'add_run_log' | 'unknown';

export type RelayRoute =
  | { name: 'token' }
  | {
      name: 'upsert_entity' | 'get_entity' | 'delete_entity';
      blueprint: string;
      entity?: string;
      portPath: string;
      runId?: string;
      query: URLSearchParams;
    }
  | { name: 'search_entities'; portPath: string; query: URLSearchParams }
  | { name: 'patch_run' | 'add_run_log'; runId: string; portPath: string; query: URLSearchParams }
  | { name: 'unknown'; status: 400 | 404 | 405; reason: string };

const ALLOWED_QUERY: Record<string, string[]> = {
  upsert_entity: ['upsert', 'merge', 'run_id', 'create_missing_related_entities'],
  get_entity: ['include'],
  delete_entity: ['delete_dependents', 'run_id'],
  search_entities: ['include'],
  patch_run: ['runId'],
  add_run_log: [],
};

/** Port identifiers: blueprints and run ids are short words; entity identifiers may hold more (the action encodes them). */
// Port's blueprint identifier pattern (api-reference, create-a-blueprint: ^[A-Za-z0-9@_=\\-]+$).
const BLUEPRINT = /^[A-Za-z0-9@_=-]{1,100}$/;
const RUN_ID = /^r_[A-Za-z0-9_-]{1,100}$/;

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function matchRelayRoute(method: string, rawUrl: string): RelayRoute {
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://relay.invalid');
  } catch {
    return { name: 'unknown', status: 400, reason: 'the request target is not a URL path' };
  }
  const parts = url.pathname.split('/').slice(1);
  const m = method.toUpperCase();
  const withQuery = <T extends Exclude<RelayRoute, { name: 'token' | 'unknown' }>>(route: T): RelayRoute => {
    const allowed = ALLOWED_QUERY[route.name]!;
    const unknown = [...url.searchParams.keys()].find((k) => !allowed.includes(k));
    if (unknown !== undefined)
      return {
        name: 'unknown',
        status: 400,
        reason: `query parameter ${JSON.stringify(unknown.slice(0, 50))} is not one the relay passes on (allowed here: ${allowed.join(', ') || 'none'})`,
      };
    const search = url.searchParams.toString();
    return { ...route, portPath: search ? `${route.portPath}?${search}` : route.portPath };
  };
  const [v1, a, b, c, d, ...rest] = parts;
  if (v1 !== 'v1' || parts.some((p) => p === ''))
    return { name: 'unknown', status: 404, reason: `${url.pathname.slice(0, 200)} is not a route the relay serves` };

  if (a === 'auth' && b === 'access_token' && c === undefined)
    return m === 'POST' ? { name: 'token' } : { name: 'unknown', status: 405, reason: `${m} is not allowed on /v1/auth/access_token` };

  if (a === 'entities' && b === 'search' && c === undefined) {
    if (m !== 'POST') return { name: 'unknown', status: 405, reason: `${m} is not allowed on /v1/entities/search` };
    return withQuery({ name: 'search_entities', portPath: '/v1/entities/search', query: url.searchParams });
  }

  if (a === 'blueprints' && b !== undefined && c === 'entities' && rest.length === 0) {
    const blueprint = decode(b);
    if (blueprint === undefined || !BLUEPRINT.test(blueprint))
      return { name: 'unknown', status: 400, reason: 'the blueprint identifier is not valid' };
    const bp = encodeURIComponent(blueprint);
    const runId = url.searchParams.get('run_id') ?? undefined;
    if (d === undefined) {
      if (m !== 'POST') return { name: 'unknown', status: 405, reason: `${m} is not allowed on /v1/blueprints/{blueprint}/entities` };
      return withQuery({ name: 'upsert_entity', blueprint, portPath: `/v1/blueprints/${bp}/entities`, runId, query: url.searchParams });
    }
    const entity = decode(d);
    if (entity === undefined || entity.length > 1000) return { name: 'unknown', status: 400, reason: 'the entity identifier is not valid' };
    const path = `/v1/blueprints/${bp}/entities/${encodeURIComponent(entity)}`;
    if (m === 'GET') return withQuery({ name: 'get_entity', blueprint, entity, portPath: path, query: url.searchParams });
    if (m === 'DELETE') return withQuery({ name: 'delete_entity', blueprint, entity, portPath: path, runId, query: url.searchParams });
    return { name: 'unknown', status: 405, reason: `${m} is not allowed on /v1/blueprints/{blueprint}/entities/{entity}` };
  }

  if (a === 'actions' && b === 'runs' && c !== undefined && rest.length === 0) {
    const runId = decode(c);
    if (runId === undefined || !RUN_ID.test(runId))
      return { name: 'unknown', status: 400, reason: 'the run id is not an action run id (r_…)' };
    const path = `/v1/actions/runs/${encodeURIComponent(runId)}`;
    if (d === undefined && m === 'PATCH') {
      // The action repeats the run id as ?runId= (patchRun.ts); another id there would be ambiguous.
      const q = url.searchParams.get('runId');
      if (q !== null && q !== runId)
        return { name: 'unknown', status: 400, reason: 'the runId query parameter names another run than the path' };
      return withQuery({ name: 'patch_run', runId, portPath: path, query: url.searchParams });
    }
    if (d === 'logs' && m === 'POST') return withQuery({ name: 'add_run_log', runId, portPath: `${path}/logs`, query: url.searchParams });
    return {
      name: 'unknown',
      status: 405,
      reason: `${m} is not allowed on ${d === undefined ? '/v1/actions/runs/{id}' : '/v1/actions/runs/{id}/logs'}`,
    };
  }
  return { name: 'unknown', status: 404, reason: `${url.pathname.slice(0, 200)} is not a route the relay serves` };
}
