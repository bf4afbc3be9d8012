// Scenario 6: a rolling update under load. Two replicas; a new one starts, an old one gets
// SIGTERM (and must exit 0 well within the pod's grace period), twice over. Every SIGTERM and
// every join moves partitions between live replicas: the old owner stops tracking and cancels
// its unsent reports, the new owner resumes, and no run gets two final statuses.
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
  terminate,
  verdict,
  waitAllDone,
  waitUntil,
} from './harness.js';

let stack: LocalStack | undefined;
const agents: AgentProcess[] = [];
after(async () => {
  saveLogs('rolling-update', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

test('chaos rolling-update: SIGTERM and restart of each replica under load', async () => {
  stack = await startChaosStack({ partitions: 6 });
  const a = await startChaosAgent(stack);
  const b = await startChaosAgent(stack);
  agents.push(a, b);
  await Promise.all([a.waitReady(), b.waitReady()]);
  const runs = await publishRuns(stack, RUNS);

  await waitUntil(runs, stack, Math.ceil(RUNS * 0.3), dispatched);
  const a2 = await startChaosAgent(stack);
  agents.push(a2);
  await a2.waitReady();
  await terminate(a);

  await waitUntil(runs, stack, Math.ceil(RUNS * 0.6), dispatched);
  const b2 = await startChaosAgent(stack);
  agents.push(b2);
  await b2.waitReady();
  await terminate(b);

  await waitAllDone(stack, runs);
  report('rolling-update', verdict(stack, runs), () => tail(a2, b2));
});
