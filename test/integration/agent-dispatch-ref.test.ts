// Issue 23, item 5 (the dispatched ref): the policy reads a short ref "main" as refs/heads/main,
// so the agent dispatches refs/heads/main, not "main" (which GHES may resolve to a tag of that
// name: GitHub does not document which it picks; the simulator, as git, picks the tag). The run is
// still found by correlation on GHES < 3.21, by run-name and, without one, by the branch filter
// (the short name), and tracked to its end. A refs/tags/… ref stays a tag; a short name that is
// only a tag is now refused by GHES, with a message saying how to ask for the tag.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';

describe('the dispatched ref is the fully qualified ref the policy approved (issue 23)', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' } });
    // A branch and a tag both named main, as anyone with write access can push.
    stack.ghes.addRepo({ owner: 'acme', name: 'twin', defaultBranch: 'main', branches: ['main'], tags: ['main', 'v2'] });
    const inputs = { port_run_id: { required: false }, service: { required: false } };
    const script = { conclusion: 'success' as const, queuedMs: 200, durationMs: 800 };
    stack.ghes.addWorkflow('acme', 'twin', { path: 'deploy.yml', runName: RUN_NAME, inputs, script });
    stack.ghes.addWorkflow('acme', 'twin', { path: 'plain.yml', inputs, script });
    agent = await startAgentProcess(stack, {
      overrides: { policy: { allow: [{ org: 'acme', repo: 'twin', refs: ['main', 'refs/tags/v*'] }] } },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  const dispatchesOf = (runId: string) => stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === runId);
  const inv = (workflow: string, workflowInputs: Record<string, unknown> = {}) => ({
    type: 'GITHUB' as const,
    org: 'acme',
    repo: 'twin',
    workflow,
    workflowInputs,
  });

  test('"main" (and the default branch) is dispatched as refs/heads/main and runs the branch; the run is correlated by run-name and tracked', async () => {
    for (const workflowInputs of [{ ref: 'main' }, {}]) {
      const run = await stack.publish(inv('deploy.yml', workflowInputs));
      const done = await stack.waitForRun(run.id, isFinal, 60_000);
      assert.equal(done.status, 'SUCCESS', done.summary);
      const sent = dispatchesOf(run.id);
      assert.deepEqual(
        sent.map((d) => [d.ref, d.resolvedRef, d.status]),
        [['refs/heads/main', 'refs/heads/main', 204]],
      );
      const gh = stack.ghes.runs().find((r) => r.id === sent[0]!.runId)!;
      assert.equal(gh.headBranch, 'main');
      assert.match(String(done.link), new RegExp(`/acme/twin/actions/runs/${gh.id}$`), 'Port links the run the dispatch created');
    }
  });

  test('without a run-name the run is still found by the branch filter (the short name)', async () => {
    const run = await stack.publish(inv('plain.yml', { ref: 'main' }));
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const sent = stack.ghes.dispatches().filter((d) => d.repo === 'twin' && d.workflowPath?.endsWith('plain.yml'));
    assert.deepEqual(
      sent.map((d) => [d.ref, d.resolvedRef]),
      [['refs/heads/main', 'refs/heads/main']],
    );
    assert.match(String(done.link), new RegExp(`/acme/twin/actions/runs/${sent[0]!.runId}$`));
  });

  test('refs/tags/v2 stays a tag; a short name that is only a tag is refused by GHES, and the message says how to ask for the tag', async () => {
    const tagged = await stack.publish(inv('deploy.yml', { ref: 'refs/tags/v2' }));
    assert.equal((await stack.waitForRun(tagged.id, isFinal, 60_000)).status, 'SUCCESS');
    assert.deepEqual(
      dispatchesOf(tagged.id).map((d) => [d.ref, d.resolvedRef]),
      [['refs/tags/v2', 'refs/tags/v2']],
    );
    // The policy allows "v2"? No rule names it: "main" and refs/tags/v* only. A short name the
    // policy does allow, but which exists only as a tag, is dispatched as a branch and refused.
    stack.ghes.addRepo({ owner: 'acme', name: 'tags-only', defaultBranch: 'trunk', branches: ['trunk'], tags: ['main'] });
    stack.ghes.addWorkflow('acme', 'tags-only', { path: 'deploy.yml', runName: RUN_NAME, inputs: { port_run_id: { required: false } } });
    await agent.stop();
    agent = await startAgentProcess(stack);
    await agent.waitReady();
    const short = await stack.publish({
      type: 'GITHUB',
      org: 'acme',
      repo: 'tags-only',
      workflow: 'deploy.yml',
      workflowInputs: { ref: 'main' },
    });
    const refused = await stack.waitForRun(short.id, isFinal, 60_000);
    assert.equal(refused.status, 'FAILURE');
    assert.match(
      refused.summary ?? '',
      /there is no branch main: a short ref is dispatched as the branch refs\/heads\/main, as the policy reads it; to run a tag, set workflowInputs\.ref to refs\/tags\/main \(.*No ref found for: refs\/heads\/main/,
    );
  });
});
