// A small checker for the JSON-schema subset Port's OpenAPI 3.1 description uses: `type` as a
// word or a list, const, enum, properties, required, additionalProperties, items, oneOf/anyOf,
// minimum/maximum, and the date-time/uri formats. `strict` also reports properties a schema with
// `properties` does not declare (misspelt or invented fields), except the ones the caller allows
// and those of a schema that says `additionalProperties: true`.
export type JsonSchema = {
  type?: string | readonly string[];
  const?: unknown;
  enum?: readonly unknown[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  oneOf?: readonly JsonSchema[];
  anyOf?: readonly JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  description?: string;
  title?: string;
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer');
}

export function checkSchema(
  value: unknown,
  schema: JsonSchema,
  opts: { strict?: boolean; allowExtra?: readonly string[] } = {},
  at = '$',
): string[] {
  const errs: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const wants = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!wants.some((w) => typeMatches(w, t))) return [`${at}: expected ${wants.join(' or ')}, got ${t}`];
  }
  if ('const' in schema && schema.const !== value)
    errs.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (schema.enum && !schema.enum.includes(value)) errs.push(`${at}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  if (schema.oneOf) {
    const n = schema.oneOf.filter((s) => checkSchema(value, s, opts, at).length === 0).length;
    if (n !== 1) errs.push(`${at}: matches ${n} of oneOf (want exactly 1)`);
  }
  if (schema.anyOf && !schema.anyOf.some((s) => checkSchema(value, s, opts, at).length === 0)) errs.push(`${at}: matches none of anyOf`);
  if (
    t === 'string' &&
    schema.format === 'date-time' &&
    (!/^\d{4}-\d\d-\d\dT/.test(value as string) || Number.isNaN(Date.parse(value as string)))
  )
    errs.push(`${at}: not a date-time`);
  if (t === 'string' && schema.format === 'uri' && !URL.canParse(value as string)) errs.push(`${at}: not a uri`);
  if ((t === 'number' || t === 'integer') && schema.minimum !== undefined && (value as number) < schema.minimum)
    errs.push(`${at}: below ${schema.minimum}`);
  if ((t === 'number' || t === 'integer') && schema.maximum !== undefined && (value as number) > schema.maximum)
    errs.push(`${at}: above ${schema.maximum}`);
  if (t === 'array' && schema.items)
    (value as unknown[]).forEach((v, i) => errs.push(...checkSchema(v, schema.items!, opts, `${at}[${i}]`)));
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = schema.properties ?? {};
    for (const r of schema.required ?? []) if (!(r in obj)) errs.push(`${at}: missing required ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      const p = props[k];
      if (p) errs.push(...checkSchema(v, p, opts, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}: additional property ${k} not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...checkSchema(v, schema.additionalProperties, opts, `${at}.${k}`));
      else if (opts.strict && schema.additionalProperties !== true && schema.properties && !opts.allowExtra?.includes(k))
        errs.push(`${at}: undeclared property ${k}`);
    }
  }
  return errs;
}

/** Query parameters against their schemas: a string per value, numbers and booleans as Port reads them. */
export function checkQuery(params: URLSearchParams, schemas: Record<string, JsonSchema>): string[] {
  const errs: string[] = [];
  for (const key of new Set(params.keys())) {
    const s = schemas[key];
    if (!s) {
      errs.push(`query: undeclared parameter ${key}`);
      continue;
    }
    const values = params.getAll(key);
    const coerce = (v: string, type: JsonSchema['type']): unknown =>
      type === 'number' ? Number(v) : type === 'boolean' ? (v === 'true' ? true : v === 'false' ? false : v) : v;
    const value = s.type === 'array' ? values.map((v) => coerce(v, s.items?.type)) : coerce(values[0]!, s.type);
    errs.push(...checkSchema(value, s, {}, `query.${key}`));
  }
  return errs;
}
