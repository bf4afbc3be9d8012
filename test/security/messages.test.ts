// The message edge, on the real broker with the agent as a process: signatures required and
// a replay window, the allowlist with ref limits, and the size bounds of messages and inputs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { publishWithTimes, waitFor } from './helpers.js';

const inv = (workflow: string, workflowInputs: Record<string, unknown> = { service: 'api' }) => ({
  type: 'GITHUB' as const,
  org: 'acme',
  repo: 'infra',
  workflow,
  workflowInputs,
});
const RULES = [
  { org: 'acme', repo: 'infra', workflow: 'deploy.yml', refs: ['@default', 'refs/tags/v*'] },
  { org: 'acme', repo: 'infra', workflow: 'fail.yml' },
];

describe('message edge: signatures, policy, sizes', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  const dispatched = (runId: string) => stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === runId);
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, {
      auth: 'app',
      overrides: { signature: { mode: 'required', maxAgeSeconds: 300 }, policy: { allow: RULES }, kafka: { maxMessageBytes: 100_000 } },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  // Issue 23: a message refused by the signature check writes nothing to the run it names (anyone
  // able to write to the topic could name a live run); it is logged and counted.
  test('required mode: an unsigned message is refused, logged with the reason, counted, never dispatched, nothing written to Port', async () => {
    const run = await stack.publish(inv('deploy.yml'), { sign: false });
    const line = await waitFor('the refusal logged with the run id', () =>
      agent.lines().find((l) => l.runId === run.id && /message refused/.test(String(l.message))),
    );
    assert.match(String(line.message), /not signed \(no X-Port-Signature\) and signature\.mode is "required"/);
    assert.equal(dispatched(run.id).length, 0);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_messages_total', { outcome: 'unsigned' }) >= 1);
    const untouched = stack.port.getRun(run.id)!;
    assert.equal(untouched.status, 'IN_PROGRESS');
    assert.deepEqual(untouched.history, [], 'no write reached the run');
  });

  test('a replay (an hour-old signature written to the topic now) is refused, logged, counted, nothing written', async () => {
    const run = await publishWithTimes(stack, inv('deploy.yml'), { signedAtS: Math.floor(Date.now() / 1000) - 3600 });
    const line = await waitFor('the refusal logged with the run id', () =>
      agent.lines().find((l) => l.runId === run.id && /message refused/.test(String(l.message))),
    );
    assert.match(String(line.message), /outside the accepted window of 300s \(signature\.maxAgeSeconds\)/);
    assert.equal(dispatched(run.id).length, 0);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_messages_total', { outcome: 'replayed' }) >= 1);
    assert.deepEqual(stack.port.getRun(run.id)!.history, [], 'no write reached the run');
  });

  // 30 minutes, six times the window: the test broker keeps messages for an hour only.
  test('a backlog message (signed and written 30 minutes ago, consumed now) is processed', async () => {
    const signedAtS = Math.floor(Date.now() / 1000) - 1800;
    const run = await publishWithTimes(stack, inv('deploy.yml'), { signedAtS, writtenAtMs: signedAtS * 1000 + 700 });
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(dispatched(run.id).length, 1);
  });

  test('policy ref limits: the default branch and v* tags pass; another branch is refused naming the rule', async () => {
    const onDefault = await stack.publish(inv('deploy.yml'));
    const onTag = await stack.publish(inv('deploy.yml', { ref: 'refs/tags/v1.0.0' }));
    const onBranch = await stack.publish(inv('deploy.yml', { ref: 'release' }));
    const otherWorkflow = await stack.publish(inv('cancel.yml'));
    const anyRef = await stack.publish(inv('fail.yml', { ref: 'release' }));
    assert.equal((await stack.waitForRun(onDefault.id, isFinal)).status, 'SUCCESS');
    assert.equal((await stack.waitForRun(onTag.id, isFinal)).status, 'SUCCESS');
    assert.equal(dispatched(onTag.id)[0]?.ref, 'refs/tags/v1.0.0');
    const refused = await stack.waitForRun(onBranch.id, isFinal);
    assert.equal(refused.status, 'FAILURE');
    assert.match(
      refused.summary ?? '',
      /ref release of acme\/infra workflow deploy\.yml is refused by rule acme\/infra\/deploy\.yml refs \[@default, refs\/tags\/v\*\]/,
    );
    const noRule = await stack.waitForRun(otherWorkflow.id, isFinal);
    assert.equal(noRule.status, 'FAILURE');
    assert.match(noRule.summary ?? '', /acme\/infra workflow cancel\.yml matches no rule of policy\.allow/);
    // A rule without refs allows every ref (fail.yml runs and fails on its own).
    const free = await stack.waitForRun(anyRef.id, isFinal);
    // Issue 23: dispatched as the policy reads it, a branch (refs/heads/release), not the bare name.
    assert.equal(dispatched(anyRef.id)[0]?.ref, 'refs/heads/release');
    assert.match(free.summary ?? '', /completed: failure/);
    assert.equal(dispatched(onBranch.id).length + dispatched(otherWorkflow.id).length, 0);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_messages_total', { outcome: 'policy_denied' }) >= 2);
  });

  test('a message over kafka.maxMessageBytes is refused unparsed, logged, counted; the agent goes on', async () => {
    const big = await stack.publish(inv('deploy.yml', { service: 'x'.repeat(120_000) }));
    const next = await stack.publish(inv('deploy.yml'));
    assert.equal((await stack.waitForRun(next.id, isFinal)).status, 'SUCCESS');
    const text = await waitFor('the limit metric', async () => {
      const t = await agent.metrics();
      return metricValue(t, 'ghes_agent_limit_reached_total', { limit: 'message_bytes' }) >= 1 && t;
    });
    assert.ok(metricValue(text, 'ghes_agent_messages_total', { outcome: 'invalid' }) >= 1);
    assert.ok(
      agent.lines().some((l) => /exceeds kafka\.maxMessageBytes \(100000\)/.test(String(l.message))),
      'logged with the setting',
    );
    assert.equal(dispatched(big.id).length, 0);
    assert.equal(agent.proc.exitCode, null);
  });

  test("inputs over GitHub's 65,535 characters: FAILURE naming the largest input, never dispatched", async () => {
    const run = await stack.publish(inv('deploy.yml', { service: 'y'.repeat(66_000) }));
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'FAILURE');
    assert.match(done.summary ?? '', /over GitHub's limit of 65535; the largest is "service" \(66000 characters\)/);
    assert.equal(dispatched(run.id).length, 0);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_dispatches_total', { outcome: 'failure', reason: 'inputs' }) >= 1);
  });
});
