import type { RelayRule } from '../config/schema.js';
import { decideEntityAccess, decideWideWrite, searchedBlueprints } from './relay-policy.js';
import type { RelayRoute } from './relay-routes.js';
import type { WorkflowIdentity } from './workflow-identity.js';

/**
 * Why relay.policy refuses an entity route to this workflow, or undefined when it allows it (or
 * the route reads or writes no entity). Pure: no Port read. A search is allowed only when every
 * blueprint it names is readable; a write's body may not name another blueprint than its path;
 * the wide writes (creating missing related entities, deleting dependents) need their own grant.
 */
export function entityRefusal(policy: readonly RelayRule[], who: WorkflowIdentity, route: RelayRoute, body: unknown): string | undefined {
  if (route.name === 'search_entities') {
    const searched = searchedBlueprints(body);
    if ('reason' in searched) return searched.reason;
    for (const bp of searched.blueprints) {
      const v = decideEntityAccess(policy, who, 'read', bp);
      if (!v.allowed) return v.reason;
    }
  } else if (route.name === 'get_entity' || route.name === 'upsert_entity' || route.name === 'delete_entity') {
    const v = decideEntityAccess(policy, who, route.name === 'get_entity' ? 'read' : 'write', route.blueprint);
    if (!v.allowed) return v.reason;
    if (route.name === 'upsert_entity') {
      const bodyBp = (body as { blueprint?: unknown } | undefined)?.blueprint;
      if (bodyBp !== undefined && bodyBp !== route.blueprint)
        return `the body names blueprint ${(typeof bodyBp === 'string' ? bodyBp : JSON.stringify(bodyBp)).slice(0, 100)}, the path ${route.blueprint}`;
      if (route.query.get('create_missing_related_entities') === 'true') {
        const w = decideWideWrite(policy, who, 'create_missing_related_entities=true');
        if (!w.allowed) return w.reason;
      }
    }
    if (route.name === 'delete_entity' && route.query.get('delete_dependents') === 'true') {
      const w = decideWideWrite(policy, who, 'delete_dependents=true');
      if (!w.allowed) return w.reason;
    }
  }
  return undefined;
}
