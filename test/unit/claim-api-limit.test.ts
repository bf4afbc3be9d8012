// Issue 23: a claim answer is cut to the limit asked. A raw node:http server plays Port's claim
// route and answers ten times the runs asked for: the agent holds the first `limit`, is told of
// the excess (counted and logged by claim/start-claim-intake.ts), and sends nothing about the others (no ack, no
// read, no write), so Port offers them again after the claim's visibility timeout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createClaimApi } from '../../agent/port/claim-api.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { type RawServer, startRawServer } from './raw-server.js';

const routes = {
  claimActionRuns: '/v1/actions/runs/claim-pending',
  ackActionRun: '/v1/actions/runs/ack',
  claimNodeRuns: '/v1/workflows/runs/claim-pending',
  ackNodeRun: '/v1/workflows/runs/ack',
  nodeRuns: '/v1/workflows/nodes/runs',
};

describe('claim answer cut to the limit (issue 23)', () => {
  let port: RawServer;
  before(async () => {
    port = await startRawServer((req, res) => {
      if (req.url === '/v1/auth/access_token')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: 'tok', expiresIn: 3600 }));
      if (req.method === 'POST' && (req.url === routes.claimActionRuns || req.url === routes.claimNodeRuns)) {
        const { limit } = JSON.parse(req.body) as { limit: number };
        const key = req.url === routes.claimActionRuns ? 'runs' : 'nodeRuns';
        const runs = Array.from({ length: limit * 10 }, (_, i) => ({
          id: `${key === 'runs' ? 'r' : 'wfnr'}_${i}`,
          status: 'IN_PROGRESS',
          installationId: 'ghes-agent',
        }));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, [key]: runs }));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  after(() => port?.close());

  it('Port answers ten times the claim limit: only the limit is held, the rest is neither acknowledged nor touched', async () => {
    const excess: Array<[string, number, number]> = [];
    const claims = createClaimApi({
      http: createPortHttp({
        baseUrl: port.origin,
        clientId: 'c',
        clientSecret: 's',
        fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
        clock: realClock,
        metrics: createMetrics({ defaultMetrics: false }),
        logger: createLogger({ level: 'error', secrets: createSecretScrubber([]) }),
      }),
      routes,
      reservedHeader: 'x-port-reserved-usage',
      onExcess: (kind, asked, answered) => excess.push([kind, asked, answered]),
    });
    const held = await claims.claim('action', { installationId: 'ghes-agent', limit: 3, visibilityTimeoutMs: 60_000, exclude: [] });
    assert.deepEqual(
      held.map((r) => (r as { id: string }).id),
      ['r_0', 'r_1', 'r_2'],
    );
    const nodes = await claims.claim('workflow-node', { installationId: 'ghes-agent', limit: 5, visibilityTimeoutMs: 60_000, exclude: [] });
    assert.equal(nodes.length, 5);
    assert.deepEqual(excess, [
      ['action', 3, 30],
      ['workflow-node', 5, 50],
    ]);
    // Port saw the token request and the two claims, nothing about any run.
    assert.deepEqual(
      port.seen.map((r) => `${r.method} ${r.url}`),
      ['POST /v1/auth/access_token', `POST ${routes.claimActionRuns}`, `POST ${routes.claimNodeRuns}`],
    );
  });
});
