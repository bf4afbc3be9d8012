// Scenario 1: kill -9 during dispatch and tracking, then restart. The runs in flight are resumed
// from Port's and GHES's records by the restarted agent: none lost, none dispatched twice.
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  RUNS,
  dispatched,
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
  saveLogs('kill-restart', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

test('chaos kill-restart: kill -9 mid-dispatch and mid-tracking, restart, every run reported once', async () => {
  stack = await startChaosStack();
  const first = await startChaosAgent(stack);
  agents.push(first);
  await first.waitReady();
  // Every tenth run without status reporting: done means "Workflow completed" in its log.
  const runs = await publishRuns(stack, RUNS, { reportWorkflowStatus: (i) => i % 10 !== 3 });

  // First kill while dispatches are under way.
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.25), dispatched);
  first.proc.kill('SIGKILL');
  await first.waitExit();
  const second = await startChaosAgent(stack);
  agents.push(second);
  // Second kill while many runs are being tracked.
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.7), dispatched);
  second.proc.kill('SIGKILL');
  await second.waitExit();
  const third = await startChaosAgent(stack);
  agents.push(third);

  await waitAllDone(stack, runs);
  report('kill-restart', verdict(stack, runs), () => tail(third));
});
