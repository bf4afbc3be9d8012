// port-api scenario 2: two replicas claim from the same installation, and one is killed with
// kill -9 under load. The survivor gets the dead one's unacknowledged runs from later claims
// and takes its acknowledged ones over once their lease runs out; no run is dispatched or
// reported twice, though both replicas compete for every claim.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import { metricValue } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  PORT_API_ONLY,
  RUNS,
  createIntegrationRuns,
  dispatched,
  isDone,
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
  saveLogs('port-api-two-agents', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

test('chaos port-api-two-agents: one of two claiming replicas killed with kill -9, the other finishes its runs', async () => {
  stack = await startChaosStack();
  // Each replica has room for 120 of the 200 runs: a full batch is followed by the next claim at
  // once, so without a bound the first replica to see the runs could claim them all and leave
  // the other nothing to do (then which replica works is chance, and the kill may hit an idle one).
  const shared = { ...PORT_API_ONLY, limits: { maxInflightRuns: 120 } };
  const a = await startChaosAgent(stack, shared);
  const b = await startChaosAgent(stack, shared);
  agents.push(a, b);
  await Promise.all([a.waitReady(), b.waitReady()]);
  const runs = createIntegrationRuns(stack, RUNS);

  const dispatchedBy = (agent: AgentProcess) =>
    agent
      .output()
      .split('\n')
      .filter((l) => l.includes('"Dispatched ')).length;
  const share = Math.ceil(RUNS * 0.15);
  const until = Date.now() + 120_000;
  // Both must have dispatched before the kill; on a loaded machine one replica's first claims
  // can come a little later than the other's, so wait for both rather than look at one moment.
  while ((dispatchedBy(a) < share || dispatchedBy(b) === 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.ok(dispatchedBy(a) >= share, `replica a dispatched runs before it was killed:\n${tail(a)}`);
  assert.ok(dispatchedBy(b) > 0, `both replicas claimed runs:\n${tail(b)}`);
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.5), dispatched, 5000);
  const finishedBefore = runs.filter((r) => isDone(stack!.port.getRun(r.id))).length;
  a.proc.kill('SIGKILL');
  await a.waitExit();
  assert.ok(finishedBefore < RUNS, 'the kill landed while runs were still in flight');

  await waitAllDone(stack, runs);
  const adopted = metricValue(await b.metrics(), 'ghes_agent_runs_adopted_total');
  report('port-api-two-agents', verdict(stack, runs), () => `${tail(b)}\nadopted by b: ${adopted}`);
});
