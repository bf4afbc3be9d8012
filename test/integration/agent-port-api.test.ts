// The HTTPS intake end to end, as a real process, on the Port and GHES simulators: GitHub Ocean
// backend runs (INTEGRATION_ACTION, dispatch_workflow) and workflow-node runs claimed over HTTPS,
// with no Kafka at all; then both intakes side by side, a wfnr_ run on Kafka included.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { DEFAULT_INSTALLATION, type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { checkTraffic } from '../sim/port/traffic-check.js';

const props = (workflow: string, extra: Record<string, unknown> = {}) => ({
  org: 'acme',
  repo: 'infra',
  workflow,
  workflowInputs: { service: 'api' },
  ...extra,
});
/** The HTTPS intake alone, quick to claim, with a short claim window so re-offers happen within a test. */
export const HTTPS_ONLY = {
  kafka: { enabled: false },
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 10_000, leaseSeconds: 20, rediscoveryIntervalSeconds: 1 },
};
const dispatchesFor = (stack: LocalStack, runId: string) =>
  stack.ghes.dispatches().filter((d) => d.status < 300 && d.inputs.port_run_id === runId);

describe('HTTPS intake only: no Kafka connection, no Kafka credentials', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' }, port: { recordResponses: true } });
    // Port would hand out Kafka credentials, but the agent must never ask for them.
    agent = await startAgentProcess(stack, {
      auth: 'app',
      overrides: { ...HTTPS_ONLY, policy: { allow: [{ org: 'acme', repo: 'infra' }] } },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('the agent registered its integration record, and never asked for Kafka credentials', () => {
    const record = stack.port.integrations().find((i) => i.installationId === DEFAULT_INSTALLATION);
    assert.ok(record, 'registered');
    assert.equal(record.actionsProcessingEnabled, true);
    assert.equal(record.installationAppType, 'github-ocean');
    assert.equal(stack.port.requests().filter((r) => r.route === '/v1/kafka-credentials').length, 0);
    assert.doesNotMatch(agent.output(), /consuming .* as group/);
  });

  test('an INTEGRATION_ACTION run: claimed, dispatched once, acknowledged once, reported SUCCESS', async () => {
    const run = stack.createIntegrationRun(
      props('deploy.yml', { workflowInputs: { ref: 'release', service: { name: 'web', replicas: 3 } } }),
    );
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'SUCCESS');
    assert.match(String(done.link), /\/acme\/infra\/actions\/runs\/\d+$/);
    assert.match(String(done.externalRunId), /^gh_\d+_\d+_\d+$/);
    assert.equal(done.acks, 1);
    assert.equal(done.claims, 1);
    assert.equal(done.statusWrites, 1);
    const d = dispatchesFor(stack, run.id);
    assert.equal(d.length, 1);
    // Issue 23: dispatched as the policy reads it, a branch (refs/heads/release), not the bare name.
    assert.equal(d[0]!.ref, 'refs/heads/release', 'ref from workflowInputs');
    assert.equal(d[0]!.inputs.service, '{"name":"web","replicas":3}', 'non-string inputs JSON-encoded, as Ocean does');
    assert.ok(done.logs.some((l) => l.message === 'Workflow completed: success'));
  });

  test('a workflow-node run: status/result/externalRunId/links/output and leveled logs on the node-run routes', async () => {
    const ok = stack.createIntegrationRun(props('deploy.yml'), { kind: 'workflow-node' });
    const failed = stack.createIntegrationRun(props('fail.yml'), { kind: 'workflow-node' });
    const done = await stack.waitForRun(ok.id, isFinal);
    assert.equal(done.status, 'SUCCESS');
    assert.equal(done.result, 'SUCCESS');
    assert.match(String(done.externalRunId), /^gh_\d+_\d+_\d+$/);
    assert.equal(done.links?.length, 1);
    assert.equal(done.output?.workflowRunUrl, done.links?.[0], 'output keeps the run link on completion');
    assert.equal(typeof done.output?.workflowRunId, 'number');
    assert.ok(done.logs.every((l) => l.level !== undefined));
    assert.ok(done.logs.some((l) => l.message === 'Workflow completed: success'));
    const f = await stack.waitForRun(failed.id, isFinal);
    assert.equal(f.result, 'FAILED');
    assert.equal(dispatchesFor(stack, ok.id).length, 1);
    assert.equal(
      stack.port.requests().filter((r) => r.route.startsWith('/v1/actions/runs/:id') && r.path.includes('wfnr_')).length,
      0,
      'never on the action routes',
    );
  });

  test('refusals: policy, an unsupported action type, invalid properties, a missing workflow — each FAILURE, acknowledged, never dispatched', async () => {
    stack.ghes.addRepo({ owner: 'acme', name: 'elsewhere', defaultBranch: 'main' });
    const policy = stack.createIntegrationRun({ org: 'acme', repo: 'elsewhere', workflow: 'deploy.yml' });
    const unsupported = stack.createIntegrationRun(props('deploy.yml'), {
      integrationActionType: 'update_repo_external_custom_properties',
    });
    const invalid = stack.createIntegrationRun(props('../../etc/passwd'));
    const missing = stack.createIntegrationRun(props('nope.yml'));
    const nodePolicy = stack.createIntegrationRun({ org: 'acme', repo: 'elsewhere', workflow: 'deploy.yml' }, { kind: 'workflow-node' });
    const expect: Array<[string, RegExp]> = [
      [policy.id, /policy/],
      [unsupported.id, /update_repo_external_custom_properties writes with routes .* that no GHES version documents/],
      [invalid.id, /workflow is not a workflow file name/],
      [missing.id, /not found/i],
    ];
    for (const [id, why] of expect) {
      // Reported first, then acknowledged: a refusal that is not acknowledged is offered again and found final.
      const r = await stack.waitForRun(id, (x) => isFinal(x) && x.acks === 1);
      assert.equal(r.status, 'FAILURE', id);
      assert.match(r.summary ?? '', why);
      assert.equal(r.acks, 1, `${id} acknowledged`);
      assert.equal(dispatchesFor(stack, id).length, 0);
    }
    const n = await stack.waitForRun(nodePolicy.id, isFinal);
    assert.equal(n.result, 'FAILED');
    assert.match(String(n.output?.summary), /policy/);
    assert.ok(n.logs.some((l) => l.level === 'ERROR'));
  });

  test('reportWorkflowStatus false: link, logs and a completed label, no status', async () => {
    const run = stack.createIntegrationRun(props('fail.yml', { reportWorkflowStatus: false }));
    const done = await stack.waitForRun(run.id, (r) => r.statusLabel?.startsWith('Workflow completed') ?? false);
    assert.equal(done.status, 'IN_PROGRESS');
    assert.equal(done.statusWrites, 0);
    assert.equal(done.statusLabel, 'Workflow completed: failure');
  });

  test("409 on the ack (another worker's claim): the agent lets go; the run, offered again, is resumed, not dispatched again", async () => {
    const remove = stack.port.fault({ kind: 'status', status: 409, count: 1, route: '/v1/actions/runs/ack' });
    const run = stack.createIntegrationRun(props('deploy.yml'));
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    remove();
    assert.equal(done.status, 'SUCCESS');
    assert.equal(done.claims, 2, 'offered again after its visibility timeout');
    assert.equal(dispatchesFor(stack, run.id).length, 1);
    const m = await agent.metrics();
    assert.ok(metricValue(m, 'ghes_agent_claim_conflicts_total', { kind: 'action' }) >= 1);
    assert.ok(metricValue(m, 'ghes_agent_messages_total', { outcome: 'resumed', intake: 'port-api' }) >= 1);
  });

  test('5xx after the claim took effect: the run comes back after its timeout; 5xx after the ack took effect: the 409 that follows is our own ack', async () => {
    const lostClaim = stack.port.fault({ kind: 'status', status: 502, after: true, count: 1, route: '/v1/actions/runs/claim-pending' });
    const a = stack.createIntegrationRun(props('deploy.yml'));
    const aDone = await stack.waitForRun(a.id, isFinal, 60_000);
    lostClaim();
    assert.equal(aDone.status, 'SUCCESS');
    assert.equal(aDone.claims, 2);
    const lostAck = stack.port.fault({ kind: 'status', status: 503, after: true, count: 1, route: '/v1/actions/runs/ack' });
    const b = stack.createIntegrationRun(props('deploy.yml'));
    const bDone = await stack.waitForRun(b.id, isFinal, 60_000);
    lostAck();
    assert.equal(bDone.status, 'SUCCESS');
    assert.equal(bDone.claims, 1, 'kept: not let go on its own ack');
    assert.equal(dispatchesFor(stack, a.id).length + dispatchesFor(stack, b.id).length, 2);
  });

  test("the HTTPS intake's requests and Port's answers fit the schemas (Port's description, Ocean's and port-agent's clients)", () => {
    const { problems, seen } = checkTraffic(stack.port);
    assert.deepEqual(problems.slice(0, 20), []);
    for (const k of [
      'POST /v1/actions/runs/claim-pending 200',
      'PATCH /v1/actions/runs/ack 200',
      'PATCH /v1/actions/runs/ack 409',
      'POST /v1/workflows/runs/claim-pending 200',
      'PATCH /v1/workflows/runs/ack 200',
      'PATCH /v1/workflows/nodes/runs/:id 200',
      'POST /v1/workflows/nodes/runs/:id/logs 201',
      'GET /v1/workflows/nodes/runs/:id 200',
      'POST /v1/integration 200',
      'GET /v1/integration/:id 404',
    ]) {
      assert.ok(seen.has(k), `the flows exercised ${k}: ${[...seen].join(', ')}`);
    }
  });

  test('metrics carry the intake, claims and acknowledgements are counted, /readyz is ready', async () => {
    const m = await agent.metrics();
    assert.ok(metricValue(m, 'ghes_agent_runs_claimed_total', { kind: 'action' }) >= 5);
    assert.ok(metricValue(m, 'ghes_agent_runs_claimed_total', { kind: 'workflow-node' }) >= 2);
    assert.ok(metricValue(m, 'ghes_agent_runs_acknowledged_total', { kind: 'workflow-node' }) >= 2);
    assert.ok(metricValue(m, 'ghes_agent_messages_total', { outcome: 'dispatched', intake: 'port-api' }) >= 3);
    assert.ok(metricValue(m, 'ghes_agent_claim_duration_seconds_count', { kind: 'action' }) >= 1);
    assert.equal(metricValue(m, 'ghes_agent_claim_intake_up'), 1);
    assert.equal(metricValue(m, 'ghes_agent_consumer_connected'), 0);
    assert.equal((await fetch(`${agent.metricsUrl}/readyz`)).status, 200);
  });
});

