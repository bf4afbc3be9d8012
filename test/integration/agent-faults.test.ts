// Failure answers at both ends: transient GHES and Port failures are retried without a second
// workflow run; permanent ones become a FAILURE in Port that says what to fix.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const DISPATCH = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };
const dispatchesFor = (stack: LocalStack, runId: string) => stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === runId);

describe('transient failures', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, { auth: 'app' });
    await agent.waitReady();
    // One normal run first, so the workflow's recent runs show that its run-name carries run ids.
    const warm = await stack.publish(deploy);
    await stack.waitForRun(warm.id, isFinal);
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('a 502 on dispatch: the agent looks for the run, then dispatches once more; one run in all', async () => {
    const remove = stack.ghes.fault({ route: DISPATCH, kind: 'status', status: 502, count: 1 });
    const run = await stack.publish(deploy);
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    remove();
    assert.equal(done.status, 'SUCCESS');
    const attempts = dispatchesFor(stack, run.id);
    assert.equal(attempts.filter((d) => d.status < 300).length, 1, 'exactly one accepted dispatch');
    assert.equal(stack.ghes.runs().filter((r) => r.inputs.port_run_id === run.id).length, 1, 'exactly one workflow run');
  });

  test('a secondary rate limit on dispatch is waited out (retry-after) without a second run', async () => {
    const remove = stack.ghes.fault({ route: DISPATCH, kind: 'secondary-rate-limit', retryAfterS: 1, count: 2 });
    const run = await stack.publish(deploy);
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    remove();
    assert.equal(done.status, 'SUCCESS');
    assert.equal(stack.ghes.runs().filter((r) => r.inputs.port_run_id === run.id).length, 1);
    const limited = stack.ghes.requests().filter((r) => r.fault === 'secondary-rate-limit');
    assert.ok(limited.length >= 2);
  });

  test("Port's API failing for a while: reports are delivered later, in order", async () => {
    const remove = stack.port.fault({ route: /\/v1\/actions\/runs\//, kind: 'status', status: 503, count: 6 });
    const run = await stack.publish(deploy);
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    remove();
    assert.equal(done.status, 'SUCCESS');
    const messages = done.logs.map((l) => l.message);
    const dispatched = messages.findIndex((m) => m.startsWith('Dispatched '));
    const completed = messages.indexOf('Workflow completed: success');
    assert.ok(dispatched >= 0 && completed > dispatched, messages.join('\n'));
    assert.equal(dispatchesFor(stack, run.id).length, 1);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_port_requests_total', { outcome: 'http_5xx' }) >= 1);
  });

  test('a GHES outage during tracking: the run is still reported when GHES returns', async () => {
    const run = await stack.publish(deploy);
    await stack.waitForRun(run.id, (r) => typeof r.link === 'string');
    const remove = stack.ghes.fault({ route: /actions\/runs\/\d+$/, kind: 'outage', durationMs: 3000 });
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    remove();
    assert.equal(done.status, 'SUCCESS');
  });
});

describe('permanent failures', () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
  });
  after(async () => stack?.close());

  test('a token without access to the repository (403): FAILURE that says how to grant access', async () => {
    stack.ghes.addToken('ghp_elsewhere_only_0123456789', { orgs: ['other-org'], login: 'bot' });
    const agent = await startAgentProcess(stack, {
      auth: 'token',
      overrides: { github: { tokenFile: '', token: 'ghp_elsewhere_only_0123456789' } },
    });
    try {
      await agent.waitReady();
      const run = await stack.publish(deploy);
      const done = await stack.waitForRun(run.id, isFinal);
      assert.equal(done.status, 'FAILURE');
      assert.match(done.summary ?? '', /403/);
      assert.match(done.summary ?? '', /Install the GitHub App|give the token access/);
      assert.equal(dispatchesFor(stack, run.id).length, 0);
    } finally {
      await agent.stop();
    }
  });

  test('bad GHES credentials at start: exit 1 with a message naming the fix, never ready', async () => {
    const agent = await startAgentProcess(stack, {
      auth: 'token',
      overrides: { github: { tokenFile: '', token: 'ghp_revoked_0000000000000000' } },
    });
    const code = await agent.waitExit();
    assert.equal(code, 1);
    assert.match(agent.output(), /401/);
    assert.match(agent.output(), /github\.token/);
    assert.ok(!agent.output().includes('ghp_revoked_0000000000000000'), 'the token is never printed');
  });

  test('bad Port credentials at start: exit 1 naming port.clientSecret', async () => {
    const agent = await startAgentProcess(stack, {
      auth: 'app',
      overrides: { port: { clientSecretFile: '', clientSecret: 'wrong-secret-value-123' } },
    });
    const code = await agent.waitExit();
    assert.equal(code, 1);
    assert.match(agent.output(), /port\.clientSecret/);
    assert.ok(!agent.output().includes('wrong-secret-value-123'));
  });
});
