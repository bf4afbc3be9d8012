// A small JSON-schema checker for the subset GitHub's OpenAPI descriptions use:
// $ref, type, nullable, enum, properties, required, items, additionalProperties,
// maxProperties, allOf/anyOf/oneOf, and the date-time/uri formats. `strict` also
// reports properties the schema does not declare, to catch misspelt fields.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Schema = Record<string, unknown>;
export interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
  components: Record<string, Record<string, Schema>>;
}

export function loadSpec(file: 'ghes-3.19.json' | 'api.github.com.json'): Spec {
  const p = fileURLToPath(new URL(`../../../node_modules/@octokit/openapi/generated/${file}`, import.meta.url));
  return JSON.parse(readFileSync(p, 'utf8')) as Spec;
}

function deref(spec: Spec, s: Schema): Schema {
  let cur = s;
  for (let i = 0; i < 20 && typeof cur.$ref === 'string'; i++) {
    const [, , group, name] = cur.$ref.split('/');
    const next = spec.components[group!]?.[name!];
    if (!next) throw new Error(`unresolvable $ref ${String(cur.$ref)}`);
    cur = next;
  }
  return cur;
}

/** The JSON schema of a documented response, e.g. ('/repos/{owner}/{repo}', 'get', '200'). */
export function responseSchema(spec: Spec, path: string, method: string, status: string): Schema {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`no operation ${method} ${path}`);
  const resp = op.responses[status];
  if (!resp) throw new Error(`${method} ${path} documents no ${status} response`);
  const r = deref(spec, resp) as { content?: Record<string, { schema: Schema }> };
  const schema = r.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} ${status} has no JSON schema`);
  return schema;
}

export function componentSchema(spec: Spec, name: string): Schema {
  const s = spec.components.schemas?.[name];
  if (!s) throw new Error(`no schema ${name}`);
  return s;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function check(spec: Spec, value: unknown, schema: Schema, opts: { strict?: boolean } = {}, at = '$'): string[] {
  const s = deref(spec, schema);
  const errs: string[] = [];
  if (value === null) {
    // OpenAPI 3.0: null is valid only with nullable: true (or enum containing null).
    if (s.nullable === true || (Array.isArray(s.enum) && s.enum.includes(null))) return [];
    if (s.allOf || s.anyOf || s.oneOf) {
      const subs = ((s.allOf ?? s.anyOf ?? s.oneOf) as Schema[]).map((x) => deref(spec, x));
      if (subs.some((x) => x.nullable === true)) return [];
    }
    if (s.type === undefined && !s.allOf && !s.anyOf && !s.oneOf) return [];
    return [`${at}: null not allowed`];
  }
  if (Array.isArray(s.allOf)) {
    for (const sub of s.allOf as Schema[]) errs.push(...check(spec, value, sub, { ...opts, strict: false }, at));
  }
  if (Array.isArray(s.anyOf)) {
    const ok = (s.anyOf as Schema[]).some((sub) => check(spec, value, sub, opts, at).length === 0);
    if (!ok) errs.push(`${at}: matches none of anyOf`);
  }
  if (Array.isArray(s.oneOf)) {
    const n = (s.oneOf as Schema[]).filter((sub) => check(spec, value, sub, opts, at).length === 0).length;
    if (n !== 1) errs.push(`${at}: matches ${n} of oneOf (want exactly 1)`);
  }
  const t = typeOf(value);
  if (typeof s.type === 'string') {
    const want = s.type;
    const okType = want === t || (want === 'number' && t === 'integer');
    if (!okType) return [...errs, `${at}: expected ${want}, got ${t}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errs.push(`${at}: ${JSON.stringify(value)} not in enum ${JSON.stringify(s.enum)}`);
  if (t === 'string' && s.format === 'date-time' && Number.isNaN(Date.parse(value as string))) errs.push(`${at}: not a date-time`);
  if (t === 'string' && s.format === 'uri' && !URL.canParse(value as string)) errs.push(`${at}: not a uri`);
  if (t === 'array' && s.items) {
    (value as unknown[]).forEach((v, i) => errs.push(...check(spec, v, s.items as Schema, opts, `${at}[${i}]`)));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in obj)) errs.push(`${at}: missing required ${r}`);
    if (typeof s.maxProperties === 'number' && Object.keys(obj).length > s.maxProperties)
      errs.push(`${at}: more than ${s.maxProperties} properties`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...check(spec, v, props[k], opts, `${at}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${at}: additional property ${k}`);
      else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null)
        errs.push(...check(spec, v, s.additionalProperties as Schema, opts, `${at}.${k}`));
      else if (opts.strict && s.properties && !s.allOf && !s.anyOf && !s.oneOf) errs.push(`${at}: undeclared property ${k}`);
    }
  }
  return errs;
}
