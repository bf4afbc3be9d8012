// The chart's monitoring against a real Prometheus: the agent runs on the local stack (real
// Kafka, GHES and Port simulators), Prometheus scrapes its /metrics every second with the labels
// the chart's ServiceMonitor gives it and loads the rendered PrometheusRule. After runs through
// success, failure, a refused dispatch, a policy refusal, a timeout and outages of GHES and
// Port, EVERY dashboard query and EVERY alert and recording expression of the rendered chart
// is evaluated through Prometheus' HTTP API: none errors, every metric they read is scraped,
// and each dashboard query returns data for the scenario that fills it (or the table below
// says why it cannot). New panels and alerts are picked up from the chart automatically.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { instantiate, metricNames, renderMonitoring, RELEASE, type Monitoring } from '../chart/monitoring.js';
import { findOne } from '../chart/render.js';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { freePort } from '../stack/free-port.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { kafkaClientConfig } from '../stack/kafka-org.js';
import { type PrometheusServer, startPrometheus } from '../stack/prometheus-server.js';

/** Dashboard queries the scenario cannot make non-zero, and why ("panel title/refId"). */
const CANNOT_FILL: Record<string, string> = {
  'Consumer crashes and rebalances/A':
    'a consumer crash needs the broker to fail under the agent (test/chaos/broker-restart.test.ts does that); here the series is scraped at 0',
  'HTTPS intake: runs claimed, acknowledged, in conflict, taken over, let go/D':
    'a take-over needs a replica to die holding acknowledged runs (test/chaos/port-api-kill-restart.test.ts, port-api-two-agents); here the series is scraped at 0',
  'HTTPS intake: runs claimed, acknowledged, in conflict, taken over, let go/E':
    'a run is let go when its claim runs out before its dispatch (test/chaos/port-api-port-outage.test.ts); here the series is scraped at 0',
};

const POD = `${RELEASE.service}-6d5f7c8b9d-x2x7q`;
/**
 * Grafana's $__rate_interval for a 1 s scrape interval is 4 s; more smooths the sparse events,
 * and keeps two samples in a window when scrapes lag on a loaded machine (a single event's
 * counter then showed only zeros now and then).
 */
const RATE_INTERVAL = '10s';

/**
 * The target labels the Prometheus Operator derives from the chart's ServiceMonitor: namespace,
 * service, pod, container and endpoint from Kubernetes' metadata, job from the Service's name.
 */
function serviceMonitorLabels(m: Monitoring): Record<string, string> {
  const sm = findOne(m.objects, 'ServiceMonitor') as unknown as {
    spec: { namespaceSelector: { matchNames: string[] }; endpoints: { port: string; relabelings?: unknown[] }[] };
  };
  const service = findOne(m.objects, 'Service');
  const deployment = findOne(m.objects, 'Deployment') as unknown as { spec: { template: { spec: { containers: { name: string }[] } } } };
  assert.equal(sm.spec.endpoints[0]!.relabelings, undefined, 'the default ServiceMonitor has no relabelings of its own');
  return {
    namespace: sm.spec.namespaceSelector.matchNames[0]!,
    service: service.metadata.name,
    pod: POD,
    container: deployment.spec.template.spec.containers[0]!.name,
    endpoint: sm.spec.endpoints[0]!.port,
  };
}

