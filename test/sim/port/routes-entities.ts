// Entity routes, as port-labs/port-github-action calls them (src/clients/port/*.ts at
// 0d9dda7d655c) and Port's API reference describes them (docs api-reference: create an entity —
// POST /v1/blueprints/{blueprint_identifier}/entities with upsert and merge query flags, answer
// 201 {ok, entity}; get an entity — GET …/entities/{entity_identifier}, 200 {ok, entity} or 404;
// delete an entity — DELETE …/entities/{entity_identifier}?delete_dependents, 200 {ok}; search
// entities — POST /v1/entities/search {combinator, rules}, 200 {ok, matchingBlueprints, entities}).
// Search evaluates only what the relay and its tests use: `$blueprint` and `$identifier` with
// `=`/`in`, combined by and/or.
import { randomBytes } from 'node:crypto';
import { portError } from './http-io.js';
import type { RouteContext } from './route-context.js';

export interface SimEntity {
  identifier: string;
  title?: string;
  icon?: string;
  blueprint: string;
  properties: Record<string, unknown>;
  relations: Record<string, unknown>;
  team?: unknown;
  createdAt: string;
  updatedAt: string;
}

export type EntityStore = Map<string, SimEntity>;

const key = (bp: string, id: string) => `${bp}\u0000${id}`;

function matchesRule(e: SimEntity, rule: Record<string, unknown>): boolean {
  if (Array.isArray(rule.rules)) return matchesQuery(e, rule);
  const value =
    rule.property === '$blueprint' ? e.blueprint : rule.property === '$identifier' ? e.identifier : e.properties[String(rule.property)];
  if (rule.operator === '=') return value === rule.value;
  if (rule.operator === 'in') return Array.isArray(rule.value) && rule.value.includes(value);
  return false;
}

function matchesQuery(e: SimEntity, q: Record<string, unknown>): boolean {
  const rules = (q.rules as Array<Record<string, unknown>>) ?? [];
  const hit = q.combinator === 'or' ? rules.some((r) => matchesRule(e, r)) : rules.every((r) => matchesRule(e, r));
  return q.not === true ? !hit : hit;
}

export function createEntityHandler(entities: EntityStore) {
  return function handleEntityRoutes(ctx: RouteContext): boolean {
    const { method, path } = ctx;
    const search = /^\/v1\/entities\/search\/?$/.test(path);
    const m = /^\/v1\/blueprints\/([^/]+)\/entities(?:\/([^/]+))?\/?$/.exec(path);
    if (!search && !m) return false;
    if (ctx.bodyError) {
      ctx.refuse(ctx.bodyError);
      return true;
    }
    const at = new Date(ctx.now()).toISOString();
    if (search) {
      if (method !== 'POST') return false;
      const q = ctx.body as Record<string, unknown> | undefined;
      if (typeof q !== 'object' || q === null || !Array.isArray(q.rules)) {
        ctx.reply(422, portError('invalid_request', "body must have required property 'rules'"));
        return true;
      }
      const found = [...entities.values()].filter((e) => matchesQuery(e, q));
      ctx.reply(200, { ok: true, matchingBlueprints: [...new Set(found.map((e) => e.blueprint))], entities: found });
      return true;
    }
    const blueprint = decodeURIComponent(m![1]!);
    const id = m![2] === undefined ? undefined : decodeURIComponent(m![2]);
    if (id === undefined) {
      if (method !== 'POST') return false;
      const b = ctx.body as Partial<SimEntity> | undefined;
      if (typeof b !== 'object' || b === null || Array.isArray(b)) {
        ctx.reply(422, portError('invalid_request', 'body must be an entity object'));
        return true;
      }
      const identifier = b.identifier ?? `e_${randomBytes(6).toString('hex')}`;
      const existing = entities.get(key(blueprint, identifier));
      if (existing && ctx.url.searchParams.get('upsert') !== 'true') {
        ctx.reply(409, portError('entity_already_exists', `Entity ${identifier} already exists`));
        return true;
      }
      const merge = ctx.url.searchParams.get('merge') === 'true' && existing;
      const entity: SimEntity = {
        identifier,
        blueprint,
        ...(b.title !== undefined ? { title: b.title } : {}),
        ...(b.icon !== undefined ? { icon: b.icon } : {}),
        ...(b.team !== undefined ? { team: b.team } : {}),
        properties: { ...(merge ? existing.properties : {}), ...(b.properties ?? {}) },
        relations: { ...(merge ? existing.relations : {}), ...(b.relations ?? {}) },
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      };
      entities.set(key(blueprint, identifier), entity);
      ctx.reply(201, { ok: true, entity });
      return true;
    }
    const entity = entities.get(key(blueprint, id));
    if (method === 'GET' || method === 'DELETE') {
      if (!entity) {
        ctx.reply(404, portError('not_found', `Entity with identifier "${id}" of blueprint "${blueprint}" was not found`));
        return true;
      }
      if (method === 'GET') ctx.reply(200, { ok: true, entity });
      else {
        entities.delete(key(blueprint, id));
        ctx.reply(200, { ok: true });
      }
      return true;
    }
    return false;
  };
}
