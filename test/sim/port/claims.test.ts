// The Port simulator's claim protocol (claim, visibility timeout, ack, 409), workflow-node runs,
// integration records and the token's isMachine claim; every answer checked against the schema.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkedCall as call, login } from './checked-call.js';
import { startPortSim, type PortSim } from './server.js';
import type { IntegrationInvocation } from './types.js';

const creds = { orgId: 'org_claims', clientId: 'cid', clientSecret: 'csecret' };
const RESERVED = { 'x-port-reserved-usage': 'true' };
const action = (workflow = 'deploy.yml', installationId = 'ghes-agent'): IntegrationInvocation => ({
  type: 'INTEGRATION_ACTION',
  installationId,
  integrationActionType: 'dispatch_workflow',
  integrationActionExecutionProperties: {
    org: 'acme',
    repo: 'infra',
    workflow,
    workflowInputs: { ref: 'main' },
    reportWorkflowStatus: true,
  },
});
const claimBody = (extra: Record<string, unknown> = {}) => ({
  installationId: 'ghes-agent',
  limit: 10,
  visibilityTimeoutMs: 60_000,
  ...extra,
});

describe('Port simulator: claiming action runs', () => {
  let clock = Date.parse('2026-04-01T08:00:00Z');
  let sim: PortSim;
  let token: string;
  before(async () => {
    sim = await startPortSim({ ...creds, tokenTtlS: 864_000, now: () => clock, integrations: [{ installationId: 'ghes-agent' }] });
    token = await login(sim);
  });
  after(() => sim.close());
  const claim = (extra: Record<string, unknown> = {}) =>
    call(sim, 'POST', '/v1/actions/runs/claim-pending', { token, headers: RESERVED, body: claimBody(extra) });
  const ack = (runId: string) => call(sim, 'PATCH', '/v1/actions/runs/ack', { token, headers: RESERVED, body: { runId } });
  const ids = (r: { body: Record<string, unknown> }) => (r.body.runs as Array<{ id: string }>).map((x) => x.id);

  it('hands out pending runs of the installation as run records, oldest first, within the limit', async () => {
    const a = sim.createRun({ invocation: action(), actionIdentifier: 'deploy' });
    clock += 1;
    const b = sim.createRun({ invocation: action(), actionIdentifier: 'deploy' });
    sim.createRun({ invocation: action('x.yml', 'someone-else') });
    sim.createRun({ invocation: { type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml' } });
    const first = await claim({ limit: 1 });
    assert.deepEqual(ids(first), [a.id]);
    const served = (first.body.runs as Array<Record<string, unknown>>)[0]!;
    assert.equal(served.installationId, 'ghes-agent');
    assert.equal(served.pendingExecution, true);
    assert.equal(served.claimedUntil, new Date(clock + 60_000).toISOString());
    assert.deepEqual((served.payload as IntegrationInvocation).integrationActionExecutionProperties.workflow, 'deploy.yml');
    assert.deepEqual(ids(await claim()), [b.id], 'a claimed run is invisible to other claims');
  });

  it('re-offers a run not acknowledged within its visibility timeout; never one acknowledged', async () => {
    const r = sim.createRun({ invocation: action(), actionIdentifier: 'deploy' });
    assert.ok(ids(await claim()).includes(r.id));
    clock += 59_999;
    assert.ok(!ids(await claim()).includes(r.id));
    clock += 1;
    assert.ok(ids(await claim({ visibilityTimeoutMs: 5_000 })).includes(r.id), 're-offered after the timeout');
    assert.equal(sim.getRun(r.id)?.claims, 2);
    assert.equal((await ack(r.id)).status, 200);
    assert.equal(sim.getRun(r.id)?.pendingExecution, false);
    clock += 600_000;
    assert.ok(!ids(await claim()).includes(r.id), 'acknowledged: never offered again');
  });

  it('a second ack answers 409 (another worker has it); unknown runs 404', async () => {
    const r = sim.createRun({ invocation: action(), actionIdentifier: 'deploy' });
    sim.ackElsewhere(r.id);
    const conflict = await ack(r.id);
    assert.equal(conflict.status, 409);
    assert.equal((await ack('r_doesnotexist')).status, 404);
    const batch = await call(sim, 'PATCH', '/v1/actions/runs/ack', { token, headers: RESERVED, body: { runIds: [r.id] } });
    assert.deepEqual(batch.body, { ok: true, ackedCount: 0 });
  });

  it('exclude leaves the named actions in the queue', async () => {
    clock += 3_600_000;
    const flood = sim.createRun({ invocation: action(), actionIdentifier: 'flood' });
    const other = sim.createRun({ invocation: action(), actionIdentifier: 'other' });
    const got = ids(await claim({ exclude: ['flood'] }));
    assert.ok(got.includes(other.id) && !got.includes(flood.id));
  });

  it('refuses bad bodies (422), unknown installations (404), calls without the reserved header (404)', async () => {
    assert.equal((await claim({ limit: 0 })).status, 422);
    assert.equal((await claim({ visibilityTimeoutMs: 600_001 })).status, 422);
    assert.equal((await claim({ installationId: 'nobody' })).status, 404);
    assert.equal((await call(sim, 'POST', '/v1/actions/runs/claim-pending', { token, body: claimBody() })).status, 404);
  });

  it('a 5xx after the claim took effect: the runs are hidden until the timeout, then offered again', async () => {
    clock += 3_600_000;
    const r = sim.createRun({ invocation: action(), actionIdentifier: 'late' });
    sim.fault({ kind: 'status', status: 502, after: true, count: 1, route: '/v1/actions/runs/claim-pending' });
    assert.equal((await claim()).status, 502);
    assert.ok(!ids(await claim()).includes(r.id), 'claimed, though the answer was lost');
    clock += 60_000;
    assert.ok(ids(await claim()).includes(r.id));
    sim.fault({ kind: 'status', status: 503, after: true, count: 1, route: '/v1/actions/runs/ack' });
    assert.equal((await ack(r.id)).status, 503);
    assert.equal((await ack(r.id)).status, 409, 'the lost ack did take effect');
  });
});

describe('Port simulator: workflow-node runs', () => {
  const clock = Date.parse('2026-04-01T08:00:00Z');
  let sim: PortSim;
  let token: string;
  before(async () => {
    sim = await startPortSim({ ...creds, tokenTtlS: 864_000, now: () => clock, integrations: [{ installationId: 'ghes-agent' }] });
    token = await login(sim);
  });
  after(() => sim.close());

  it('claims node runs with their config, acks by nodeRunIdentifier, excludes node uids', async () => {
    const n = sim.createRun({ invocation: action(), kind: 'workflow-node', nodeUid: 'deploy-node' });
    const other = sim.createRun({ invocation: action(), kind: 'workflow-node', nodeUid: 'other-node' });
    const claimed = await call(sim, 'POST', '/v1/workflows/runs/claim-pending', {
      token,
      headers: RESERVED,
      body: claimBody({ exclude: ['deploy-node'] }),
    });
    const nodeRuns = claimed.body.nodeRuns as Array<Record<string, unknown>>;
    assert.deepEqual(
      nodeRuns.map((x) => x.identifier),
      [other.id],
    );
    assert.deepEqual((nodeRuns[0]!.config as Record<string, unknown>).integrationInvocationType, 'dispatch_workflow');
    assert.match(n.id, /^wfnr_/);
    const ack = await call(sim, 'PATCH', '/v1/workflows/runs/ack', { token, headers: RESERVED, body: { nodeRunIdentifier: other.id } });
    assert.deepEqual(ack.body, { ok: true, acked: true });
    assert.equal(
      (await call(sim, 'PATCH', '/v1/workflows/runs/ack', { token, headers: RESERVED, body: { nodeRunIdentifier: other.id } })).status,
      409,
    );
  });

  it('updates status/result/externalRunId/links/output, logs with levels; completes once; output is replaced', async () => {
    const n = sim.createRun({ invocation: action(), kind: 'workflow-node' });
    const path = `/v1/workflows/nodes/runs/${n.id}`;
    const started = await call(sim, 'PATCH', path, {
      token,
      body: {
        status: 'IN_PROGRESS',
        externalRunId: 'gh_1_2_3',
        links: ['https://ghes/acme/infra/actions/runs/3'],
        output: { workflowRunUrl: 'u', workflowRunId: 3 },
      },
    });
    assert.equal(started.status, 200);
    assert.equal(
      (await call(sim, 'POST', `${path}/logs`, { token, body: { logs: [{ level: 'INFO', message: 'dispatched' }] } })).status,
      201,
    );
    assert.equal((await call(sim, 'POST', `${path}/logs`, { token, body: { logs: [{ level: 'LOUD', message: 'x' }] } })).status, 422);
    assert.equal((await call(sim, 'PATCH', path, { token, body: { status: 'COMPLETED' } })).status, 422, 'COMPLETED needs a result');
    assert.equal((await call(sim, 'PATCH', path, { token, body: { statusLabel: 'x' } })).status, 422, 'no action-run keys');
    assert.equal(
      (await call(sim, 'PATCH', path, { token, body: { status: 'COMPLETED', result: 'SUCCESS', output: { workflowRunId: 3 } } })).status,
      200,
    );
    assert.equal((await call(sim, 'PATCH', path, { token, body: { status: 'COMPLETED', result: 'FAILED' } })).status, 422);
    const stored = sim.getRun(n.id)!;
    assert.equal(stored.status, 'SUCCESS');
    assert.equal(stored.statusWrites, 2);
    assert.deepEqual(stored.output, { workflowRunId: 3 });
    assert.deepEqual(
      stored.logs.map((l) => [l.level, l.message]),
      [['INFO', 'dispatched']],
    );
    const got = await call(sim, 'GET', path, { token, headers: RESERVED });
    assert.equal((got.body.nodeRun as Record<string, unknown>).result, 'SUCCESS');
    const looked = await call(sim, 'GET', '/v1/workflows/nodes/runs?external_run_id=gh_1_2_3&include=nodeConfig', {
      token,
      headers: RESERVED,
    });
    assert.deepEqual(
      (looked.body.nodeRuns as Array<{ identifier: string }>).map((x) => x.identifier),
      [n.id],
    );
    assert.equal((await call(sim, 'GET', '/v1/actions/runs/' + n.id, { token })).status, 404, 'node runs are not action runs');
  });

  // port-ocean 0.56.2 actions_and_workflow_runs.py: update_run_started, post_run_log and
  // _wf_node_completion_patch send `statusLabel: {"text": …}` on the node run (its
  // tests/clients/port/mixins/test_actions_and_workflow_runs.py assert these exact bodies).
  it('takes status labels on the run as Ocean sends them: statusLabel {text}', async () => {
    const n = sim.createRun({ invocation: action(), kind: 'workflow-node' });
    const path = `/v1/workflows/nodes/runs/${n.id}`;
    const started = await call(sim, 'PATCH', path, {
      token,
      body: {
        status: 'IN_PROGRESS',
        externalRunId: 'gh_1_2_4',
        output: { workflowRunUrl: 'u' },
        links: ['u'],
        statusLabel: { text: 'Pipeline running' },
      },
    });
    assert.equal(started.status, 200);
    assert.deepEqual((started.body.nodeRun as Record<string, unknown>).statusLabel, { text: 'Pipeline running' });
    assert.equal(
      (await call(sim, 'PATCH', path, { token, body: { statusLabel: { text: 'Triggering pipeline' } } })).status,
      200,
      "post_run_log's label-only patch",
    );
    assert.equal((await call(sim, 'PATCH', path, { token, body: { statusLabel: { label: 'x' } } })).status, 422, 'only {text}');
    const done = await call(sim, 'PATCH', path, {
      token,
      body: { status: 'COMPLETED', result: 'SUCCESS', output: { workflowRunUrl: 'u' }, statusLabel: { text: 'Pipeline succeeded' } },
    });
    assert.equal(done.status, 200);
    assert.equal(sim.getRun(n.id)!.statusLabel, 'Pipeline succeeded');
    assert.deepEqual(((await call(sim, 'GET', path, { token, headers: RESERVED })).body.nodeRun as Record<string, unknown>).statusLabel, {
      text: 'Pipeline succeeded',
    });
  });

  // port-ocean 0.56.2 mixins/workflow_nodes.py get_wf_node_run_by_external_id: GET
  // /v1/workflows/nodes/runs?external_run_id=…&include=nodeConfig with x-port-reserved-usage: true.
  it('serves node-run reads as Ocean reads them: with the reserved header; 404 without it', async () => {
    const n = sim.createRun({ invocation: action(), kind: 'workflow-node' });
    assert.equal(
      (await call(sim, 'PATCH', `/v1/workflows/nodes/runs/${n.id}`, { token, body: { externalRunId: 'gh_1_2_77' } })).status,
      200,
    );
    const ocean = await call(sim, 'GET', '/v1/workflows/nodes/runs?external_run_id=gh_1_2_77&include=nodeConfig', {
      token,
      headers: RESERVED,
    });
    assert.equal(ocean.status, 200);
    const [found] = ocean.body.nodeRuns as Array<Record<string, unknown>>;
    assert.equal(found?.identifier, n.id);
    assert.equal(
      (found?.node as { config?: { type?: string } })?.config?.type,
      'INTEGRATION_ACTION',
      "include=nodeConfig: node.config, as Ocean's WorkflowNodeRun parses it",
    );
    assert.equal(
      (await call(sim, 'GET', '/v1/workflows/nodes/runs?external_run_id=gh_1_2_77', { token })).status,
      404,
      'no reserved header',
    );
    assert.equal((await call(sim, 'GET', `/v1/workflows/nodes/runs/${n.id}`, { token })).status, 404, 'no reserved header');
    assert.equal((await call(sim, 'GET', `/v1/workflows/nodes/runs/${n.id}`, { token, headers: RESERVED })).status, 200);
  });
});

describe('Port simulator: integration records and machine tokens', () => {
  it('creates, reads and patches integration records; 403 without the role', async () => {
    const sim = await startPortSim(creds);
    try {
      const token = await login(sim);
      assert.equal((await call(sim, 'GET', '/v1/integration/ghes-agent', { token })).status, 404);
      const created = await call(sim, 'POST', '/v1/integration', {
        token,
        body: {
          installationId: 'ghes-agent',
          installationAppType: 'github-ocean',
          version: '1.0.0',
          config: {},
          actionsProcessingEnabled: true,
        },
      });
      assert.equal((created.body.integration as Record<string, unknown>).actionsProcessingEnabled, true);
      assert.equal((await call(sim, 'POST', '/v1/integration', { token, body: { installationId: 'ghes-agent' } })).status, 409);
      const patched = await call(sim, 'PATCH', '/v1/integration/ghes-agent', {
        token,
        body: { actionsProcessingEnabled: false, version: '1.0.1' },
      });
      assert.equal((patched.body.integration as Record<string, unknown>).version, '1.0.1');
    } finally {
      await sim.close();
    }
    const locked = await startPortSim({ ...creds, integrationsForbidden: true });
    try {
      assert.equal((await call(locked, 'GET', '/v1/integration/x', { token: await login(locked) })).status, 403);
    } finally {
      await locked.close();
    }
  });

  it('tokens are JWTs with isMachine; a personal token may not claim (403)', async () => {
    const sim = await startPortSim({ ...creds, machineToken: false, integrations: [{ installationId: 'ghes-agent' }] });
    try {
      const token = await login(sim);
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(claims.isMachine, false);
      assert.equal(
        (await call(sim, 'POST', '/v1/actions/runs/claim-pending', { token, headers: RESERVED, body: claimBody() })).status,
        403,
      );
    } finally {
      await sim.close();
    }
  });
});
