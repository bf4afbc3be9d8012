// Integration records (installations): GET and PATCH /v1/integration/{identifier} are in Port's
// API description (PATCH body: title, installationAppType, version, spec,
// actionsProcessingEnabled, config); POST /v1/integration is what Ocean calls when its record is
// missing (ocean mixins/integrations.py create_integration: installationId, installationAppType,
// version, changelogDestination, config, actionsProcessingEnabled, …). The description notes
// that these routes need the moderator or admin role.
import { portError } from './http-io.js';
import type { RouteContext } from './route-context.js';
import type { SimIntegration } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function integrationView(i: SimIntegration): Record<string, unknown> {
  return { identifier: i.installationId, ...i };
}

export function handleIntegrationRoutes(ctx: RouteContext): boolean {
  const { method, route, id } = ctx;
  if (route !== '/v1/integration' && route !== '/v1/integration/:id') return false;
  if (ctx.options.integrationsForbidden) {
    ctx.reply(403, portError('forbidden', 'You need the moderator or admin role to manage integrations'));
    return true;
  }
  if (ctx.bodyError) {
    ctx.refuse(ctx.bodyError);
    return true;
  }
  const at = new Date(ctx.now()).toISOString();
  if (route === '/v1/integration' && method === 'POST') {
    const b = ctx.body;
    if (!isObject(b) || typeof b.installationId !== 'string' || b.installationId === '') {
      ctx.reply(422, portError('invalid_request', "body must have required property 'installationId'"));
      return true;
    }
    if (ctx.integrations.has(b.installationId)) {
      ctx.reply(409, portError('conflict', `Integration with installationId "${b.installationId}" already exists`));
      return true;
    }
    const created: SimIntegration = {
      installationId: b.installationId,
      installationAppType: typeof b.installationAppType === 'string' ? b.installationAppType : undefined,
      title: typeof b.title === 'string' ? b.title : null,
      version: typeof b.version === 'string' ? b.version : undefined,
      actionsProcessingEnabled: b.actionsProcessingEnabled === true,
      config: isObject(b.config) ? b.config : {},
      createdAt: at,
      updatedAt: at,
    };
    ctx.integrations.set(created.installationId, created);
    ctx.reply(200, { ok: true, integration: integrationView(created) });
    return true;
  }
  if (route !== '/v1/integration/:id' || id === undefined) return false;
  const existing = ctx.integrations.get(id);
  if (method === 'GET') {
    if (!existing) ctx.reply(404, portError('not_found', `Integration with installationId "${id}" was not found`));
    else ctx.reply(200, { ok: true, integration: integrationView(existing) });
    return true;
  }
  if (method === 'PATCH') {
    if (!existing) {
      ctx.reply(404, portError('not_found', `Integration with installationId "${id}" was not found`));
      return true;
    }
    const b = ctx.body;
    const allowed = [
      'title',
      'installationAppType',
      'version',
      'spec',
      'actionsProcessingEnabled',
      'config',
      'changelogDestination',
      'incrementalSyncEnabled',
      'processingMode',
      'arePortResourcesInitialized',
    ];
    const extra = isObject(b) ? Object.keys(b).find((k) => !allowed.includes(k)) : 'body';
    if (!isObject(b) || extra) {
      ctx.reply(422, portError('invalid_request', `body/${extra} is not allowed`));
      return true;
    }
    if (typeof b.actionsProcessingEnabled === 'boolean') existing.actionsProcessingEnabled = b.actionsProcessingEnabled;
    if (typeof b.version === 'string') existing.version = b.version;
    if (typeof b.installationAppType === 'string') existing.installationAppType = b.installationAppType;
    if (b.title !== undefined) existing.title = typeof b.title === 'string' ? b.title : null;
    if (b.config !== undefined) existing.config = isObject(b.config) ? b.config : null;
    existing.updatedAt = at;
    ctx.reply(200, { ok: true, integration: integrationView(existing) });
    return true;
  }
  return false;
}
