// GHES 3.19 has no return_run_details: the agent finds its runs by run-name, or by the
// serialized newest-run fallback when a workflow has none. Token auth here (the App in agent-e2e).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

describe('agent on GHES 3.19 with a personal access token', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' } });
    agent = await startAgentProcess(stack, { auth: 'token' });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('never sends return_run_details; correlates several concurrent runs by run-name', async () => {
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        stack.publish({ type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } }),
      ),
    );
    for (const run of runs) {
      const done = await stack.waitForRun(run.id, isFinal);
      assert.equal(done.status, 'SUCCESS');
      const ghRun = stack.ghes.runs().find((r) => String(done.link).endsWith(`/actions/runs/${r.id}`));
      assert.ok(ghRun, `no GHES run behind ${String(done.link)}`);
      assert.ok(ghRun.displayTitle.includes(run.id), `run ${ghRun.id} titled "${ghRun.displayTitle}" linked to ${run.id}`);
    }
    assert.ok(stack.ghes.dispatches().every((d) => !d.returnRunDetails));
    assert.ok(agent.output().includes('runs found by correlation'));
  });

  test('a workflow without run-name: the run id input is dropped and the newest new run is taken, serialized', async () => {
    const a = await stack.publish({
      type: 'GITHUB',
      org: 'acme',
      repo: 'infra',
      workflow: 'no-run-name.yml',
      workflowInputs: { service: 'a' },
    });
    const b = await stack.publish({
      type: 'GITHUB',
      org: 'acme',
      repo: 'infra',
      workflow: 'no-run-name.yml',
      workflowInputs: { service: 'b' },
    });
    const [da, db] = [await stack.waitForRun(a.id, isFinal), await stack.waitForRun(b.id, isFinal)];
    assert.equal(da.status, 'SUCCESS');
    assert.equal(db.status, 'SUCCESS');
    assert.notEqual(da.link, db.link, 'two Port runs must not share one GitHub run');
    const sims = stack.ghes.runs();
    for (const [port, service] of [
      [da, 'a'],
      [db, 'b'],
    ] as const) {
      const gh = sims.find((r) => String(port.link).endsWith(`/actions/runs/${r.id}`))!;
      assert.equal(gh.inputs.service, service, 'each Port run is linked to the run dispatched with its own inputs');
    }
    const accepted = stack.ghes.dispatches().filter((d) => d.workflowPath?.endsWith('no-run-name.yml') && d.status === 204);
    assert.equal(accepted.length, 2);
    assert.ok(accepted.every((d) => d.inputs.port_run_id === undefined));
  });
});
