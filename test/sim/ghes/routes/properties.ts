// Custom properties GHES documents (ghes-3.17 to 3.19; operations orgs/custom-properties-* and
// repos/custom-properties-for-repos-*): an organization's definitions, every repository's values,
// and one repository's values, read and written. Port's GitHub Ocean executors write
// installation-scoped "external" values on /orgs/{org}/properties/installations/values instead,
// a route no GHES description has (agent/github/ghes-routes.ts): the simulator answers it 404,
// as GHES answers a route it does not have.
import { fail, notFound, repoWith, validationFailed, type SimContext, grants } from '../context.js';
import { canAccessRepo, forbiddenMessage, type Principal } from '../auth.js';
import { linkHeader, paginate } from '../run-filters.js';
import type { ApiResponse, Router } from '../router.js';
import type { RepoRecord } from '../state.js';
import { propertyDefShape, propertyValuesShape } from '../tracker-shapes.js';
import type { PropertyDef, PropertyValue } from '../tracker-state.js';
import { asRecord } from './tracker-input.js';

/** Pure: is `value` a valid value of `def`? null unsets (GitHub: "Using a value of null … will unset"). */
export function propertyValueError(def: PropertyDef | undefined, name: string, value: unknown): string | null {
  if (!def) return `Property ${name} is not defined for this organization`;
  if (value === null) return def.required ? `Property ${name} is required and cannot be unset` : null;
  if (def.valueType === 'multi_select') {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return `Property ${name} expects an array of strings`;
    const bad = (value as string[]).find((v) => !(def.allowedValues ?? []).includes(v));
    return bad === undefined ? null : `${bad} is not a valid value for ${name}`;
  }
  if (typeof value !== 'string') return `Property ${name} expects a string`;
  if (def.valueType === 'true_false' && value !== 'true' && value !== 'false') return `${value} is not a valid value for ${name}`;
  if (def.valueType === 'single_select' && !(def.allowedValues ?? []).includes(value)) return `${value} is not a valid value for ${name}`;
  return null;
}

export function addPropertyRoutes(r: Router, ctx: SimContext): void {
  const { state } = ctx;
  const t = state.tracker;

  /** An organization the caller belongs to (its installation, or a PAT naming it). */
  const orgFor = (p: Principal, org: string, level: 'read' | 'write'): { org: string; repos: RepoRecord[] } | { res: ApiResponse } => {
    const repos = [...state.repos.values()].filter((repo) => repo.owner.login.toLowerCase() === org.toLowerCase());
    const known = repos.length > 0 || [...state.installations.values()].some((i) => i.account.login.toLowerCase() === org.toLowerCase());
    if (!known) return { res: notFound(ctx) };
    const member =
      (p.kind === 'installation' && p.installation.account.login.toLowerCase() === org.toLowerCase()) ||
      (p.kind === 'pat' && (p.access.all === true || (p.access.orgs ?? []).some((o) => o.toLowerCase() === org.toLowerCase())));
    if (!member || !grants(p, 'organization_custom_properties', level)) return { res: fail(ctx, 403, forbiddenMessage(p)) };
    return { org: repos[0]?.owner.login ?? org, repos: repos.filter((repo) => canAccessRepo(p, repo)) };
  };

  const defsOf = (org: string): PropertyDef[] => t.propertyDefs.get(org.toLowerCase()) ?? [];

  /** Validates every {property_name, value}; a 422 names the first bad one. */
  const readValues = (org: string, props: unknown, resource: string): Array<[string, PropertyValue]> | { res: ApiResponse } => {
    if (!Array.isArray(props)) return { res: validationFailed(ctx, [{ resource, field: 'properties', code: 'missing_field' }]) };
    const out: Array<[string, PropertyValue]> = [];
    for (const item of props) {
      const it = asRecord(item);
      const name = typeof it.property_name === 'string' ? it.property_name : '';
      const err = propertyValueError(defsOf(org).find((d) => d.name === name), name, it.value);
      if (err) return { res: validationFailed(ctx, [{ resource, field: 'properties', code: 'invalid', message: err }]) };
      out.push([name, it.value as PropertyValue]);
    }
    return out;
  };

  const apply = (repo: RepoRecord, values: Array<[string, PropertyValue]>): void => {
    const m = t.propertyValues.get(repo) ?? new Map<string, PropertyValue>();
    for (const [k, v] of values) {
      if (v === null) m.delete(k);
      else m.set(k, v);
    }
    t.propertyValues.set(repo, m);
  };

  r.add('GET', '/orgs/{org}/properties/schema', 'token', (req) => {
    const f = orgFor(req.principal, req.params.org!, 'read');
    if ('res' in f) return f.res;
    return { status: 200, body: defsOf(f.org).map((d) => propertyDefShape(ctx.shape, f.org, d)) };
  });

  r.add('GET', '/orgs/{org}/properties/values', 'token', (req) => {
    const f = orgFor(req.principal, req.params.org!, 'read');
    if ('res' in f) return f.res;
    const rows = [...f.repos].sort((a, b) => a.id - b.id);
    const page = paginate(rows, req.query);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, req.query, page);
    const body = page.items.map((repo) => ({
      repository_id: repo.id,
      repository_name: repo.name,
      repository_full_name: `${repo.owner.login}/${repo.name}`,
      properties: propertyValuesShape(defsOf(f.org), t.propertyValues.get(repo)),
    }));
    return { status: 200, list: true, body, headers: link ? { link } : {} };
  });

  // "A maximum of 30 repositories can be updated in a single request" (orgs/custom-properties-
  // for-repos-create-or-update-organization-values); 204 once applied to all of them.
  r.add('PATCH', '/orgs/{org}/properties/values', 'token', (req) => {
    const f = orgFor(req.principal, req.params.org!, 'write');
    if ('res' in f) return f.res;
    const b = asRecord(req.body);
    const names = b.repository_names;
    if (!Array.isArray(names) || names.length < 1 || names.length > 30 || !names.every((n) => typeof n === 'string')) {
      return validationFailed(ctx, [{ resource: 'Repository', field: 'repository_names', code: 'invalid' }]);
    }
    const repos: RepoRecord[] = [];
    for (const n of names as string[]) {
      const repo = f.repos.find((x) => x.name.toLowerCase() === n.toLowerCase());
      if (!repo) return validationFailed(ctx, [{ resource: 'Repository', field: 'repository_names', code: 'invalid', message: `Repository ${n} not found` }]);
      repos.push(repo);
    }
    const values = readValues(f.org, b.properties, 'CustomPropertyValue');
    if ('res' in values) return values.res;
    for (const repo of repos) apply(repo, values);
    return { status: 204 };
  });

  r.add('GET', '/repos/{owner}/{repo}/properties/values', 'token', (req) => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'repository_custom_properties', 'read');
    if ('res' in f) return f.res;
    return { status: 200, body: propertyValuesShape(defsOf(f.repo.owner.login), t.propertyValues.get(f.repo)) };
  });

  r.add('PATCH', '/repos/{owner}/{repo}/properties/values', 'token', (req) => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'repository_custom_properties', 'write');
    if ('res' in f) return f.res;
    const values = readValues(f.repo.owner.login, asRecord(req.body).properties, 'CustomPropertyValue');
    if ('res' in values) return values.res;
    apply(f.repo, values);
    return { status: 204 };
  });
}