describe('both intakes side by side', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, { auth: 'app', overrides: { portApi: { ...HTTPS_ONLY.portApi } } });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('a GITHUB run on Kafka, a wfnr_ run on Kafka and an INTEGRATION_ACTION run: each reported on its routes', async () => {
    const kafkaRun = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: {} });
    const kafkaNode = await stack.publish(
      { type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'fail.yml', workflowInputs: {} },
      { kind: 'workflow-node' },
    );
    const claimed = stack.createIntegrationRun(props('deploy.yml'));
    assert.equal((await stack.waitForRun(kafkaRun.id, isFinal)).status, 'SUCCESS');
    const node = await stack.waitForRun(kafkaNode.id, isFinal);
    assert.equal(node.result, 'FAILED');
    assert.ok(node.logs.some((l) => l.message === 'Workflow completed: failure'));
    assert.equal((await stack.waitForRun(claimed.id, isFinal)).status, 'SUCCESS');
    const m = await agent.metrics();
    assert.ok(metricValue(m, 'ghes_agent_messages_total', { outcome: 'dispatched', intake: 'kafka' }) >= 2);
    assert.ok(metricValue(m, 'ghes_agent_messages_total', { outcome: 'dispatched', intake: 'port-api' }) >= 1);
    assert.equal(metricValue(m, 'ghes_agent_messages_total', { outcome: 'unsupported' }), 0, 'wfnr_ on Kafka is handled, not skipped');
  });
});

