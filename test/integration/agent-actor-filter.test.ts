// GHES < 3.21 and a workflow without a run-name: the agent finds its run as the single new run
// on the ref after its dispatch. A person dispatching the same workflow at the same moment used to
// make that "ambiguous" (FAILURE in Port while the GHES run went on untracked). The run lists are
// now filtered by the actor the agent dispatches as: the App's bot (`<slug>[bot]`, GET /app) or
// the token's user (GET /user). Issue 12, item 5. Real broker, GHES simulator, agent process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentAuth, type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const noRunName = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'no-run-name.yml', workflowInputs: { service: 'api' } };

for (const auth of ['app', 'token'] as AgentAuth[]) {
  describe(`correlation without a run-name, authenticated as ${auth === 'app' ? 'a GitHub App' : 'a token'}`, () => {
    let stack: LocalStack;
    let agent: AgentProcess;
    before(async () => {
      stack = await startLocalStack({ ghes: { version: '3.19.0' } });
      agent = await startAgentProcess(stack, { auth });
      await agent.waitReady();
    });
    after(async () => {
      await agent?.stop();
      await stack?.close();
    });

    test('a person dispatches the same workflow on the same ref at the same moment: the agent tracks its own run', async () => {
      // Whenever the agent dispatches, alice does too, in the same instant.
      const off = stack.ghes.onDispatch((d) => {
        if (d.workflowPath?.endsWith('no-run-name.yml') && d.actor !== 'alice')
          stack.ghes.addRuns({ owner: 'acme', repo: 'infra', workflow: 'no-run-name.yml', actor: 'alice', ref: d.ref });
      });
      try {
        const run = await stack.publish(noRunName);
        const done = await stack.waitForRun(run.id, isFinal, 60_000);
        assert.equal(done.status, 'SUCCESS', done.summary);
        const mine = stack.ghes.runs().filter((r) => r.workflowPath.endsWith('no-run-name.yml') && r.actor !== 'alice');
        const hers = stack.ghes.runs().filter((r) => r.actor === 'alice');
        assert.equal(mine.length, 1);
        assert.equal(hers.length, 1, "the person's run was there to confuse it");
        assert.equal(done.link, `${stack.ghes.origin}/acme/infra/actions/runs/${mine[0]!.id}`, "Port links the agent's run");
        const expectedActor = auth === 'app' ? `${stack.ghes.app.slug}[bot]` : 'port-bot';
        assert.equal(mine[0]!.actor, expectedActor);
      } finally {
        off();
      }
    });
  });
}
