// Issue 24 item 5: the agent reads a workflow-node run it dispatched the way Ocean does, by its
// externalRunId (GET /v1/workflows/nodes/runs?external_run_id=…&include=nodeConfig with the
// reserved header → {nodeRuns}: port-labs/ocean port_ocean/clients/port/mixins/workflow_nodes.py
// get_wf_node_run_by_external_id), not by GET /v1/workflows/nodes/runs/{id}, a route no source
// documents. The Port simulator here answers that id route 404 (as a Port without it would):
// a node run is still dispatched, tracked and reported SUCCESS (the final report's read), taken
// over by a second agent after the first hands it over, noticed when ended in Port (the Port-end
// watch cancels its GHES run), and found by the relay's run scope for the workflow run's token.
// Real agent processes on the Port and GHES simulators, HTTPS intake only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import { createRunScope } from '../../agent/relay/run-scope.js';
import type { WorkflowIdentity } from '../../agent/relay/workflow-identity.js';
import { ghesOriginsOf } from '../../agent/run/verify-recorded-run.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';

const ID_ROUTE = '/v1/workflows/nodes/runs/:id';
const overrides = {
  kafka: { enabled: false },
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 10_000, leaseSeconds: 20, rediscoveryIntervalSeconds: 1 },
  tracking: { pollIntervalSeconds: 0.5, portCheckSeconds: 1 },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('workflow-node runs read by external id, on a Port without GET /v1/workflows/nodes/runs/{id}', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  const start = async () => {
    const a = await startAgentProcess(stack, { auth: 'app', overrides });
    agents.push(a);
    await a.waitReady();
    return a;
  };
  /** Port's log of the node-run reads of `runId`: by id (the route this Port lacks), and by its externalRunId. */
  const readsOf = (runId: string, ext: string) => {
    const all = stack.port.requests().filter((r) => r.method === 'GET');
    return {
      byId: all.filter((r) => r.route === ID_ROUTE && r.path.endsWith(`/${runId}`)),
      byExternalId: all.filter(
        (r) => r.route === '/v1/workflows/nodes/runs' && new URLSearchParams(r.query).get('external_run_id') === ext,
      ),
    };
  };
  const ghRunOf = (runId: string) => stack.ghes.runs().find((r) => r.inputs.port_run_id === runId);
  async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }

  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' }, port: { nodeRunIdRead: false } });
    // Long enough to be handed over and taken over, short enough to end within the test.
    stack.ghes.addWorkflow('acme', 'infra', {
      path: 'medium.yml',
      name: 'medium',
      runName: RUN_NAME,
      inputs: { port_run_id: { required: false } },
      script: { conclusion: 'success', queuedMs: 200, durationMs: 15_000 },
    });
    await start();
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  test('dispatched, tracked and reported SUCCESS: the final read goes by externalRunId with the reserved header, never by id', async () => {
    const run = stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml' }, { kind: 'workflow-node' });
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.result, 'SUCCESS');
    assert.equal(done.statusWrites, 1);
    const ext = String(done.externalRunId);
    assert.match(ext, /^gh_\d+_\d+_\d+$/);
    const reads = readsOf(run.id, ext);
    assert.deepEqual(reads.byId, [], 'no read on the id route');
    assert.ok(reads.byExternalId.length >= 1, 'the final report read the run by its externalRunId');
    assert.ok(reads.byExternalId.every((r) => r.status === 200 && new URLSearchParams(r.query).get('include') === 'nodeConfig'));
    // The simulator serves the list only with the reserved header (routes-nodes.ts): 200 says it was sent.
    const m = await agents.at(-1)!.metrics();
    assert.ok(metricValue(m, 'ghes_agent_port_requests_total', { operation: 'find_node_run', outcome: 'success' }) >= 1);
    assert.equal(metricValue(m, 'ghes_agent_port_requests_total', { operation: 'get_node_run' }), 0);
  });

  test('handed over at a shutdown, a dispatched node run is taken over by a second agent and ends SUCCESS once', async () => {
    const first = agents.at(-1)!;
    const run = stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'medium.yml' }, { kind: 'workflow-node' });
    const dispatched = await stack.waitForRun(run.id, (r) => r.pendingExecution === false && typeof r.externalRunId === 'string');
    const ext = dispatched.externalRunId!;
    const second = await start();
    assert.equal(await first.stop(), 0);
    await until('the second agent took the run over', () => second.output().includes(`took over run ${run.id}`), 30_000);
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.result, 'SUCCESS', JSON.stringify(done.output));
    assert.equal(done.statusWrites, 1, 'one final status');
    assert.equal(stack.ghes.dispatches().filter((d) => d.status < 300 && d.inputs.port_run_id === run.id).length, 1, 'dispatched once');
    const reads = readsOf(run.id, ext);
    assert.deepEqual(reads.byId, [], 'no read on the id route');
    // The take-over's read, its re-read after the pause, and the final report's read.
    assert.ok(reads.byExternalId.length >= 3, `reads by externalRunId: ${reads.byExternalId.length}`);
  });

  test('a tracked node run ended in Port: the Port-end watch, reading it by externalRunId, sees it and its GHES run is cancelled', async () => {
    const run = stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'long.yml' }, { kind: 'workflow-node' });
    await until('the GHES run in progress', () => ghRunOf(run.id)?.status === 'in_progress');
    await stack.waitForRun(run.id, (r) => typeof r.externalRunId === 'string');
    stack.port.endRun(run.id, 'FAILURE', 'alice');
    await until('the GHES run cancelled', () => ghRunOf(run.id)?.status === 'completed', 30_000);
    assert.equal(ghRunOf(run.id)!.conclusion, 'cancelled');
    assert.deepEqual(readsOf(run.id, stack.port.getRun(run.id)!.externalRunId!).byId, [], 'no read on the id route');
  });

  test("the relay's run scope finds the node run for its own workflow run's token, and not for another run's", async () => {
    const run = stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml' }, { kind: 'workflow-node' });
    const done = await stack.waitForRun(run.id, isFinal);
    const [, ownerId, repositoryId, ghRunId] = /^gh_(\d+)_(\d+)_(\d+)$/.exec(String(done.externalRunId))!.map(Number);
    assert.equal(ghRunOf(run.id)?.id, ghRunId, "the externalRunId names the node run's GitHub run");
    const metrics = createMetrics({ defaultMetrics: false });
    const http = createPortHttp({
      baseUrl: stack.port.url,
      clientId: stack.port.clientId,
      clientSecret: stack.port.clientSecret,
      fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
      clock: realClock,
      metrics,
      logger: createLogger({ level: 'error', secrets: createSecretScrubber([stack.port.clientSecret]) }),
    });
    const port = createPortClient({ http });
    // As start-relay.ts wires it.
    const scope = createRunScope({
      getRun: (id, hint) => port.getRun(id, hint),
      ghesOrigins: ghesOriginsOf([stack.ghes.origin, stack.ghes.url]),
      now: Date.now,
    });
    const who = (runId: number): WorkflowIdentity => ({
      repository: 'acme/infra',
      repositoryId: repositoryId!,
      ownerId: ownerId!,
      runId,
      workflowFile: 'deploy.yml',
      workflowRef: 'acme/infra/.github/workflows/deploy.yml@refs/heads/main',
      ref: 'refs/heads/main',
      environment: undefined,
      actor: undefined,
    });
    assert.deepEqual(await scope.check(run.id, who(ghRunId!)), { allowed: true });
    assert.equal(await scope.check(`wfnr_not_${run.id.slice(5)}`, who(ghRunId!)), 'not_found', 'another node run id: not found');
    assert.deepEqual(readsOf(run.id, String(done.externalRunId)).byId, [], 'no read on the id route');
  });
});
