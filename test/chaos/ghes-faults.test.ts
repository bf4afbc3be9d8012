// Scenario 4: GHES misbehaving throughout — 10% 5xx on every route, secondary rate limits — and
// a full outage (default 60 s, CHAOS_OUTAGE_SECONDS) mid-stream. Dispatches that got a 5xx are
// resolved by looking the run up before dispatching again; tracking resumes when GHES returns.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
  OUTAGE_MS,
  RUNS,
  dispatched,
  livez,
  publishRuns,
  readyz,
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
let agent: AgentProcess | undefined;
after(async () => {
  if (agent) saveLogs('ghes-faults', [agent]);
  agent?.kill();
  await stack?.close();
});

test('chaos ghes-faults: 10% 5xx everywhere, secondary rate limits, a GHES outage', async () => {
  stack = await startChaosStack();
  agent = await startChaosAgent(stack);
  await agent.waitReady();
  const background = () => [
    stack!.ghes.fault({ kind: 'status', status: 502, probability: 0.1 }),
    stack!.ghes.fault({ kind: 'secondary-rate-limit', retryAfterS: 1, probability: 0.03 }),
  ];
  const removeBackground = background();

  const runs = await publishRuns(stack, RUNS);
  await waitUntil(runs, stack, Math.ceil(RUNS * 0.3), dispatched);
  // During the outage nothing answers (the simulator takes the first matching fault, and a
  // rate-limit answer would prove GHES reachable).
  removeBackground.forEach((remove) => remove());
  stack.ghes.fault({ kind: 'outage', durationMs: OUTAGE_MS });
  const since = Date.now();
  let sawNotReady = '';
  while (Date.now() - since < OUTAGE_MS) {
    assert.equal(await livez(agent), 200, '/livez stays healthy through a GHES outage');
    const r = await readyz(agent);
    if (r.status === 503 && /github/.test(r.body)) sawNotReady = r.body;
    await sleep(1000);
  }
  if (OUTAGE_MS >= 35_000) assert.ok(sawNotReady, `/readyz said not ready during the GHES outage:\n${tail(agent)}`);
  background(); // the background faults again, for the rest of the test

  await waitAllDone(stack, runs);
  const faulted = stack.ghes.requests().filter((r) => r.fault);
  assert.ok(faulted.some((r) => r.fault === 'status') && faulted.some((r) => r.fault === 'secondary-rate-limit'), 'the faults fired');
  report('ghes-faults', verdict(stack, runs), () => tail(agent!));
});
