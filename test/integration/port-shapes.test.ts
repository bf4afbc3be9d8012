// The agent's traffic with Port, checked against the schema written from Port's API description
// (test/sim/port/port-api-schema.ts): every request body and query the agent sends, and every
// answer the simulator gives, through success, failure, refusal, an invalid message, a resume, a
// token revoked mid-run (401 renewal), 503s and 429s. The simulator serves runs without
// `externalRunId` (the description does not promise it): resuming must work from the link.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { checkTraffic } from '../sim/port/traffic-check.js';
import { buildRunMessage, signRunMessage } from '../sim/publisher.js';

const inv = (workflow: string, extra: Record<string, unknown> = {}) => ({
  type: 'GITHUB' as const,
  org: 'acme',
  repo: 'infra',
  workflow,
  workflowInputs: { service: 'api' },
  ...extra,
});

describe("the agent's Port traffic fits Port's API description", () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' }, port: { recordResponses: true, servesExternalRunId: false } });
    agent = await startAgentProcess(stack, { auth: 'app', overrides: { policy: { allow: [{ org: 'acme', repo: 'infra' }] } } });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('success, failure, policy refusal and an invalid message', async () => {
    const ok = await stack.publish(inv('deploy.yml'));
    const failed = await stack.publish(inv('fail.yml'));
    stack.ghes.addRepo({ owner: 'acme', name: 'elsewhere', defaultBranch: 'main' });
    const refused = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'elsewhere', workflow: 'deploy.yml', workflowInputs: {} });
    const invalid = stack.port.createRun({ invocation: inv('deploy.yml') });
    const msg = buildRunMessage({ orgId: stack.org, run: invalid }) as {
      payload: { action: { invocationMethod: Record<string, unknown> } };
    };
    msg.payload.action.invocationMethod.workflow = '../x';
    await stack.publishRaw(signRunMessage(msg, stack.port.clientSecret), invalid.id);
    assert.equal((await stack.waitForRun(ok.id, isFinal)).status, 'SUCCESS');
    assert.equal((await stack.waitForRun(failed.id, isFinal)).status, 'FAILURE');
    assert.match((await stack.waitForRun(refused.id, isFinal)).summary ?? '', /policy/);
    assert.match((await stack.waitForRun(invalid.id, isFinal)).summary ?? '', /invalid run message/);
  });

  test('a redelivered message resumes from the link alone (no externalRunId served): one workflow run', async () => {
    const run = stack.port.createRun({ invocation: inv('approve.yml') });
    const msg = signRunMessage(buildRunMessage({ orgId: stack.org, run }), stack.port.clientSecret);
    await stack.publishRaw(msg, run.id);
    await stack.waitForRun(run.id, (r) => typeof r.link === 'string');
    await stack.publishRaw(msg, run.id);
    assert.equal((await stack.waitForRun(run.id, isFinal)).status, 'SUCCESS');
    assert.equal(stack.ghes.runs().filter((r) => r.inputs.port_run_id === run.id).length, 1);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_messages_total', { outcome: 'resumed' }) >= 1);
  });

  test('a revoked token (401) is renewed; 503s and 429s are retried', async () => {
    const run = await stack.publish(inv('deploy.yml'));
    await stack.waitForRun(run.id, (r) => typeof r.link === 'string');
    stack.port.revokeTokens();
    stack.port.fault({ kind: 'status', status: 503, count: 2, route: '/v1/actions/runs/:id/logs' });
    stack.port.fault({ kind: 'status', status: 429, retryAfterS: 1, count: 2, route: '/v1/actions/runs/:id', method: 'PATCH' });
    assert.equal((await stack.waitForRun(run.id, isFinal, 60_000)).status, 'SUCCESS');
    const seen = stack.port.requests().map((r) => r.status);
    for (const status of [401, 503, 429]) assert.ok(seen.includes(status), `the flow met a ${status}`);
  });

  test('every request and every answer fits the schema', () => {
    const { problems, seen: keys } = checkTraffic(stack.port);
    assert.deepEqual(problems.slice(0, 20), []);
    for (const k of [
      'GET /v1/actions/runs/:id 200',
      'PATCH /v1/actions/runs/:id 200',
      'POST /v1/actions/runs/:id/logs 201',
      'GET /v1/kafka-credentials 200',
      'POST /v1/auth/access_token 200',
    ]) {
      assert.ok(keys.has(k), `the flows exercised ${k}: ${[...keys].join(', ')}`);
    }
    const reads = stack.port.requests().filter((r) => r.method === 'GET' && r.route === '/v1/actions/runs/:id');
    assert.ok(
      reads.length > 0 && reads.every((r) => new URLSearchParams(r.query).get('version') === 'v2'),
      'runs are read with version=v2',
    );
  });
});
