// Issue 24 item 5: the agent reads a workflow-node run with Port's reserved header, as Ocean does
// on its node-run read (port-ocean 0.56.2 mixins/workflow_nodes.py get_wf_node_run_by_external_id:
// INTERNAL_WORKFLOW_CLIENT_HEADER), against the Port simulator, which serves node-run reads only
// with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
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
    const http = createPortHttp({
      baseUrl: sim.url,
      ...creds,
      fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
      clock: realClock,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'error', secrets: createSecretScrubber([]) }),
    });
    const got = await createPortClient({ http }).getRun(run.id);
    assert.equal(got?.id, run.id);
    const read = sim.requests().find((r) => r.method === 'GET' && r.route === '/v1/workflows/nodes/runs/:id');
    assert.equal(read?.status, 200);
  });
});