describe('refusals at start: exit 2 with what Port expects', () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
  });
  after(async () => stack?.close());

  const startsAndFails = async (overrides: Record<string, Record<string, unknown>>, setup?: () => () => void): Promise<string> => {
    const undo = setup?.();
    const agent = await startAgentProcess(stack, {
      auth: 'app',
      overrides: { ...HTTPS_ONLY, ...overrides, portApi: { ...HTTPS_ONLY.portApi, ...overrides.portApi } },
    });
    try {
      assert.equal(await agent.waitExit(60_000), 2, agent.output().slice(-2000));
      return agent.output();
    } finally {
      undo?.();
      agent.kill();
    }
  };

  test('an installation that does not exist, with integrationMode existing', async () => {
    const out = await startsAndFails({ portApi: { integrationMode: 'existing', installationId: 'nobody-here' } });
    assert.match(out, /Port has no integration installation .{0,2}"nobody-here/);
  });

  test('a claim route that answers 404 (moved, or a renamed reserved header)', async () => {
    const out = await startsAndFails({ portApi: { reservedHeader: 'x-port-old-header' } });
    assert.match(out, /Port answered 404 to POST \/v1\/actions\/runs\/claim-pending/);
    assert.match(out, /portApi\.reservedHeader/);
  });

  // Issue 24: one route refusing no longer stops the start (see the describe below); both refusing
  // leaves nothing to claim, and that still stops it.
  test('a claim route that answers 403', async () => {
    const out = await startsAndFails({}, () => stack.port.fault({ kind: 'status', status: 403, route: /\/runs\/claim-pending$/ }));
    assert.match(out, /machine \(organization\) credentials only/);
  });
});

