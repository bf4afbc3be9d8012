// The chart's PrometheusRule through promtool (Debian's prometheus package, installed by
// test/tools/install-prometheus.sh): `promtool check rules` on the rendered rules, then the
// unit tests in test/chart/promtool/alerts.test.yaml, which prove each alert fires on its fault
// after its `for:` and stays silent on healthy, quiet and approval-waiting agents. And every
// metric the alerts and the dashboard read is one the agent exports (or a rule records).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../agent/observability/metrics.js';
import { metricNames, readPromtoolTests, renderMonitoring } from './monitoring.js';
import { PROMETHEUS_DIR, REPO_ROOT } from '../tools/versions.js';

const promtool = join(PROMETHEUS_DIR, 'promtool');
const monitoring = renderMonitoring();
const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-promtool-'));

function run(args: string[]) {
  const r = spawnSync(promtool, args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

before(() => {
  assert.ok(existsSync(promtool), `promtool not found at ${promtool}: run bash test/tools/install-prometheus.sh`);
  writeFileSync(join(dir, 'rules.yaml'), monitoring.rulesFile);
  writeFileSync(join(dir, 'alerts.test.yaml'), readPromtoolTests());
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('promtool on the rendered PrometheusRule', () => {
  it('check rules: every rule parses and is well formed', () => {
    const r = run(['check', 'rules', 'rules.yaml']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${monitoring.alerts.length + monitoring.records.length} rules found`));
  });

  it('test rules: each alert fires on its fault after its for:, and none on a healthy, quiet or approval-waiting agent', () => {
    const r = run(['test', 'rules', 'alerts.test.yaml']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it('the unit tests cover every alert: a test where it fires, and the three silent agents', () => {
    type Case = { eval_time: string; alertname: string; exp_alerts?: unknown[] };
    const tests = (parseYaml(readPromtoolTests()) as { tests: { name: string; alert_rule_test?: Case[] }[] }).tests;
    const silent = [
      'a healthy, busy agent fires nothing',
      'a quiet agent with nothing in flight fires nothing',
      'one run waiting four hours for an environment approval fires nothing',
    ];
    for (const alert of monitoring.alerts.map((a) => a.alert!)) {
      const fires = tests.some((t) => t.alert_rule_test?.some((c) => c.alertname === alert && (c.exp_alerts?.length ?? 0) > 0));
      assert.ok(fires, `no promtool test shows ${alert} firing: add one to test/chart/promtool/alerts.test.yaml`);
      const quietBefore = tests.some((t) => {
        const cases = t.alert_rule_test?.filter((c) => c.alertname === alert) ?? [];
        return cases.some((c) => !c.exp_alerts?.length) && cases.some((c) => (c.exp_alerts?.length ?? 0) > 0);
      });
      assert.ok(quietBefore, `no promtool test shows ${alert} silent just before its for: elapses`);
      for (const name of silent) {
        const t = tests.find((x) => x.name === name);
        assert.ok(t, `promtool test "${name}" is missing`);
        assert.ok(
          t.alert_rule_test?.some((c) => c.alertname === alert && !c.exp_alerts?.length),
          `"${name}" does not check ${alert}`,
        );
      }
    }
  });

  it('every alert has a summary and a description, and every rule a name of its kind', () => {
    for (const a of monitoring.alerts) {
      assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert} needs summary and description annotations`);
      assert.match(a.alert!, /^GhesAgent[A-Z][A-Za-z]+$/);
    }
    // level:metric:operations, the recording-rule naming convention.
    for (const r of monitoring.records) assert.match(r.record!, /^[a-z_]+:ghes_agent_[a-z_]+:[a-z0-9_]+$/);
  });
});

describe('docs/monitoring.md "Monitoring"', () => {
  it('documents every alert (what fires it, what to do) and every recording rule', () => {
    const page = readFileSync(join(REPO_ROOT, 'docs/monitoring.md'), 'utf8');
    const section = /<!-- monitoring:start -->([\s\S]*)<!-- monitoring:end -->/.exec(page)?.[1] ?? '';
    for (const a of monitoring.alerts)
      assert.match(
        section,
        new RegExp(`^\\| \`${a.alert}\` \\| [^|]+ \\| [^|]+ \\|$`, 'm'),
        `docs/monitoring.md has no row for ${a.alert}`,
      );
    for (const r of monitoring.records) assert.ok(section.includes(`\`${r.record}\``), `docs/monitoring.md does not name ${r.record}`);
  });
});

describe('metric names in the alerts, recording rules and the dashboard', () => {
  it('are all exported by the agent, or recorded by a rule of the chart', async () => {
    const exported = new Set<string>();
    const exposition = await createMetrics().registry.metrics();
    for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [, name, type] = m as unknown as [string, string, string];
      exported.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) exported.add(name + s);
    }
    const recorded = new Set(monitoring.records.map((r) => r.record!));
    const sources: [string, string][] = [
      ...monitoring.alerts.map((a) => [`alert ${a.alert}`, a.expr] as [string, string]),
      ...monitoring.records.map((r) => [`record ${r.record}`, r.expr] as [string, string]),
      ...monitoring.queries.map((q) => [`panel "${q.panel}" ${q.refId}`, q.expr] as [string, string]),
      ...monitoring.variableSelectors.map((s) => ['dashboard variable', s] as [string, string]),
    ];
    let count = 0;
    const missing: string[] = [];
    for (const [where, expr] of sources) {
      const names = metricNames(expr);
      assert.ok(names.size > 0, `${where} reads no metric: ${expr}`);
      for (const n of names) {
        count++;
        if (!(exported.has(n) || recorded.has(n))) missing.push(`${where}: ${n}`);
      }
    }
    assert.ok(count >= 30, `found only ${count} metric references: the extraction is broken`);
    assert.deepEqual(missing, [], `read but neither exported by the agent nor recorded:\n${missing.join('\n')}`);
  });

  it('the extraction finds names through functions, groupings and matchers', () => {
    assert.deepEqual(
      [
        ...metricNames(
          'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{x="y", route=~".+/runs"}[5m]))) > on (namespace) group_left b:c:rate5m unless d_total offset 5m',
        ),
      ],
      ['a_bucket', 'b:c:rate5m', 'd_total'],
    );
  });
});
