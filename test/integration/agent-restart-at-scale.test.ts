// Issue 15: a restart with many runs in flight costs almost nothing. 90 runs over 3 repositories
// are tracked by one agent; it gets SIGTERM and a successor starts. The successor's resumption is
// counted from the simulators' records, not timed: no Port read per redelivered message (their
// GitHub runs are found by one list of each repository, by run-name), no GitHub GET per run, no
// second dispatch, and every run ends with one final status. Real broker, both simulators,
// agent processes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';

const REPOS = ['svc-0', 'svc-1', 'svc-2'];
const PER_REPO = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a restart with 90 runs in flight', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    for (const name of REPOS) {
      stack.ghes.addRepo({ owner: 'acme', name, defaultBranch: 'main' });
      stack.ghes.addWorkflow('acme', name, {
        path: 'long.yml',
        runName: RUN_NAME,
        inputs: { port_run_id: { required: false } },
        script: { conclusion: 'success', queuedMs: 500, durationMs: 45_000 },
      });
    }
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  const inFlight = async (a: AgentProcess) => metricValue(await a.metrics(), 'ghes_agent_runs_in_flight');
  async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  test('the successor resumes every run from three repository lists: no Port read, no GitHub GET, no dispatch per run', async () => {
    const first = await startAgentProcess(stack, { auth: 'app' });
    agents.push(first);
    await first.waitReady();
    const runs: Array<{ id: string }> = [];
    for (const repo of REPOS)
      for (let i = 0; i < PER_REPO; i++) runs.push(await stack.publish({ type: 'GITHUB', org: 'acme', repo, workflow: 'long.yml' }));
    const ids = new Set(runs.map((r) => r.id));
    await until(
      'every run dispatched and tracked',
      async () => runs.every((r) => typeof stack.port.getRun(r.id)?.link === 'string') && (await inFlight(first)) >= runs.length,
    );

    assert.equal(await first.stop(), 0);
    const portBefore = stack.port.requests().length;
    const ghesBefore = stack.ghes.requests().length;
    const successor = await startAgentProcess(stack, { auth: 'app' });
    agents.push(successor);
    await successor.waitReady();
    await until('every run tracked by the successor', async () => (await inFlight(successor)) >= runs.length);
    // A few poll intervals of steady tracking, to see that nothing per run follows either.
    await sleep(3000);

    const portReads = stack.port
      .requests()
      .slice(portBefore)
      .filter((r) => r.method === 'GET' && ids.has(/\/v1\/actions\/runs\/([^/?]+)/.exec(r.path)?.[1] ?? ''));
    const ghes = stack.ghes.requests().slice(ghesBefore);
    const perRun = ghes.filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs/{run_id}');
    const lists = ghes.filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs');
    const dispatches = ghes.filter((r) => r.method === 'POST' && /dispatches$/.test(r.path));
    assert.equal(portReads.length, 0, `Port reads of resumed runs: ${portReads.length}`);
    assert.equal(perRun.length, 0, `GitHub GETs of single runs: ${perRun.length}`);
    assert.equal(
      ghes.filter((r) => r.route === 'GET /repos/{owner}/{repo}').length,
      0,
      'no repository read: the list entries name their repository',
    );
    assert.equal(dispatches.length, 0, 'nothing dispatched again');
    // Per repository: the locator's list and the watcher's few polls, whatever the runs per repository.
    assert.ok(lists.length <= REPOS.length * 6, `repository lists: ${lists.length}`);

    for (const r of runs) {
      const done = await stack.waitForRun(r.id, isFinal, 120_000);
      assert.equal(done.status, 'SUCCESS', done.summary);
      assert.equal(done.statusWrites, 1);
      assert.equal(typeof done.link, 'string');
    }
    assert.equal(stack.ghes.dispatches().filter((d) => d.status < 300).length, runs.length, 'one dispatch per run');
  });
});
