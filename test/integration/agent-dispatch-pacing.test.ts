// A burst of runs for one repository is paced under github.maxDispatchesPerRepoPer10s (GitHub
// Actions queues at most 500 runs per 10 s per repository): every run still ends SUCCESS, once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, addSampleRepo, isFinal, startLocalStack } from '../stack/local-stack.js';

describe('dispatch pacing per repository', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, { auth: 'app', overrides: { github: { maxDispatchesPerRepoPer10s: 3 } } });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('seven runs at once, three per 10 s: no window holds more than three dispatches, all SUCCESS', async () => {
    const runs = await Promise.all(
      Array.from({ length: 7 }, () =>
        stack.publish({ type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } }),
      ),
    );
    const done = await Promise.all(runs.map((r) => stack.waitForRun(r.id, isFinal, 60_000)));
    assert.deepEqual(
      done.map((r) => r.status),
      Array(7).fill('SUCCESS'),
    );
    const ids = new Set(runs.map((r) => r.id));
    const at = stack.ghes
      .dispatches()
      .filter((d) => ids.has(String(d.inputs.port_run_id)))
      .map((d) => d.at)
      .sort((a, b) => a - b);
    assert.equal(at.length, 7, 'one dispatch per run');
    for (let i = 3; i < at.length; i++)
      assert.ok(at[i]! - at[i - 3]! >= 9_900, `dispatches ${i - 3} and ${i} only ${at[i]! - at[i - 3]!} ms apart`);
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_limit_reached_total', { limit: 'dispatch_rate' }) >= 4);
  });

  // Issue 24 item 5: a run the budget holds back says so in Port, in Ocean's words (port-ocean
  // 0.56.2 execution_manager.py _execute_run); a run dispatched at once gets no such line.
  test('a run held back by the budget gets "Delayed due to low remaining rate limit" in its log; the first three do not', async () => {
    addSampleRepo(stack.ghes, 'acme', 'paced');
    const runs: Array<{ id: string }> = [];
    for (let i = 0; i < 4; i++)
      runs.push(
        await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'paced', workflow: 'deploy.yml', workflowInputs: { service: 'api' } }),
      );
    const done = await Promise.all(runs.map((r) => stack.waitForRun(r.id, isFinal, 60_000)));
    assert.deepEqual(
      done.map((r) => r.status),
      Array(4).fill('SUCCESS'),
    );
    const delayed = done.filter((r) =>
      r.logs.some((l) => /^Delayed due to low remaining rate limit\. Will attempt to re-run in \d+ seconds$/.test(l.message)),
    );
    assert.equal(delayed.length, 1, 'only the fourth waits for the next 10 s window');
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_rate_limit_delays_total', { intake: 'kafka' }) >= 1);
  });
});
