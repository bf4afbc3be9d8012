// A GHES appliance whose clock disagrees with the agent's host (issue 12, item 4). App JWTs are
// checked against the appliance's clock with no leeway, and run look-ups compare created_at (the
// appliance's clock) with a window start. Real broker, GHES simulator with a clock offset.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };
const DISPATCH = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';

for (const [what, offsetMs] of [
  ['ten minutes behind', -600_000],
  ['ten minutes ahead', 600_000],
] as const) {
  describe(`GHES's clock ${what} the agent's`, () => {
    let stack: LocalStack;
    let agent: AgentProcess;
    before(async () => {
      stack = await startLocalStack({ ghes: { version: '3.19.0', clockOffsetMs: offsetMs } });
      agent = await startAgentProcess(stack, { auth: 'app' });
      await agent.waitReady();
    });
    after(async () => {
      await agent?.stop();
      await stack?.close();
    });

    test("JWTs are made on GHES's clock: no App request is refused; the skew is measured, exported and named", async () => {
      const run = await stack.publish(deploy);
      const done = await stack.waitForRun(run.id, isFinal);
      assert.equal(done.status, 'SUCCESS', done.summary);
      // auth-app alone gets a 401 for every JWT it makes (then retries with the skew it read).
      const jwtRequests = stack.ghes.requests().filter((r) => r.auth === 'jwt');
      assert.ok(jwtRequests.length >= 2, 'installation look-up and token');
      assert.deepEqual(
        jwtRequests.filter((r) => r.status === 401).map((r) => `${r.method} ${r.path}`),
        [],
        'no JWT refused',
      );
      const skew = metricValue(await agent.metrics(), 'ghes_agent_github_clock_skew_seconds');
      assert.ok(Math.abs(skew - offsetMs / 1000) <= 2, `skew ${skew}`);
      const warning = agent.lines().find((l) => /GHES's clock is \d+ s (behind|ahead of) this host's/.test(String(l.message)));
      assert.ok(warning, 'the skew is named in a warning');
    });

    test("a dispatch answered 502 after it took effect: its run is found on GHES's clock, never dispatched twice", async () => {
      const remove = stack.ghes.fault({ route: DISPATCH, kind: 'status', status: 502, when: 'after', count: 1 });
      const run = await stack.publish(deploy);
      const done = await stack.waitForRun(run.id, isFinal, 60_000);
      remove();
      assert.equal(done.status, 'SUCCESS', done.summary);
      assert.equal(stack.ghes.runs().filter((r) => r.inputs.port_run_id === run.id).length, 1, 'one workflow run');
    });
  });
}
