// Scenario 7: 1,000 malformed, fuzzed or unrelated messages mixed into valid traffic. The agent
// does not crash, every valid run completes once, and every bad message is counted in
// ghes_agent_messages_total under an outcome that is not a dispatch. A few poison runs (Port
// refuses to read them, for good) are retried, reported FAILURE and committed: at the end the
// group's committed offsets reach the end of every partition, so nothing blocks a partition.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { type AgentProcess, metricValue } from '../stack/agent-process.js';
import type { LocalStack } from '../stack/local-stack.js';
import type { SimPortRun } from '../sim/port/types.js';
import { buildRunMessage, publishMessages, signRunMessage, tamperSignature } from '../sim/publisher.js';
import {
  CHAOS_WORKFLOW,
  RUNS,
  publishRuns,
  report,
  saveLogs,
  sleep,
  startChaosAgent,
  startChaosStack,
  tail,
  uncommittedPartitions,
  verdict,
  waitAllDone,
} from './harness.js';

const JUNK = Number(process.env.CHAOS_JUNK ?? 1000);
const POISON = 5;

let stack: LocalStack | undefined;
let agent: AgentProcess | undefined;
after(async () => {
  if (agent) saveLogs('malformed', [agent]);
  agent?.kill();
  await stack?.close();
});

/** A small deterministic generator, so a failing message can be reproduced from its index. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => (x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** One bad message: junk bytes, broken JSON, other shapes, or a Port envelope with a defect. */
function junk(i: number, stack: LocalStack): string | Buffer {
  const r = rng(i + 1);
  const unknownRun = `r_${randomBytes(8).toString('hex')}`; // never created in Port
  const envelope = () =>
    buildRunMessage({
      orgId: stack.port.orgId,
      run: { id: unknownRun, invocation: { type: 'GITHUB', org: stack.ghOrg, repo: 'infra', workflow: CHAOS_WORKFLOW } },
    });
  switch (i % 10) {
    case 0:
      return randomBytes(1 + Math.floor(r() * 300));
    case 1:
      return `{"action":"Create","resourceType":"run","context":{"runId":"${unknownRun}"`; // truncated JSON
    case 2:
      return JSON.stringify([42, 'run', null, { runId: unknownRun }][Math.floor(r() * 4)]);
    case 3:
      return JSON.stringify({ event: 'entity.updated', entity: { identifier: `svc-${i}` }, at: Date.now() });
    case 4: {
      const m = envelope() as { status: string };
      m.status = 'COMPLETED';
      return JSON.stringify(m);
    }
    case 5: {
      const m = envelope() as { payload: { action: { invocationMethod: Record<string, unknown> } } };
      m.payload.action.invocationMethod = { type: 'WEBHOOK', url: 'http://example.invalid' };
      return JSON.stringify(m);
    }
    case 6: {
      // Fuzzed: one field of a valid envelope replaced by a value of the wrong type.
      const m = envelope() as Record<string, any>;
      const targets = [
        () => (m.payload.action.invocationMethod.org = 12),
        () => (m.payload.action.invocationMethod.workflow = { x: 1 }),
        () => (m.payload.action.invocationMethod.workflowInputs = 'not an object'),
        () => (m.context.runId = 7),
        () => delete m.payload.action,
        () => (m.payload.action.invocationMethod.repo = '../../etc'),
        () => (m.payload = null),
      ];
      targets[Math.floor(r() * targets.length)]!();
      return JSON.stringify(r() < 0.5 ? signRunMessage(m, stack.port.clientSecret) : m);
    }
    case 7:
      return Buffer.alloc(0); // tombstone
    case 8:
      return JSON.stringify(tamperSignature(signRunMessage(envelope(), stack.port.clientSecret)));
    default:
      // A well-formed, signed run Port never created (another org's replayed message, say).
      return JSON.stringify(signRunMessage(envelope(), stack.port.clientSecret));
  }
}

test('chaos malformed: 1,000 bad messages mixed into valid traffic', async () => {
  stack = await startChaosStack();
  agent = await startChaosAgent(stack);
  await agent.waitReady();

  // Poison: runs whose record Port refuses to return (400) however often it is asked.
  const poison = await publishRuns(stack, POISON, { offset: 10_000 });
  for (const r of poison) stack.port.fault({ route: `/v1/actions/runs/${r.id}`, method: 'GET', kind: 'status', status: 400 });

  // Interleave: a slice of valid runs, then a slice of junk, until both are published.
  const runs: SimPortRun[] = [];
  const per = Math.max(1, Math.ceil(RUNS / 10));
  const junkPer = Math.ceil(JUNK / 10);
  let sentJunk = 0;
  for (let k = 0; runs.length < RUNS || sentJunk < JUNK; k++) {
    if (runs.length < RUNS) runs.push(...(await publishRuns(stack, Math.min(per, RUNS - runs.length), { offset: runs.length })));
    const batch = [];
    for (let j = 0; j < junkPer && sentJunk < JUNK; j++, sentJunk++) batch.push({ key: `junk-${sentJunk}`, value: junk(sentJunk, stack) });
    if (batch.length) await publishMessages(stack.producer, stack.topic, batch);
  }

  await waitAllDone(stack, [...runs, ...poison]);
  // The bad messages are handled quickly, but wait until every one is counted.
  const count = async () => {
    const text = await agent!.metrics();
    const all = metricValue(text, 'ghes_agent_messages_total');
    const good = metricValue(text, 'ghes_agent_messages_total', { outcome: 'dispatched' });
    const poisoned = metricValue(text, 'ghes_agent_messages_total', { outcome: 'poison' });
    return { text, all, good, poisoned, bad: all - good - poisoned };
  };
  let c = await count();
  for (let i = 0; i < 60 && c.bad < JUNK; i++) c = (await sleep(1000), await count());
  assert.equal(agent.proc.exitCode, null, `the agent is still running:\n${tail(agent)}`);
  report('malformed', verdict(stack, [...runs, ...poison]), () => tail(agent!));
  assert.equal(c.good, RUNS, 'each valid run dispatched once');
  assert.equal(
    c.bad,
    JUNK,
    `every bad message counted once:\n${c.text
      .split('\n')
      .filter((l) => l.startsWith('ghes_agent_messages_total'))
      .join('\n')}`,
  );
  assert.equal(c.poisoned, POISON, 'each poison run counted once');
  for (const r of poison) {
    const p: SimPortRun = stack.port.getRun(r.id)!;
    assert.equal(p.status, 'FAILURE', `poison run ${r.id} reported FAILURE`);
    assert.match(p.summary ?? '', /could not handle this run after 3 attempts/);
  }

  // Nothing holds a partition back: the committed offsets reach the end of every partition.
  assert.deepEqual(await uncommittedPartitions(stack), [], 'every partition committed to its end');
  assert.equal(
    stack.ghes.dispatches().filter((d) => !runs.some((r) => r.id === d.inputs.port_run_id)).length,
    0,
    'nothing dispatched for a bad message',
  );
});
