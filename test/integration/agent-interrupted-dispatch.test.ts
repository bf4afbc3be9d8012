// A dispatch POST that took effect but whose answer was lost (a 502 after the fact, a dropped
// connection), on a GHES that lists new runs only seconds after creating them (issue 12,
// item 3): the agent keeps looking for github.correlationTimeoutSeconds, finds the run, and
// never POSTs a second time. Real broker, GHES simulator, the agent as a process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const DISPATCH = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };

for (const version of ['3.21.0', '3.19.0']) {
  describe(`interrupted dispatch on GHES ${version}, runs listed 4 s after they exist`, () => {
    let stack: LocalStack;
    let agent: AgentProcess;
    const runsFor = (runId: string) => stack.ghes.runs().filter((r) => r.inputs.port_run_id === runId);
    before(async () => {
      stack = await startLocalStack({ ghes: { version, listLagMs: 4000 } });
      agent = await startAgentProcess(stack, { auth: 'app' });
      await agent.waitReady();
      // One run first, so the workflow's recent runs show that its run-name carries run ids.
      const warm = await stack.publish(deploy);
      await stack.waitForRun(warm.id, isFinal, 60_000);
    });
    after(async () => {
      await agent?.stop();
      await stack?.close();
    });

    for (const [what, fault] of [
      ['answered 502 after it took effect', { kind: 'status', status: 502 }],
      ['connection dropped after it took effect', { kind: 'reset' }],
    ] as const) {
      test(`${what}: the run is found once listed; one workflow run, SUCCESS`, async () => {
        const remove = stack.ghes.fault({ route: DISPATCH, when: 'after', count: 1, ...fault });
        const run = await stack.publish(deploy);
        const done = await stack.waitForRun(run.id, isFinal, 60_000);
        remove();
        assert.equal(done.status, 'SUCCESS', done.summary);
        assert.equal(runsFor(run.id).length, 1, 'exactly one workflow run');
        assert.equal(stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === run.id).length, 1, 'one POST');
      });
    }
  });
}

// The same on a restart: the agent is killed while its dispatch POST has taken effect but not
// been answered, and the replacement finds the run labelled "Dispatching" in Port. GitHub lists
// the run only 25 s after it exists, later than the replacement starts and gets the partition
// (10 s session timeout): it must keep looking (until correlationTimeoutSeconds after the label)
// rather than dispatch a second run.
describe('a dispatch interrupted by a crash, runs listed 25 s after they exist', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  const overrides = { github: { correlationTimeoutSeconds: 45 } };
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    const agent = await startAgentProcess(stack, { auth: 'app', overrides });
    agents.push(agent);
    await agent.waitReady();
    const warm = await stack.publish(deploy);
    await stack.waitForRun(warm.id, isFinal, 60_000);
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  test('killed between the POST taking effect and its answer: the replacement finds the run; one workflow run, SUCCESS', async () => {
    stack.ghes.setRunTiming({ listLagMs: 25_000 });
    // The POST takes effect, then its answer hangs: the agent is killed meanwhile.
    const remove = stack.ghes.fault({ route: DISPATCH, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 });
    const run = await stack.publish(deploy);
    const posted = Date.now();
    while (!stack.ghes.dispatches().some((d) => d.inputs.port_run_id === run.id)) {
      assert.ok(Date.now() - posted < 60_000, 'the dispatch never reached GHES');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(stack.port.getRun(run.id)?.statusLabel, 'Dispatching workflow');
    agents[0]!.kill();
    await agents[0]!.waitExit();
    remove();
    const replacement = await startAgentProcess(stack, { auth: 'app', overrides });
    agents.push(replacement);
    await replacement.waitReady();
    const done = await stack.waitForRun(run.id, isFinal, 120_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(runsFor(run.id).length, 1, 'exactly one workflow run');
    assert.equal(stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === run.id).length, 1, 'one POST');
  });

  const runsFor = (runId: string) => stack.ghes.runs().filter((r) => r.inputs.port_run_id === runId);
});
