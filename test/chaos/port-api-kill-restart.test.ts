// port-api scenario 1: the HTTPS intake killed with kill -9 after claims, mid-dispatch and
// mid-tracking, then restarted. Claimed runs not yet acknowledged come back after their
// visibility timeout and are resumed from Port's record; acknowledged runs the dead replica was
// tracking are found in Port's list of running runs once their lease runs out, and taken over.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type AgentProcess, metricValue } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  PORT_API_ONLY,
  RUNS,
  createIntegrationRuns,
  recorded,
  report,
  saveLogs,
  sleep,
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
  saveLogs('port-api-kill-restart', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

test('chaos port-api-kill-restart: kill -9 after claim, mid-dispatch and mid-tracking, restart; every run reported once', async () => {
  stack = await startChaosStack();
  const first = await startChaosAgent(stack, PORT_API_ONLY);
  agents.push(first);
  await first.waitReady();
  const runs = createIntegrationRuns(stack, RUNS);

  // First kill while dispatches are under way: runs claimed, labelled, dispatched and acknowledged.
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.15), recorded);
  first.proc.kill('SIGKILL');
  await first.waitExit();
  const second = await startChaosAgent(stack, PORT_API_ONLY);
  agents.push(second);
  await second.waitReady();
  // Second kill while the second replica tracks runs it acknowledged (and its own claims wait).
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.7), recorded);
  await sleep(1000);
  const tracked = metricValue(await second.metrics(), 'ghes_agent_runs_in_flight');
  second.proc.kill('SIGKILL');
  await second.waitExit();
  const third = await startChaosAgent(stack, PORT_API_ONLY);
  agents.push(third);

  await waitAllDone(stack, runs);
  const adopted = metricValue(await third.metrics(), 'ghes_agent_runs_adopted_total');
  report(
    'port-api-kill-restart',
    verdict(stack, runs),
    () => `${tail(third)}\ntracked by the second replica when killed: ${tracked}; taken over by the third: ${adopted}`,
  );
  assert.ok(tracked > 0, 'the second kill landed while runs were tracked');
  assert.ok(adopted > 0, 'acknowledged runs of a dead replica were taken over');
});
