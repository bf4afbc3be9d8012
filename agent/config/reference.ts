/**
 * Documentation generated from the code it documents, so it cannot drift: the configuration
 * reference and the example file come from the schema, the metrics reference from the metrics
 * registry. Pure functions of their inputs; test/docs/update-readme.ts writes the results and
 * test/unit/docs.test.ts fails when a committed copy is stale.
 */
import { envNameFor, leaves } from './schema.js';

type Leaf = ReturnType<typeof leaves>[number][1];

/** How a default reads in prose: empty strings and lists say so instead of showing `''`. */
function describeDefault(value: unknown): string {
  if (value === '') return '(empty)';
  if (Array.isArray(value) && value.length === 0) return '(empty list)';
  return `\`${JSON.stringify(value)}\``;
}

/** Markdown table cells: a pipe ends the cell and `<x>` would be swallowed as an HTML tag. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Allowed values a user can type, for keys restricted to a list. */
function choices(leaf: Leaf): string {
  return Array.isArray(leaf.format) ? ` One of: ${leaf.format.map((v) => `\`${String(v)}\``).join(', ')}.` : '';
}

/** (a) One row per configuration key: key, env variable, default, secret, description. */
export function renderConfigReference(entries: Array<[string, Leaf]> = leaves()): string {
  const rows = entries.map(
    ([path, leaf]) =>
      `| \`${path}\` | \`${envNameFor(path)}\` | ${describeDefault(leaf.default)} | ${leaf.sensitive ? 'yes' : 'no'} | ${cell(leaf.doc)}${choices(leaf)} |`,
  );
  return ['| key | env variable | default | secret | description |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Wraps prose into `# ` comment lines of at most `width` columns (after the indent). */
function commentLines(text: string, indent: string, width = 96): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(`${indent}# ${line}`);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(`${indent}# ${line}`);
  return out;
}

const EXAMPLE_HEADER = [
  '# ghes-agent configuration: every key, with its default and what it does.',
  '# GENERATED from agent/config/schema.ts by `node --import tsx test/docs/update-readme.ts`; do not edit.',
  '# Every key can also be set by env: GHES_AGENT_ + its path in UPPER_SNAKE',
  '# (port.clientSecret -> GHES_AGENT_PORT_CLIENT_SECRET). Prefer the ...File keys for secrets.',
  '# Required: port.orgId, port.clientId, port.clientSecret(File), github.url, and either',
  '# github.appId with github.privateKey(File), or github.token(File).',
];

/** (b) The example YAML: every key at its default, its doc above it as a comment. */
export function renderExampleYaml(entries: Array<[string, Leaf]> = leaves()): string {
  const lines = [...EXAMPLE_HEADER];
  let openSections: string[] = [];
  for (const [path, leaf] of entries) {
    const parts = path.split('.');
    const sections = parts.slice(0, -1);
    // Open only the sections that differ from the previous key's (leaves come in tree order).
    let common = 0;
    while (common < sections.length && common < openSections.length && sections[common] === openSections[common]) common++;
    for (let i = common; i < sections.length; i++) {
      if (i === 0) lines.push('');
      lines.push(`${'  '.repeat(i)}${sections[i]}:`);
    }
    openSections = sections;
    const indent = '  '.repeat(sections.length);
    const extra = [
      Array.isArray(leaf.format) ? `One of: ${leaf.format.join(', ')}.` : '',
      leaf.sensitive ? 'Secret.' : '',
      `Env: ${envNameFor(path)}.`,
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(...commentLines(`${leaf.doc} ${extra}`, indent));
    // JSON scalars and empty lists are valid YAML and never ambiguous ("0.0.0.0", "", []).
    lines.push(`${indent}${parts.at(-1)}: ${JSON.stringify(leaf.default)}`);
  }
  return lines.join('\n') + '\n';
}

/** The part of prom-client's metric JSON this reference needs. */
export interface MetricDescription {
  name: string;
  type: string;
  help: string;
  labels: string[];
}

/**
 * Reads names, types, help and labels from a registry. Label names are on the metric objects
 * (prom-client keeps them as `labelNames`); label sets seen in values cover the rest.
 */
export async function describeMetrics(registry: {
  getMetricsAsJSON(): Promise<Array<{ name: string; type: unknown; help: string; values?: Array<{ labels?: Record<string, unknown> }> }>>;
  getSingleMetric(name: string): unknown;
}): Promise<MetricDescription[]> {
  const json = await registry.getMetricsAsJSON();
  return json.map((m) => {
    const declared = (registry.getSingleMetric(m.name) as { labelNames?: string[] } | undefined)?.labelNames ?? [];
    const seen = (m.values ?? []).flatMap((v) => Object.keys(v.labels ?? {})).filter((l) => l !== 'le' && l !== 'quantile');
    return { name: m.name, type: String(m.type), help: m.help, labels: [...new Set([...declared, ...seen])] };
  });
}

/** (c) The metrics table, plus the note on prom-client's default metrics. */
export function renderMetricsReference(metrics: MetricDescription[]): string {
  const rows = [...metrics]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.length ? m.labels.map((l) => `\`${l}\``).join(', ') : '—'} | ${cell(m.help)} |`);
  return [
    '| metric | type | labels | help |',
    '|---|---|---|---|',
    ...rows,
    '',
    "prom-client's default process and Node.js metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`, " +
      '`nodejs_eventloop_lag_seconds`, `nodejs_heap_size_used_bytes`, …) are exported too, unprefixed, as Prometheus conventions expect.',
  ].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`, keeping the markers. */
export function replaceSection(document: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = document.indexOf(start);
  const j = document.indexOf(end);
  if (i < 0 || j < i) throw new Error(`markers ${start} … ${end} not found in order`);
  return `${document.slice(0, i + start.length)}\n${body.trim()}\n${document.slice(j)}`;
}
