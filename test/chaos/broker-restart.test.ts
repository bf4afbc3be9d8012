// Scenario 3: the broker stopped and restarted mid-stream (a private broker: the shared one must
// stay up for other files). Runs in flight keep being tracked and reported while Kafka is gone,
// /readyz says not ready once the broker has been unreachable for 30 s while /livez stays
// healthy, and after the restart kafkajs rejoins, commits resume and new messages flow.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AgentProcess } from '../stack/agent-process.js';
import { type KafkaBroker, startKafkaBroker } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import {
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

const DOWN_MS = Number(process.env.CHAOS_BROKER_DOWN_SECONDS ?? 40) * 1000;

let broker: KafkaBroker | undefined;
let stack: LocalStack | undefined;
let agent: AgentProcess | undefined;
after(async () => {
  if (agent) saveLogs('broker-restart', [agent]);
  agent?.kill();
  await stack?.close();
  await broker?.destroy();
});

test('chaos broker-restart: broker stopped and restarted mid-stream', async () => {
  broker = await startKafkaBroker();
  stack = await startChaosStack({ broker });
  agent = await startChaosAgent(stack);
  await agent.waitReady();
  const firstHalf = await publishRuns(stack, Math.ceil(RUNS / 2));
  await waitUntil(firstHalf, stack, Math.ceil(firstHalf.length * 0.4), dispatched);

  await broker.stop();
  const downSince = Date.now();
  let sawNotReady = '';
  while (Date.now() - downSince < DOWN_MS) {
    assert.equal(await livez(agent), 200, '/livez stays healthy while the broker is down');
    const r = await readyz(agent);
    if (r.status === 503 && /kafka|consumer group/.test(r.body)) sawNotReady = r.body;
    await sleep(1000);
  }
  await broker.start();
  if (DOWN_MS >= 35_000) assert.ok(sawNotReady, `/readyz said not ready during the broker outage:\n${tail(agent)}`);

  const secondHalf = await publishRuns(stack, RUNS - firstHalf.length, { offset: firstHalf.length });
  const runs = [...firstHalf, ...secondHalf];
  await waitAllDone(stack, runs);
  const v = verdict(stack, runs);
  // Ready again once the consumer is back in its group.
  let ready = await readyz(agent);
  for (let i = 0; i < 60 && ready.status !== 200; i++) ready = (await sleep(1000), await readyz(agent));
  report('broker-restart', v, () => tail(agent!));
  assert.equal(ready.status, 200, `ready again after the broker returned: ${ready.body}`);
});
