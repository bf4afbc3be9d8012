// port-api scenario 4: a rolling update of claiming replicas under load. A new replica starts,
// an old one gets SIGTERM (and exits 0 within the grace period) twice over. The replica that
// stops lets its claimed-but-undispatched runs go (Port offers them again) and hands its
// tracked runs over, which the others take at once instead of after a lease.
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  PORT_API_ONLY,
  RUNS,
  createIntegrationRuns,
  dispatched,
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
  saveLogs('port-api-rolling-update', agents);
  for (const a of agents) a.kill();
  await stack?.close();
});

test('chaos port-api-rolling-update: SIGTERM and restart of each claiming replica under load', async () => {
  stack = await startChaosStack();
  const a = await startChaosAgent(stack, PORT_API_ONLY);
  const b = await startChaosAgent(stack, PORT_API_ONLY);
  agents.push(a, b);
  await Promise.all([a.waitReady(), b.waitReady()]);
  const runs = createIntegrationRuns(stack, RUNS);

  await waitUntil(runs, stack, Math.ceil(RUNS * 0.3), dispatched);
  const a2 = await startChaosAgent(stack, PORT_API_ONLY);
  agents.push(a2);
  await a2.waitReady();
  await terminate(a);

  await waitUntil(runs, stack, Math.ceil(RUNS * 0.6), dispatched);
  const b2 = await startChaosAgent(stack, PORT_API_ONLY);
  agents.push(b2);
  await b2.waitReady();
  await terminate(b);

  await waitAllDone(stack, runs);
  report('port-api-rolling-update', verdict(stack, runs), () => tail(a2, b2));
});
