// Issue 23, item 5: a planted run is not adopted. A run-name is text whoever dispatches a
// workflow chooses, so a person with write access can start a run titled "Port run r_<id>" — and
// the agent's own run of another workflow may show the id too, when that workflow's run-name
// shows an input a Port user filled in. Both paths that find a run by its run-name meet such
// runs here: the Kafka redelivery (the resume locator's repository list) and the interrupted
// dispatch after a kill -9 (find-interrupted-run.ts, findExistingRun). Each time the agent
// dispatches and tracks its own run, Port links that run, and the planted runs are neither
// linked, named in Port, nor cancelled. Real broker, both simulators, the agent as a process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import type { SimPortRun } from '../sim/port/types.js';

const DISPATCH = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('planted runs showing a Port run id in their run-name', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  let agentLogin: string;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agentLogin = `${stack.ghes.app.slug}[bot]`;
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  /**
   * Two plants per Port run pair: for `byPerson`, mallory's run of the same workflow
   * (deploy.yml); for `otherWorkflow`, a run of long.yml by the agent's own login whose
   * run-name shows the id. `durationMs` decides whether they are still going when the agent looks.
   */
  function plant(byPerson: SimPortRun, otherWorkflow: SimPortRun, durationMs: number): number[] {
    const script = { conclusion: 'failure' as const, queuedMs: 200, durationMs };
    return [
      ...stack.ghes.addRuns({
        owner: 'acme',
        repo: 'infra',
        workflow: 'deploy.yml',
        actor: 'mallory',
        inputs: { port_run_id: byPerson.id },
        script,
      }),
      ...stack.ghes.addRuns({
        owner: 'acme',
        repo: 'infra',
        workflow: 'long.yml',
        actor: agentLogin,
        inputs: { port_run_id: otherWorkflow.id },
        script,
      }),
    ];
  }

  /** The run ended SUCCESS with its own deploy.yml run, dispatched once by the agent; nothing of the planted runs reached Port or was cancelled. */
  async function assertOwnRunOnly(run: SimPortRun, planted: number[]): Promise<void> {
    const done = await stack.waitForRun(run.id, isFinal, 120_000);
    const own = stack.ghes
      .runs()
      .filter((r) => r.inputs.port_run_id === run.id && r.actor === agentLogin && r.workflowPath === '.github/workflows/deploy.yml');
    assert.equal(own.length, 1, `one run of the agent's for ${run.id}`);
    assert.equal(done.status, 'SUCCESS', `the planted runs fail; the agent's own succeeds: ${done.summary}`);
    assert.equal(done.link, `${stack.ghes.origin}/acme/infra/actions/runs/${own[0]!.id}`, "Port links the agent's own run");
    const named = JSON.stringify(stack.port.getRun(run.id));
    for (const id of planted) assert.ok(!named.includes(`/actions/runs/${id}`), `Port's record never names planted run ${id}`);
    assert.equal(
      stack.ghes.dispatches().filter((d) => d.status < 300 && d.inputs.port_run_id === run.id).length,
      1,
      'one accepted dispatch',
    );
    const cancels = stack.ghes
      .requests()
      .filter((r) => r.method === 'POST' && planted.some((id) => r.path.includes(`/actions/runs/${id}/`)));
    assert.deepEqual(
      cancels.map((r) => r.path),
      [],
      'no request on a planted run',
    );
  }

  test('Kafka redelivery: runs published while no agent runs, planted runs going on; the agent dispatches its own', async () => {
    // Written before the agent holds the partition: a redelivery, looked for on GHES first (issue 15).
    const byPerson = await stack.publish(deploy);
    const otherWorkflow = await stack.publish(deploy);
    const planted = plant(byPerson, otherWorkflow, 30_000);
    const agent = await startAgentProcess(stack, { auth: 'app' });
    agents.push(agent);
    await agent.waitReady();
    await assertOwnRunOnly(byPerson, [planted[0]!]);
    await assertOwnRunOnly(otherWorkflow, [planted[1]!]);
    assert.match(agent.output(), /shows Port run id .* but is not taken: it was dispatched by mallory/);
    const metrics = await agent.metrics();
    assert.ok(metricValue(metrics, 'ghes_agent_run_name_mismatches_total', { reason: 'other_actor' }) >= 1, 'counted: another actor');
    assert.ok(metricValue(metrics, 'ghes_agent_run_name_mismatches_total', { reason: 'other_workflow' }) >= 1, 'counted: another workflow');
    await agent.stop();
  });

  test('interrupted dispatch: killed while its POSTs fail, planted runs (completed) found by the replacement; it dispatches its own', async () => {
    const first = await startAgentProcess(stack, { auth: 'app', overrides: { github: { correlationTimeoutSeconds: 8 } } });
    agents.push(first);
    await first.waitReady();
    // Every POST is cut before it takes effect: the runs stay "Dispatching workflow" in Port.
    const removeFault = stack.ghes.fault({ route: DISPATCH, kind: 'reset' });
    const byPerson = await stack.publish(deploy);
    const otherWorkflow = await stack.publish(deploy);
    const t0 = Date.now();
    while (![byPerson, otherWorkflow].every((r) => stack.port.getRun(r.id)?.statusLabel === 'Dispatching workflow')) {
      assert.ok(Date.now() - t0 < 60_000, 'the runs never reached their dispatch');
      await sleep(100);
    }
    first.kill();
    await first.waitExit();
    removeFault();
    // Completed before the replacement looks: the locator leaves completed runs to Port's record,
    // so the interrupted-dispatch look (repository list, then the workflow's list) meets them.
    const planted = plant(byPerson, otherWorkflow, 500);
    while (
      stack.ghes
        .runs()
        .filter((r) => planted.includes(r.id))
        .some((r) => r.status !== 'completed')
    )
      await sleep(200);
    const replacement = await startAgentProcess(stack, { auth: 'app', overrides: { github: { correlationTimeoutSeconds: 8 } } });
    agents.push(replacement);
    await replacement.waitReady();
    await assertOwnRunOnly(byPerson, [planted[0]!]);
    await assertOwnRunOnly(otherWorkflow, [planted[1]!]);
    assert.match(replacement.output(), /shows Port run id .* but is not the agent's: it was dispatched by mallory/);
    assert.match(
      replacement.output(),
      /shows Port run id .* but is not the agent's: it is a run of \.github\/workflows\/long\.yml, not of deploy\.yml/,
    );
    const metrics = await replacement.metrics();
    assert.ok(metricValue(metrics, 'ghes_agent_run_name_mismatches_total', { reason: 'other_actor' }) >= 1, 'counted: another actor');
    assert.ok(metricValue(metrics, 'ghes_agent_run_name_mismatches_total', { reason: 'other_workflow' }) >= 1, 'counted: another workflow');
  });
});
