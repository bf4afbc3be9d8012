// port-api scenario 3: Port's API down (default 60 s, CHAOS_OUTAGE_SECONDS) while runs are
// being claimed, dispatched and tracked, then answering 10% 5xx — claims and acks included,
// before and after they take effect. Claims stop and resume, reports wait in their queues, the
// leases of the runs in hand are renewed after the outage before anyone may take them over.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  OUTAGE_MS,
  PORT_API_ONLY,
  RUNS,
  createIntegrationRuns,
  dispatched,
  report,
  saveLogs,
  startChaosAgent,
  startChaosStack,
  tail,
  throughPortOutage,
  verdict,
  waitAllDone,
  waitUntil,
} from './harness.js';

let stack: LocalStack | undefined;
let agent: AgentProcess | undefined;
after(async () => {
  if (agent) saveLogs('port-api-port-outage', [agent]);
  agent?.kill();
  await stack?.close();
});

test('chaos port-api-port-outage: Port API outage, then 10% 5xx on every route', async () => {
  stack = await startChaosStack();
  agent = await startChaosAgent(stack, PORT_API_ONLY);
  await agent.waitReady();
  const runs = createIntegrationRuns(stack, RUNS);
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.3), dispatched);

  const sawNotReady = await throughPortOutage(stack, agent, OUTAGE_MS, /port|HTTPS intake/i);
  if (OUTAGE_MS >= 35_000) assert.ok(sawNotReady, `/readyz said not ready during the Port outage:\n${tail(agent)}`);
  stack.port.clearFaults();
  stack.port.fault({ kind: 'status', status: 503, probability: 0.05 });
  stack.port.fault({ kind: 'status', status: 502, after: true, probability: 0.05 });

  await waitAllDone(stack, runs);
  report('port-api-port-outage', verdict(stack, runs), () => tail(agent!));
});
