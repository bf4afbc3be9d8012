// Resource bounds on the real stack: with limits.maxInflightRuns and limits.maxQueuedReports
// reached, the agent stops taking messages (they wait in Kafka), logs and counts it, and
// finishes every run once the work in hand shrinks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { waitFor } from './helpers.js';

const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };

describe('resource bounds', () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
  });
  after(async () => stack?.close());

  test('limits.maxInflightRuns 1: runs one after another, the bound logged and counted', async () => {
    const agent = await startAgentProcess(stack, { overrides: { limits: { maxInflightRuns: 1 } } });
    try {
      await agent.waitReady();
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await stack.publish(deploy));
      for (const r of runs) assert.equal((await stack.waitForRun(r.id, isFinal, 60_000)).status, 'SUCCESS');
      const ours = new Set(runs.map((r) => r.id));
      const gh = stack.ghes
        .runs()
        .filter((r) => ours.has(String(r.inputs.port_run_id)))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      assert.equal(gh.length, 3);
      for (let i = 1; i < gh.length; i++) {
        assert.ok(
          gh[i]!.createdAt >= gh[i - 1]!.updatedAt,
          `run ${i} started ${gh[i]!.createdAt} before run ${i - 1} ended ${gh[i - 1]!.updatedAt}`,
        );
      }
      assert.ok(metricValue(await agent.metrics(), 'ghes_agent_limit_reached_total', { limit: 'inflight_runs' }) >= 1);
      assert.ok(agent.lines().some((l) => l.level === 'warn' && /limits\.maxInflightRuns \(1\) reached/.test(String(l.message))));
    } finally {
      await agent.stop();
    }
  });

  test('limits.maxQueuedReports: intake pauses while Port refuses reports; every run still ends', async () => {
    const agent = await startAgentProcess(stack, { overrides: { limits: { maxQueuedReports: 10 } } });
    try {
      await agent.waitReady();
      const remove = stack.port.fault({ route: /\/logs$/, method: 'POST', kind: 'outage', durationMs: 8000 });
      const runs = [];
      for (let i = 0; i < 6; i++) runs.push(await stack.publish(deploy));
      await waitFor('10 queued reports', async () => metricValue(await agent.metrics(), 'ghes_agent_port_reports_pending') >= 10, 20_000);
      for (let i = 0; i < 2; i++) runs.push(await stack.publish(deploy));
      await waitFor(
        'the queued-reports bound',
        async () => metricValue(await agent.metrics(), 'ghes_agent_limit_reached_total', { limit: 'queued_reports' }) >= 1,
        10_000,
      );
      for (const r of runs) assert.equal((await stack.waitForRun(r.id, isFinal, 90_000)).status, 'SUCCESS');
      remove();
      assert.ok(agent.lines().some((l) => /limits\.maxQueuedReports \(10\) reached/.test(String(l.message))));
      assert.equal(agent.proc.exitCode, null);
    } finally {
      await agent.stop();
    }
  });
});
