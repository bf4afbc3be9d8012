// Issue 24 item 5: the agent reads a workflow-node run with Port's reserved header, as Ocean does
// on its node-run read (port-ocean 0.56.2 mixins/workflow_nodes.py get_wf_node_run_by_external_id:
// INTERNAL_WORKFLOW_CLIENT_HEADER), against the Port simulator, which serves node-run reads only
// with it; and by externalRunId, as Ocean reads one (get_wf_node_run_by_external_id), taking only the
// node run asked for.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { nodeRunIn } from '../../agent/port/node-runs.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { startPortSim } from '../sim/port/server.js';

const creds = { clientId: 'id', clientSecret: 'secret' };
const simOptions = { orgId: 'org_node_read', ...creds };

describe('reading a workflow-node run', () => {
  let sim: Awaited<ReturnType<typeof startPortSim>>;
  before(async () => {
    sim = await startPortSim(simOptions);
  });
  after(async () => sim?.close());
  const client = () =>
    createPortHttp({
      baseUrl: sim.url,
      ...creds,
      fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
      clock: realClock,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'error', secrets: createSecretScrubber([]) }),
    });

  it('sends x-port-reserved-usage: true, and Port (the simulator) answers with the run', async () => {
    const run = sim.createRun({
      kind: 'workflow-node',
      invocation: {
        type: 'INTEGRATION_ACTION',
        installationId: 'ghes-agent',
        integrationActionType: 'dispatch_workflow',
        integrationActionExecutionProperties: {},
      },
    });
    const got = await createPortClient({ http: client() }).getRun(run.id);
    assert.equal(got?.id, run.id);
    const read = sim.requests().find((r) => r.method === 'GET' && r.route === '/v1/workflows/nodes/runs/:id');
    assert.equal(read?.status, 200);
  });

  // The list Port answers a read by external id may hold other node runs than the one asked (a Port
  // user with write access to runs can give another run the same externalRunId): Ocean takes the
  // first (get_wf_node_run_by_external_id); the agent only the one whose identifier it asked for.
  it('by externalRunId: the list route with the reserved header; of a list holding other node runs, only the one asked, else not found', async () => {
    const node = () =>
      sim.createRun({
        kind: 'workflow-node',
        invocation: {
          type: 'INTEGRATION_ACTION',
          installationId: 'ghes-agent',
          integrationActionType: 'dispatch_workflow',
          integrationActionExecutionProperties: {},
        },
      });
    const [a, b, c] = [node(), node(), node()];
    const port = createPortClient({ http: client() });
    const ext = 'gh_1_2_777';
    await port.patchRun(a.id, { externalRunId: ext });
    await port.patchRun(b.id, { externalRunId: ext });
    const since = sim.requests().length;
    // Port's list holds a then b: b is read as b (Ocean's first entry would be a).
    assert.equal((await port.getRun(b.id, { externalRunId: ext }))?.id, b.id);
    assert.equal((await port.getRun(a.id, { externalRunId: ext }))?.id, a.id);
    // c exists but does not carry ext: the list holds only others, so c is not found by it.
    assert.equal(await port.getRun(c.id, { externalRunId: ext }), undefined);
    const reads = sim.requests().slice(since);
    assert.deepEqual(
      reads.map((r) => `${r.method} ${r.route} ${r.status}`),
      Array(3).fill('GET /v1/workflows/nodes/runs 200'),
    );
    assert.ok(reads.every((r) => r.query === `external_run_id=${ext}&include=nodeConfig`));
  });

  it('nodeRunIn (pure): the entry whose identifier is the run asked, never another', () => {
    const other = { identifier: 'wfnr_other', status: 'IN_PROGRESS', externalRunId: 'gh_1_2_3' };
    assert.equal(nodeRunIn([other], 'wfnr_asked'), undefined);
    assert.equal(nodeRunIn([other, { ...other, identifier: 'wfnr_asked' }], 'wfnr_asked')?.id, 'wfnr_asked');
    assert.equal(nodeRunIn([null, 'x', { identifier: 42 }], 'wfnr_asked'), undefined);
  });
});
