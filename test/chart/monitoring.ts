// What the chart gives Prometheus and Grafana, rendered by the real helm: the PrometheusRule's
// groups as a plain rules file, every alert and recording expression, and every dashboard
// query. Shared by the promtool tests (test/chart) and the live Prometheus test
// (test/integration/prometheus-monitoring.test.ts), so both read exactly what users install.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findOne, render, repoRoot, withValuesFiles, type K8sObject } from './render.js';

/** Release and namespace render.ts uses: the alerts select namespace="agents", service="rel-ghes-agent". */
export const RELEASE = { name: 'rel', namespace: 'agents', service: 'rel-ghes-agent' };
export const valuesMinFile = join(repoRoot, 'test/chart/values-min.yaml');
export const promtoolDir = join(repoRoot, 'test/chart/promtool');

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export interface DashboardQuery {
  panel: string;
  refId: string;
  /** As written in the dashboard, with Grafana's variables. */
  expr: string;
}

export interface Monitoring {
  objects: K8sObject[];
  groups: RuleGroup[];
  /** The rules file Prometheus (and promtool) loads: the PrometheusRule's spec. */
  rulesFile: string;
  alerts: Rule[];
  records: Rule[];
  dashboard: {
    panels: { title: string; targets?: { refId: string; expr: string }[] }[];
    templating: { list: { name: string; query?: unknown }[] };
  };
  queries: DashboardQuery[];
  /** Variable queries (label_values(...)) of the dashboard, as PromQL selectors. */
  variableSelectors: string[];
}

/** Renders the chart with the monitoring objects on (plus `extra` values) and collects what they hold. */
export function renderMonitoring(extra: object = {}): Monitoring {
  const objects = withValuesFiles(
    [{ prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true }, serviceMonitor: { enabled: true } }, extra],
    (files) => render([valuesMinFile, ...files]),
  );
  const pr = findOne(objects, 'PrometheusRule') as K8sObject & { spec: { groups: RuleGroup[] } };
  const groups = pr.spec.groups;
  const rules = groups.flatMap((g) => g.rules);
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')) as K8sObject & {
    data: Record<string, string>;
  };
  const dashboard = JSON.parse(cm.data['ghes-agent.json']!) as Monitoring['dashboard'];
  const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));
  const variableSelectors = dashboard.templating.list
    .map((v) => (typeof v.query === 'object' && v.query ? (v.query as { query?: string }).query : v.query))
    .filter((q): q is string => typeof q === 'string' && q.startsWith('label_values('))
    .map((q) => /^label_values\((.*),\s*\w+\)$/.exec(q)?.[1] ?? q);
  return {
    objects,
    groups,
    rulesFile: stringify({ groups }),
    alerts: rules.filter((r) => r.alert),
    records: rules.filter((r) => r.record),
    dashboard,
    queries,
    variableSelectors,
  };
}

/** The dashboard's Grafana variables replaced by values for one release's pods. */
export function instantiate(expr: string, vars: { namespace: string; pod: string; rateInterval: string }): string {
  return expr.replaceAll('$__rate_interval', vars.rateInterval).replaceAll('$namespace', vars.namespace).replaceAll('$pod', vars.pod);
}

/**
 * Metric names a PromQL expression reads: the identifiers left once strings, label matchers,
 * ranges, grouping clauses, function calls and keywords are taken out. Recording-rule names
 * (with a colon) are returned too.
 */
export function metricNames(expr: string): Set<string> {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '{}') // label matchers
    .replace(/\[[^\]]*\]/g, '[]') // ranges
    .replace(/\boffset\s+-?[0-9a-z]+/g, '') // offsets
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // grouping labels
    .replace(/[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, '('); // function and aggregation names
  const keywords = new Set([
    'and',
    'or',
    'unless',
    'bool',
    'offset',
    'inf',
    'nan',
    'group_left',
    'group_right',
    'on',
    'ignoring',
    'by',
    'without',
  ]);
  return new Set((text.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !keywords.has(w.toLowerCase())));
}

export function readPromtoolTests(): string {
  return readFileSync(join(promtoolDir, 'alerts.test.yaml'), 'utf8');
}
