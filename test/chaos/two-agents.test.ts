// Scenario 2: two agents in one consumer group; one is killed with kill -9 under load. Its
// partitions move to the survivor, which resumes their runs; no run is reported twice.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  RUNS,
  dispatched,
  isDone,
  publishRuns,
  report,
  saveLogs,
  startChaosAgent,
  startChaosStack,
  tail,
  verdict,
  waitAllDone,
  waitUntil,
} from './harness.js';

let stack: LocalStack | undefined;
const agents: AgentProcess[] = [];
after(async () => {
  saveLogs('two-agents', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

test('chaos two-agents: one of two replicas killed with kill -9, the other takes its partitions over', async () => {
  stack = await startChaosStack({ partitions: 6 });
  const a = await startChaosAgent(stack);
  const b = await startChaosAgent(stack);
  agents.push(a, b);
  await Promise.all([a.waitReady(), b.waitReady()]);
  // Both must own partitions, or the kill proves nothing.
  const owns = (agent: AgentProcess) => /joined group .* with partitions \[\d/.test(agent.output());
  const deadline = Date.now() + 30_000;
  while (!(owns(a) && owns(b)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.ok(owns(a) && owns(b), `both replicas own partitions:\n${tail(a, b)}`);

  const runs = await publishRuns(stack, RUNS);
  // Kill `a` once it has dispatched a good share of its partitions' runs, with many in flight.
  const dispatchedBy = (agent: AgentProcess) =>
    agent
      .output()
      .split('\n')
      .filter((l) => l.includes('"Dispatched ')).length;
  const share = Math.ceil(RUNS * 0.15);
  const until = Date.now() + 120_000;
  while (dispatchedBy(a) < share && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.ok(dispatchedBy(a) >= share, `replica a dispatched runs before it was killed:\n${tail(a)}`);
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.5), dispatched, 5000);
  const finishedBefore = runs.filter((r) => isDone(stack!.port.getRun(r.id))).length;
  a.proc.kill('SIGKILL');
  await a.waitExit();
  assert.ok(finishedBefore < RUNS, 'the kill landed while runs were still in flight');

  await waitAllDone(stack, runs);
  report('two-agents', verdict(stack, runs), () => tail(b));
});