describe('Prometheus scrapes the agent and evaluates the chart dashboard and alerts', () => {
  const monitoring = renderMonitoring();
  let stack: LocalStack;
  let agent: AgentProcess;
  let prom: PrometheusServer;
  let start: number;
  let end: number;

  before(async () => {
    // The sim's primary rate limit is on (GHES has it off by default) so the rate-limit panel has data.
    stack = await startLocalStack({ ghes: { version: '3.21.0', rateLimit: { limit: 100_000, windowMs: 3_600_000 } } });
    stack.ghes.addWorkflow(stack.ghOrg, 'infra', {
      path: 'slow.yml',
      name: 'slow',
      runName: 'Port run ${{ inputs.port_run_id }}',
      inputs: { port_run_id: { required: false } },
      script: { conclusion: 'success', queuedMs: 200, durationMs: 600_000 },
    });
    stack.ghes.addRepo({ owner: stack.ghOrg, name: 'secret-repo', defaultBranch: 'main' });
    const labels = serviceMonitorLabels(monitoring);
    assert.deepEqual([labels.namespace, labels.service], [RELEASE.namespace, RELEASE.service]);
    const metricsPort = await freePort();
    // Prometheus first, so its first scrapes see the agent's counters before the consumer joins.
    prom = await startPrometheus({
      targets: [{ job: RELEASE.service, address: `127.0.0.1:${metricsPort}`, labels }],
      rulesYaml: monitoring.rulesFile,
    });
    start = Date.now() / 1000;
    agent = await startAgentProcess(stack, {
      metricsPort,
      // Both intakes: Kafka, and runs of the Ocean backend and of workflow nodes claimed over HTTPS.
      overrides: {
        policy: { allow: [{ org: 'acme', repo: 'infra' }] },
        tracking: { maxWaitSeconds: 20 },
        portApi: { enabled: true, claimIntervalSeconds: 0.5, visibilityTimeoutMs: 10_000 },
      },
    });
    await agent.waitReady();
    // Prometheus must hold the counters at 0 before the events below: a series whose first
    // sample is already 1 shows no increase. On a loaded machine the first scrape can come late.
    const scraped = async (expr: string) => (await prom.query(expr)).length > 0;
    for (let i = 0; i < 300 && !(await scraped('ghes_agent_claim_conflicts_total')); i++) await new Promise((r) => setTimeout(r, 100));
    // Claimed over HTTPS: an action run, a workflow-node run, and one whose first ack answers 409.
    const claimed = [
      stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml' }),
      stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml' }, { kind: 'workflow-node' }),
    ];
    assert.deepEqual(
      (await Promise.all(claimed.map((r) => stack.waitForRun(r.id, isFinal, 90_000)))).map((r) => r.status),
      ['SUCCESS', 'SUCCESS'],
    );
    const conflict = stack.port.fault({ kind: 'status', status: 409, count: 1, route: '/v1/actions/runs/ack' });
    stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml' });
    for (let i = 0; i < 300 && metricValue(await agent.metrics(), 'ghes_agent_claim_conflicts_total') < 1; i++)
      await new Promise((r) => setTimeout(r, 100));
    conflict();
    // ...and has scraped it since (scrapes can lag under load).
    for (let i = 0; i < 300 && !(await scraped('sum(ghes_agent_claim_conflicts_total) >= 1')); i++)
      await new Promise((r) => setTimeout(r, 100));

    const inv = (workflow: string, repo = 'infra') => ({ type: 'GITHUB' as const, org: 'acme', repo, workflow, workflowInputs: {} });
    // Success, failure, a dispatch GHES refuses (404), a policy refusal, a run that times out.
    const runs = await Promise.all(
      ['deploy.yml', 'deploy.yml', 'approve.yml', 'fail.yml', 'fail.yml', 'nope.yml', 'slow.yml'].map((w) => stack.publish(inv(w))),
    );
    runs.push(await stack.publish(inv('deploy.yml', 'secret-repo')));
    const done = await Promise.all(runs.map((r) => stack.waitForRun(r.id, isFinal, 90_000)));
    assert.deepEqual(
      done.map((r) => r.status),
      ['SUCCESS', 'SUCCESS', 'SUCCESS', 'FAILURE', 'FAILURE', 'FAILURE', 'FAILURE', 'FAILURE'],
    );
    // GHES down for 8 s while a run arrives: requests fail, the run is dispatched afterwards.
    stack.ghes.fault({ kind: 'outage', durationMs: 8000 });
    const duringGhesOutage = await stack.publish(inv('deploy.yml'));
    assert.equal((await stack.waitForRun(duringGhesOutage.id, isFinal, 90_000)).status, 'SUCCESS');
    // Port down for 6 s while a run finishes: reports queue up and are delivered afterwards.
    const duringPortOutage = await stack.publish(inv('deploy.yml'));
    await stack.waitForRun(duringPortOutage.id, (r) => typeof r.link === 'string');
    stack.port.fault({ kind: 'outage', durationMs: 6000 });
    assert.equal((await stack.waitForRun(duringPortOutage.id, isFinal, 90_000)).status, 'SUCCESS');
    // A second member joins the agent's group, as a new replica would: the agent rebalances.
    const rebalancesBefore = metricValue(await agent.metrics(), 'ghes_agent_consumer_rebalances_total');
    const replica = new kafkajs.Kafka(kafkaClientConfig(stack.broker, 'agent', 'second-replica')).consumer({
      groupId: `${stack.org}.ghes-agent`,
      sessionTimeout: 10_000,
    });
    await replica.connect();
    await replica.subscribe({ topic: stack.topic });
    await replica.run({ autoCommit: false, eachMessage: async () => undefined });
    for (let i = 0; i < 300 && metricValue(await agent.metrics(), 'ghes_agent_consumer_rebalances_total') <= rebalancesBefore; i++)
      await new Promise((r) => setTimeout(r, 100));
    await replica.disconnect();
    // A few more scrapes and rule evaluations after the last event.
    await new Promise((r) => setTimeout(r, 4000));
    end = Date.now() / 1000;
  });

  after(async () => {
    await agent?.stop();
    await prom?.stop();
    await stack?.close();
  });

  test('the agent is scraped with the ServiceMonitor labels', async () => {
    const up = await prom.query(`up{job="${RELEASE.service}"}`);
    assert.equal(up.length, 1, prom.output());
    assert.equal(up[0]!.value![1], '1');
    for (const [k, v] of Object.entries({ namespace: RELEASE.namespace, service: RELEASE.service, pod: POD, endpoint: 'metrics' }))
      assert.equal(up[0]!.metric[k], v);
  });

  test('every dashboard query evaluates, and returns data for the scenario that fills it', async () => {
    assert.ok(monitoring.queries.length >= 14, `only ${monitoring.queries.length} dashboard queries found`);
    const problems: string[] = [];
    for (const q of monitoring.queries) {
      const key = `${q.panel}/${q.refId}`;
      const expr = instantiate(q.expr, { namespace: RELEASE.namespace, pod: POD, rateInterval: RATE_INTERVAL });
      let result;
      try {
        result = await prom.queryRange(expr, start, end, 1);
      } catch (err) {
        problems.push(`${key}: ${(err as Error).message}\n    ${expr}`);
        continue;
      }
      const values = result
        .flatMap((s) => s.values ?? [])
        .map(([, v]) => Number(v))
        .filter((v) => Number.isFinite(v));
      if (values.length === 0) problems.push(`${key}: no data\n    ${expr}`);
      else if (!values.some((v) => v > 0) && !CANNOT_FILL[key])
        problems.push(`${key}: only zeros, although the scenario should fill it (or add it to CANNOT_FILL with the reason)\n    ${expr}`);
    }
    for (const key of Object.keys(CANNOT_FILL)) {
      assert.ok(
        monitoring.queries.some((q) => `${q.panel}/${q.refId}` === key),
        `CANNOT_FILL names ${key}, which is no longer a dashboard query`,
      );
    }
    assert.deepEqual(problems, []);
  });

  test("the dashboard's variables list this release's namespace and pod", async () => {
    for (const selector of monitoring.variableSelectors) {
      const series = await prom.api<Record<string, string>[]>(
        `series?match[]=${encodeURIComponent(selector.replace('$namespace', RELEASE.namespace))}`,
      );
      assert.ok(
        series.some((s) => s.namespace === RELEASE.namespace && s.pod === POD),
        `${selector}: ${JSON.stringify(series)}`,
      );
    }
  });

  test('every alert and recording expression evaluates, and every metric it reads is scraped or recorded', async () => {
    const problems: string[] = [];
    for (const rule of [...monitoring.records, ...monitoring.alerts]) {
      const name = rule.alert ?? rule.record;
      try {
        await prom.query(rule.expr, end);
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
      }
      for (const metric of metricNames(rule.expr)) {
        const found = await prom.queryRange(
          `count(${metric}{namespace="${RELEASE.namespace}", service="${RELEASE.service}"})`,
          start,
          end,
          1,
        );
        if (found.length === 0)
          problems.push(`${name}: reads ${metric}, which Prometheus never saw from the agent${metric.includes(':') ? ' (recorded)' : ''}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('Prometheus evaluates every rule of the chart without an error', async () => {
    type ApiRule = { name: string; health: string; lastError?: string; type: string };
    const data = await prom.api<{ groups: { name: string; rules: ApiRule[] }[] }>('rules');
    const rules = data.groups.flatMap((g) => g.rules);
    assert.equal(rules.length, monitoring.alerts.length + monitoring.records.length);
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      [],
    );
  });

  test('GhesAgentRunsTimingOut (no for:) fires on the run that timed out; nothing else fires', async () => {
    type ApiAlert = { labels: Record<string, string>; state: string };
    const { alerts } = await prom.api<{ alerts: ApiAlert[] }>('alerts');
    const firing = alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname);
    assert.deepEqual(firing, ['GhesAgentRunsTimingOut'], JSON.stringify(alerts));
  });
});
