/**
 * relay.policy: which workflows may read and write which blueprints. Pure.
 *
 * A rule applies to a token when its `repository` glob matches the token's `repository` claim
 * (case-insensitive, as GitHub compares owner and repository names) and each of its lists that is
 * not empty has a glob matching the token's claim: `workflows` the calling workflow's file name
 * (from `workflow_ref`), `refs` the `ref` claim, `environments` the `environment` claim (a job
 * without an environment matches no rule that lists environments). Access to a blueprint is
 * granted when an applying rule lists a matching glob under `read` (GET, SEARCH) or `write`
 * (UPSERT, BULK_UPSERT, DELETE). Nothing applies: refused. Globs: policy/glob.ts (`*` within a
 * path segment, `**` across).
 */
import type { RelayRule } from '../config/schema.js';
import { globToRegExp } from '../policy/glob.js';
import type { WorkflowIdentity } from './workflow-identity.js';

export type Access = 'read' | 'write';
export type PolicyVerdict = { allowed: true } | { allowed: false; reason: string };

const matches = (globs: string[], value: string | undefined, caseInsensitive: boolean) =>
  globs.length === 0 || (value !== undefined && globs.some((g) => globToRegExp(g, caseInsensitive).test(value)));

function applyingRules(rules: readonly RelayRule[], who: WorkflowIdentity): RelayRule[] {
  return rules.filter(
    (r) =>
      globToRegExp(r.repository, true).test(who.repository) &&
      matches(r.workflows, who.workflowFile, false) &&
      matches(r.refs, who.ref, false) &&
      matches(r.environments, who.environment, false),
  );
}

function describe(who: WorkflowIdentity): string {
  return `${who.repository} (workflow ${who.workflowFile}, ref ${who.ref}${who.environment ? `, environment ${who.environment}` : ''})`;
}

export function decideEntityAccess(rules: readonly RelayRule[], who: WorkflowIdentity, access: Access, blueprint: string): PolicyVerdict {
  const applying = applyingRules(rules, who);
  if (applying.length === 0) return { allowed: false, reason: `relay.policy has no rule for ${describe(who)}` };
  if (applying.some((r) => r[access].some((g) => globToRegExp(g, false).test(blueprint)))) return { allowed: true };
  return { allowed: false, reason: `relay.policy does not let ${describe(who)} ${access} blueprint ${blueprint}` };
}

/**
 * Writes that reach past the named blueprint: create_missing_related_entities=true creates entities
 * of the related blueprints, delete_dependents=true deletes entities of others (Port's API
 * reference, create/delete an entity). Allowed only to a rule that may write every blueprint.
 */
export function decideWideWrite(rules: readonly RelayRule[], who: WorkflowIdentity, what: string): PolicyVerdict {
  if (applyingRules(rules, who).some((r) => r.write.includes('*') || r.write.includes('**'))) return { allowed: true };
  return {
    allowed: false,
    reason: `${what} touches entities of other blueprints: relay.policy must let ${describe(who)} write every blueprint ("*") for it`,
  };
}

/**
 * The blueprints a search body is confined to: Port's search takes {combinator, rules} where a rule
 * {property: "$blueprint", operator: "=" | "in", value} restricts the blueprint (Port's API
 * reference, search entities; the action's SearchBody type). A search is allowed only when such a
 * rule sits at the top of an "and" (or is the only rule), not negated: otherwise it could read
 * every blueprint.
 */
export function searchedBlueprints(body: unknown): { blueprints: string[] } | { reason: string } {
  const reason =
    'a search through the relay must name its blueprints with a top-level rule {"property":"$blueprint","operator":"=" or "in","value":…} under combinator "and"';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { reason: 'the search body must be a JSON object' };
  const b = body as { combinator?: unknown; rules?: unknown; not?: unknown };
  if (b.not === true || !Array.isArray(b.rules)) return { reason };
  if (b.combinator !== 'and' && b.rules.length !== 1) return { reason };
  for (const rule of b.rules as unknown[]) {
    if (typeof rule !== 'object' || rule === null) continue;
    const r = rule as { property?: unknown; operator?: unknown; value?: unknown };
    if (r.property !== '$blueprint') continue;
    if (r.operator === '=' && typeof r.value === 'string') return { blueprints: [r.value] };
    if (r.operator === 'in' && Array.isArray(r.value) && r.value.length > 0 && r.value.every((v) => typeof v === 'string'))
      return { blueprints: r.value };
  }
  return { reason };
}