// Issue 24 item 5: a claim route answering 404/403 disables that kind of run; the agent goes on
// with the other. Who could cause it: whoever answers for Port; what it costs: that kind waits in
// Port, visibly (warning, ghes_agent_claim_kind_disabled, /readyz's answer), nothing is lost.
describe('one claim route refused: that kind is off, the other goes on', () => {
  for (const [status, route, off, on] of [
    [404, '/v1/workflows/runs/claim-pending', 'workflow-node', 'action'],
    [403, '/v1/actions/runs/claim-pending', 'action', 'workflow-node'],
  ] as const) {
    test(`${status} from ${route}: ${on} runs are claimed and run; ${off} runs are not, said on /readyz and in a metric`, async () => {
      const stack = await startLocalStack({ ghes: { version: '3.21.0' } });
      try {
        stack.port.fault({ kind: 'status', status, route });
        const agent = await startAgentProcess(stack, {
          auth: 'app',
          overrides: { ...HTTPS_ONLY, policy: { allow: [{ org: 'acme', repo: 'infra' }] } },
        });
        try {
          await agent.waitReady();
          const run = stack.createIntegrationRun(props('deploy.yml'), { kind: on });
          assert.equal((await stack.waitForRun(run.id, isFinal)).status, 'SUCCESS');
          const ready = await fetch(`${agent.metricsUrl}/readyz`);
          assert.equal(ready.status, 200);
          assert.match(
            await ready.text(),
            new RegExp(`^ready \\(HTTPS intake: ${off} runs are not claimed: Port's claim route answered ${status}\\)`),
          );
          const m = await agent.metrics();
          assert.equal(metricValue(m, 'ghes_agent_claim_kind_disabled', { kind: off }), 1);
          assert.equal(metricValue(m, 'ghes_agent_claim_kind_disabled', { kind: on }), 0);
          assert.match(agent.output(), new RegExp(`No more ${off} runs are claimed by this agent`));
          assert.equal(stack.port.requests().filter((r) => r.path === route).length, 1, 'asked once, not again');
        } finally {
          await agent.stop();
        }
      } finally {
        await stack.close();
      }
    });
  }
});

describe('refusals at start: a personal token', () => {
  test('isMachine false: exit 2 naming machine credentials', async () => {
    const stack = await startLocalStack({ ghes: { version: '3.21.0' }, port: { machineToken: false } });
    try {
      const agent = await startAgentProcess(stack, { auth: 'app', overrides: HTTPS_ONLY });
      assert.equal(await agent.waitExit(60_000), 2, agent.output().slice(-2000));
      assert.match(agent.output(), /isMachine: false/);
      assert.match(agent.output(), /Personal tokens or service account tokens are not supported/);
    } finally {
      await stack.close();
    }
  });
});

// Issue 24 item 5: a Port that refuses writes to a run not yet acknowledged (the simulator's
// writesNeedAck mode; nobody has shown which Port does): the run falls back to Ocean's order,
// acknowledged first and then written, counted and logged, and still runs once.
describe("Port refuses writes before the acknowledgement: the run falls back to Ocean's order", () => {
  test('the intent is refused (422), the run is acknowledged, the intent written again; dispatched once, SUCCESS, counted', async () => {
    const stack = await startLocalStack({ ghes: { version: '3.21.0' }, port: { writesNeedAck: true } });
    try {
      const agent = await startAgentProcess(stack, {
        auth: 'app',
        overrides: { ...HTTPS_ONLY, policy: { allow: [{ org: 'acme', repo: 'infra' }] } },
      });
      try {
        await agent.waitReady();
        const run = stack.createIntegrationRun(props('deploy.yml'));
        const done = await stack.waitForRun(run.id, isFinal);
        assert.equal(done.status, 'SUCCESS');
        assert.equal(done.acks, 1, 'acknowledged once: the hand-off found it acknowledged');
        assert.equal(dispatchesFor(stack, run.id).length, 1);
        const writes = done.history.map((w) => `${w.status} ${JSON.stringify(w.body)}`);
        assert.match(writes[0] ?? '', /^422 .*Dispatching workflow/, 'the first write, before the ack, refused');
        assert.match(writes[1] ?? '', /^200 .*Dispatching workflow/, 'written again after the ack');
        const ackAt =
          stack.port.requests().find((r) => r.route === '/v1/actions/runs/ack' && (r.body as { runId?: string })?.runId === run.id)?.at ??
          Infinity;
        assert.ok(ackAt <= Date.parse(done.history[1]!.at), 'acknowledged before the second write');
        assert.equal(metricValue(await agent.metrics(), 'ghes_agent_ack_first_fallbacks_total', { intake: 'port-api' }), 1);
        assert.match(agent.output(), /before its acknowledgement \(422/);
      } finally {
        await agent.stop();
      }
    } finally {
      await stack.close();
    }
  });
});
