// The agent end to end, as a real process, on the real broker and both simulators (GHES 3.21).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { waitFor } from '../security/helpers.js';
import { signRunMessage } from '../sim/publisher.js';

describe('agent on GHES 3.21 with a GitHub App', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, { auth: 'app', overrides: { policy: { allow: [{ org: 'acme', repo: 'infra' }] } } });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  const inv = (workflow: string, extra: Record<string, unknown> = {}) => ({
    type: 'GITHUB' as const,
    org: 'acme',
    repo: 'infra',
    workflow,
    workflowInputs: { service: 'api' },
    ...extra,
  });

  test('success: link and externalRunId as soon as dispatched, logs, then SUCCESS', async () => {
    const run = await stack.publish(inv('deploy.yml'));
    const linked = await stack.waitForRun(run.id, (r) => typeof r.link === 'string');
    assert.match(String(linked.link), /\/acme\/infra\/actions\/runs\/\d+$/);
    assert.match(String(linked.externalRunId), /^gh_\d+_\d+_\d+$/);
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'SUCCESS');
    const messages = done.logs.map((l) => l.message);
    assert.ok(
      messages.some((m) => m.startsWith('Dispatched acme/infra deploy.yml on main: http')),
      messages.join('\n'),
    );
    assert.ok(messages.includes('Workflow completed: success'), messages.join('\n'));
    assert.equal(done.statusWrites, 1);
    const dispatches = stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === run.id);
    assert.equal(dispatches.length, 1);
    assert.equal(dispatches[0]!.inputs.service, 'api');
  });

  for (const [workflow, status, conclusion] of [
    ['fail.yml', 'FAILURE', 'failure'],
    ['cancel.yml', 'FAILURE', 'cancelled'],
    ['skip.yml', 'SUCCESS', 'skipped'],
  ] as const) {
    test(`${conclusion} → ${status}`, async () => {
      const run = await stack.publish(inv(workflow));
      const done = await stack.waitForRun(run.id, isFinal);
      assert.equal(done.status, status);
      assert.ok(done.logs.some((l) => l.message === `Workflow completed: ${conclusion}`));
    });
  }

  test('waiting for approval becomes a Port log line', async () => {
    const run = await stack.publish(inv('approve.yml'));
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'SUCCESS');
    assert.ok(
      done.logs.some((l) => /waiting for approval/.test(l.message)),
      done.logs.map((l) => l.message).join('\n'),
    );
  });

  test('reportWorkflowStatus false: link and logs, no status', async () => {
    const run = await stack.publish(inv('fail.yml', { reportWorkflowStatus: false }));
    await stack.waitForRun(run.id, (r) => r.logs.some((l) => l.message === 'Workflow completed: failure'));
    await new Promise((r) => setTimeout(r, 500));
    const r = stack.port.getRun(run.id)!;
    assert.equal(r.status, 'IN_PROGRESS');
    assert.equal(r.statusWrites, 0);
    assert.ok(r.link);
  });

  test('ref from workflowInputs is used and removed from the inputs', async () => {
    const run = await stack.publish(inv('deploy.yml', { workflowInputs: { ref: 'release', service: 'web' } }));
    await stack.waitForRun(run.id, isFinal);
    const d = stack.ghes.dispatches().find((x) => x.inputs.port_run_id === run.id)!;
    // Issue 23: dispatched as the policy reads it, a branch (refs/heads/release), not the bare name.
    assert.equal(d.ref, 'refs/heads/release');
    assert.equal(d.inputs.ref, undefined);
  });

  test('policy refusal: FAILURE naming the policy, never dispatched', async () => {
    stack.ghes.addRepo({ owner: 'acme', name: 'secret-repo', defaultBranch: 'main' });
    const run = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'secret-repo', workflow: 'deploy.yml', workflowInputs: {} });
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'FAILURE');
    assert.match(done.summary ?? '', /not allowed by this agent's policy/);
    assert.equal(stack.ghes.dispatches().filter((d) => d.repo === 'secret-repo').length, 0);
  });

  test('unknown workflow (404) and missing required input (422) → FAILURE with the cause', async () => {
    const missing = await stack.publish(inv('nope.yml'));
    const bad = await stack.publish(inv('needs-env.yml', { workflowInputs: {} }));
    const m = await stack.waitForRun(missing.id, isFinal);
    const b = await stack.waitForRun(bad.id, isFinal);
    assert.equal(m.status, 'FAILURE');
    assert.match(m.summary ?? '', /not found/i);
    assert.equal(b.status, 'FAILURE');
    assert.match(b.summary ?? '', /environment/);
  });

  test('bad signature, malformed and unrelated messages: counted, the loop goes on', async () => {
    const forged = await stack.publish(inv('deploy.yml'), { tamper: true });
    await stack.publishRaw('this is not json');
    // Port signs what it publishes, unrelated messages too: with signature.mode required (the
    // default), an unsigned one would be refused before it is read (issue 23).
    await stack.publishRaw(
      signRunMessage(
        { context: { runId: 'r_unrelated12345' }, payload: { action: { invocationMethod: { type: 'WEBHOOK', url: 'https://x' } } } },
        stack.port.clientSecret,
      ),
    );
    const after = await stack.publish(inv('deploy.yml'));
    assert.equal((await stack.waitForRun(after.id, isFinal)).status, 'SUCCESS');
    // Issue 23: a forged message writes nothing to the run it names; it is logged and counted.
    const line = await waitFor('the forged message logged', () =>
      agent.lines().find((l) => l.runId === forged.id && /message refused/.test(String(l.message))),
    );
    assert.match(String(line.message), /X-Port-Signature does not match/);
    assert.equal(stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === forged.id).length, 0);
    assert.equal(stack.port.getRun(forged.id)!.status, 'IN_PROGRESS');
    assert.deepEqual(stack.port.getRun(forged.id)!.history, [], 'no write reached the run');
    const text = await agent.metrics();
    assert.ok(metricValue(text, 'ghes_agent_messages_total', { outcome: 'invalid' }) >= 1);
    assert.ok(metricValue(text, 'ghes_agent_messages_total', { outcome: 'skipped' }) >= 1);
    assert.ok(metricValue(text, 'ghes_agent_messages_total', { outcome: 'signature_rejected' }) >= 1);
  });

  test('metrics and health endpoints', async () => {
    const text = await agent.metrics();

    assert.ok(metricValue(text, 'ghes_agent_dispatches_total', { outcome: 'success' }) >= 1);
    assert.ok(
      metricValue(text, 'ghes_agent_github_requests_total', {
        route: '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      }) >= 1,
    );
    assert.equal(metricValue(text, 'ghes_agent_consumer_connected'), 1);
    // The agent process runs on the Node of the tests (make: the image's, .nvmrc; test-compat: each older line).
    assert.equal(
      metricValue(text, 'ghes_agent_build_info', { node_version: process.version }),
      1,
      text.split('\n').find((l) => l.startsWith('ghes_agent_build_info')),
    );
    // Every line the agent wrote is a JSON log line (Node 24 printed a plain-text warning for kafkajs).
    assert.deepEqual(
      agent
        .output()
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('{')),
      [],
    );
    // ...and none at all since kafkajs's 1 ms idle loop is fixed (kafkajs-idle-loop-fix.ts): that
    // warning came from the loop's negative delay, on Node 24 and later.
    assert.deepEqual(
      agent
        .lines()
        .filter((l) => /TimeoutNegativeWarning/.test(String(l.message)))
        .map((l) => l.message),
      [],
    );
    assert.equal((await fetch(`${agent.metricsUrl}/livez`)).status, 200);
    assert.equal((await fetch(`${agent.metricsUrl}/readyz`)).status, 200);
  });
});
