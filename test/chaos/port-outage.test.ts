// Scenario 5: Port's API down (default 60 s, CHAOS_OUTAGE_SECONDS) mid-stream, then answering
// 10% 5xx. Reports wait in the reporter's per-run queues and are delivered afterwards, in order;
// /readyz says not ready during the outage, /livez stays healthy.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  OUTAGE_MS,
  RUNS,
  dispatched,
  publishRuns,
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
  if (agent) saveLogs('port-outage', [agent]);
  agent?.kill();
  await stack?.close();
});

test('chaos port-outage: Port API outage, then 10% 5xx', async () => {
  stack = await startChaosStack();
  agent = await startChaosAgent(stack);
  await agent.waitReady();
  const runs = await publishRuns(stack, RUNS);
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.3), dispatched);

  const sawNotReady = await throughPortOutage(stack, agent, OUTAGE_MS, /port/);
  if (OUTAGE_MS >= 35_000) assert.ok(sawNotReady, `/readyz said not ready during the Port outage:\n${tail(agent)}`);
  stack.port.clearFaults();
  stack.port.fault({ kind: 'status', status: 503, probability: 0.1 });

  await waitAllDone(stack, runs);
  // Delivered in order per run: the completion log before the final status, the dispatch line first.
  for (const { id } of runs) {
    const r = stack.port.getRun(id)!;
    const messages = r.logs.map((l) => l.message);
    const done = messages.findIndex((m) => m.startsWith('Workflow completed:'));
    assert.ok(done >= 0, `${id} has its completion log: ${messages.join(' | ')}`);
    assert.ok(!messages.slice(done + 1).some((m) => m.startsWith('Dispatched ')), `${id}: logs out of order: ${messages.join(' | ')}`);
  }
  report('port-outage', verdict(stack, runs), () => tail(agent!));
});
