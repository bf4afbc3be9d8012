// A run tracked in a repository where more than 1,000 other dispatched runs were created after it
// (issue 12, item 7). GitHub's filtered run lists reach 1,000 results and say total_count 1,000:
// the agent's run is out of their reach, so the agent follows it with per-run conditional GETs.
// Before, reading the ten pages of 1,000 made it believe every match was shown: the completion
// was never seen. Real broker, GHES simulator (1,000-result cap as GitHub), agent process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';

describe('a long run buried under 1,100 newer runs of other people', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    stack.ghes.addWorkflow('acme', 'infra', {
      path: 'long.yml',
      runName: RUN_NAME,
      inputs: { port_run_id: { required: false }, service: { required: false } },
      script: { conclusion: 'success', queuedMs: 500, durationMs: 12_000 },
    });
    agent = await startAgentProcess(stack, { auth: 'app' });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('its completion is seen (per-run GETs past the cap) and reported SUCCESS', async () => {
    const run = await stack.publish({
      type: 'GITHUB',
      org: 'acme',
      repo: 'infra',
      workflow: 'long.yml',
      workflowInputs: { service: 'api' },
    });
    await stack.waitForRun(run.id, (r) => typeof r.link === 'string');
    await new Promise((r) => setTimeout(r, 1000));
    // Finished at once: they fill the completed list and the all-status list alike.
    stack.ghes.addRuns({
      owner: 'acme',
      repo: 'infra',
      workflow: 'deploy.yml',
      count: 1100,
      actor: 'alice',
      script: { conclusion: 'success', queuedMs: 0, durationMs: 0 },
    });
    const done = await stack.waitForRun(run.id, isFinal, 45_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const ghRun = stack.ghes.runs().find((r) => r.inputs.port_run_id === run.id)!;
    const gets = stack.ghes
      .requests()
      .filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs/{run_id}' && r.path.endsWith(`/${ghRun.id}`));
    assert.ok(gets.length >= 1, 'followed with per-run GETs');
  });
});
