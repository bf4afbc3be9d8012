// Issue 15, the HTTPS intake: a rolling update with many claimed runs in flight costs nearly
// nothing in Port and GitHub requests. Two agents (room for 75 runs each, so both hold some) claim and track 120 runs (one in six a
// workflow-node run) over 3 repositories; one gets SIGTERM and a successor starts. Counted from
// the simulators' records, not timed: the leaving agent writes one hand-over per run it holds and
// reads nothing; taking them over costs one take-over (the hand-over's lock run: a read, a write,
// a read) and the lists, not a read or write per run; no GitHub GET per run, nothing dispatched
// again; each run is tracked by exactly one agent and ends with one final status. Real agent
// processes, both simulators.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';

const REPOS = ['svc-0', 'svc-1', 'svc-2'];
const COUNT = 120;
/** Job progress's budget per agent: far fewer than a jobs list per run per sweep (issue 15). */
const JOB_READS_PER_MINUTE = 30;
/** Leases far beyond the test: every take-over here is a hand-over's, none a lease's. */
const HTTPS = {
  kafka: { enabled: false },
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 30_000, leaseSeconds: 600, rediscoveryIntervalSeconds: 5 },
  limits: { maxInflightRuns: 75 },
  insight: { jobReadsPerMinute: JOB_READS_PER_MINUTE },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The label a PATCH writes: an action run's statusLabel, a node run's statusLabel.text (as Ocean sends it). */
const labelOf = (body: unknown) => {
  const b = body as { statusLabel?: unknown } | undefined;
  const label = b?.statusLabel;
  return String(typeof label === 'object' && label !== null ? (label as { text?: unknown }).text : (label ?? ''));
};
const RUN_PATH = /^\/v1\/(?:actions\/runs|workflows\/nodes\/runs)\/((?:r|wfnr)_[A-Za-z0-9_-]+)$/;

describe('a rolling update of the HTTPS intake with 120 claimed runs in flight', () => {
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
        script: { conclusion: 'success', queuedMs: 500, durationMs: 60_000 },
      });
    }
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  const inFlight = async (a: AgentProcess) => metricValue(await a.metrics(), 'ghes_agent_runs_in_flight');
  async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) {
        const said = agents
          .map((a) =>
            a
              .output()
              .split('\n')
              .filter((l) => /take|took|hand-over|orphan/i.test(l))
              .slice(-8)
              .join('\n'),
          )
          .join('\n');
        throw new Error(`${what}: not within ${timeoutMs / 1000} s; the agents said:\n${said}`);
      }
      await sleep(250);
    }
  }

  test('one hand-over write per run, one take-over in all, no Port or GitHub request per run to resume them', async () => {
    const start = async () => {
      const a = await startAgentProcess(stack, { auth: 'app', overrides: HTTPS });
      agents.push(a);
      await a.waitReady();
      return a;
    };
    const [a, b] = [await start(), await start()];
    const runs = Array.from({ length: COUNT }, (_, i) =>
      stack.createIntegrationRun(
        { org: 'acme', repo: REPOS[i % REPOS.length]!, workflow: 'long.yml' },
        { kind: i % 6 === 5 ? 'workflow-node' : 'action', actionIdentifier: `action_${i % 4}` },
      ),
    );
    const ids = new Set(runs.map((r) => r.id));
    await until(
      'every run dispatched and tracked',
      async () =>
        runs.every((r) => stack.port.getRun(r.id)?.pendingExecution === false && stack.port.getRun(r.id)?.externalRunId) &&
        (await inFlight(a)) + (await inFlight(b)) >= COUNT,
    );
    const heldByA = await inFlight(a);
    assert.ok(heldByA > 0, 'the agent that stops holds runs');

    const stopAt = stack.port.requests().length;
    assert.equal(await a.stop(), 0);
    const stopping = stack.port.requests().slice(stopAt);
    const handOvers = stopping.filter((r) => r.method === 'PATCH' && labelOf(r.body).startsWith('Handed over'));
    assert.equal(handOvers.length, heldByA, `one hand-over write per run it held (${handOvers.length} for ${heldByA})`);
    assert.equal(
      stopping.filter((r) => r.method === 'GET' && ids.has(RUN_PATH.exec(r.path)?.[1] ?? '')).length,
      0,
      'no reads at the hand-over',
    );
    const lock = /\(hand-over ((?:r|wfnr)_[A-Za-z0-9_-]+)\)/.exec(labelOf(handOvers[0]!.body))?.[1];
    assert.ok(lock && ids.has(lock), 'every run names one of them as the lock');

    const portBefore = stack.port.requests().length;
    const ghesBefore = stack.ghes.requests().length;
    const windowStart = Date.now();
    const successor = await start();
    await until(
      'every run tracked again',
      async () => (await inFlight(successor)) + (await inFlight(b)) >= runs.filter((r) => !isFinal(stack.port.getRun(r.id)!)).length,
    );
    await sleep(6000); // another rediscovery of each agent: nothing more is taken over

    const port = stack.port.requests().slice(portBefore);
    const aboutRuns = port.filter((r) => ids.has(RUN_PATH.exec(r.path)?.[1] ?? ''));
    const reads = aboutRuns.filter((r) => r.method === 'GET');
    const takeOverWrites = aboutRuns.filter(
      (r) => r.method === 'PATCH' && labelOf(r.body).startsWith('Workflow dispatched (taken over by '),
    );
    assert.ok(
      takeOverWrites.length <= 2 && takeOverWrites.every((r) => r.path.endsWith(lock)),
      `take-over writes: the lock's only (${takeOverWrites.map((r) => r.path).join(', ')})`,
    );
    assert.ok(reads.length <= 4, `run reads: the lock's only (${reads.length})`);
    const ghes = stack.ghes.requests().slice(ghesBefore);
    assert.equal(ghes.filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs/{run_id}').length, 0, 'no GitHub GET per run');
    // Job progress: each of the two live agents reads jobs lists within its budget (bursts of
    // ten seconds' worth), not one per run per sweep, nor one per resumed run at once.
    const windowMin = (Date.now() - windowStart) / 60_000;
    const jobLists = ghes.filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs').length;
    const budget = 2 * (Math.ceil(JOB_READS_PER_MINUTE / 6) + JOB_READS_PER_MINUTE * windowMin) + 2;
    assert.ok(
      jobLists <= budget,
      `jobs lists while resuming: ${jobLists} in ${(windowMin * 60).toFixed(0)} s, budget ${budget.toFixed(0)}`,
    );
    assert.equal(ghes.filter((r) => r.method === 'POST' && /dispatches$/.test(r.path)).length, 0, 'nothing dispatched again');
    // Besides the claim polls (every 0.2 s here, with or without a restart) and the runs' log lines.
    const rest = port.filter((r) => !r.route.endsWith('claim-pending') && !r.route.endsWith('/logs'));
    const byRoute = [
      ...rest.reduce((m, r) => m.set(`${r.method} ${r.route}`, (m.get(`${r.method} ${r.route}`) ?? 0) + 1), new Map<string, number>()),
    ];
    assert.ok(rest.length < COUNT / 4, `Port requests while resuming: ${rest.length} for ${COUNT} runs (${JSON.stringify(byRoute)})`);

    for (const r of runs) {
      const done = await stack.waitForRun(r.id, isFinal, 180_000);
      assert.equal(done.status, 'SUCCESS', done.summary);
      assert.equal(done.statusWrites, 1, `${r.id}: one final status`);
    }
    assert.equal(stack.ghes.dispatches().filter((d) => d.status < 300).length, COUNT, 'one dispatch per run');
  });
});
