// Issue 23: /readyz says which dependency failed, not what it answered. Raw node:http servers
// play Port and GHES failing with answers that carry a distinctive string (as an error body or
// message could carry anything the remote likes); the agent's dependency health, the claim
// intake's readiness and the health server's /readyz name the dependency and the kind of
// failure, and never repeat the string.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClaimIntake } from '../../agent/claim/claim-intake.js';
import { AgentError } from '../../agent/errors.js';
import { createGithubApi } from '../../agent/github/github-api.js';
import { createGithubClients } from '../../agent/github/github-client.js';
import { createDependencyHealth, observeCalls } from '../../agent/observability/dependency-health.js';
import { startHealthServer } from '../../agent/observability/health-server.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { ClaimApi } from '../../agent/port/claim-api.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import type { Reporter } from '../../agent/port/reporter.js';
import type { MessageProcessor } from '../../agent/run/process-message.js';
import { type Clock, realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { type RawServer, startRawServer } from './raw-server.js';

const PORT_SAYS = 'PORT-ANSWER-zebra-7731';
const GHES_SAYS = 'GHES-ANSWER-okapi-5519';
const logger = createLogger({ level: 'error', secrets: createSecretScrubber([]) });

describe('/readyz names the failing dependency, not its answer (issue 23)', () => {
  let port: RawServer;
  let ghes: RawServer;
  before(async () => {
    port = await startRawServer((req, res) => {
      if (req.url === '/v1/auth/access_token')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: 'tok', expiresIn: 3600 }));
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: false, error: 'unavailable', message: PORT_SAYS }));
    });
    ghes = await startRawServer(
      (_req, res) => void res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: GHES_SAYS })),
    );
  });
  after(async () => {
    await port?.close();
    await ghes?.close();
  });

  it('Port and GHES failing with a distinctive answer: /readyz names port and github, never the answer', async () => {
    const health = createDependencyHealth({ now: () => Date.now(), unreachableAfterMs: 0 });
    const metrics = createMetrics({ defaultMetrics: false });
    const portClient = observeCalls(
      createPortClient({
        http: createPortHttp({
          baseUrl: port.origin,
          clientId: 'c',
          clientSecret: 's',
          fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
          clock: realClock,
          metrics,
          logger,
        }),
      }),
      'port',
      health,
    );
    const clients = createGithubClients({
      apiUrl: `${ghes.origin}/api/v3`,
      auth: { kind: 'token', token: 't' },
      fetch: createFetch({ timeoutMs: 5000, name: 'github.caFile' }),
      maxConcurrency: 4,
      metrics,
      logger,
      clock: realClock,
    });
    const api = observeCalls(createGithubApi({ clients, clock: realClock }), 'github', health);
    // The errors themselves carry the answers (for the agent's log): only /readyz must not.
    await assert.rejects(portClient.getRun('r_1'), (e: Error) => e.message.includes(PORT_SAYS));
    await assert.rejects(api.dispatch('acme', 'infra', 'deploy.yml', { ref: 'main', inputs: {} }), (e: Error) =>
      e.message.includes(GHES_SAYS),
    );

    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      ready: () => ({ ready: false, reasons: health.unhealthy() }),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      const body = await res.text();
      assert.equal(res.status, 503);
      assert.match(body, /port unreachable for \d+ s: server error \(HTTP 503\)/);
      assert.match(body, /github unreachable for \d+ s: server error \(HTTP 502\)/);
      assert.ok(!body.includes(PORT_SAYS) && !body.includes(GHES_SAYS), body);
    } finally {
      await server.close();
    }
  });

  it("the HTTPS intake's claims failing for the grace period: its reason names the failure, not Port's answer", async () => {
    let now = Date.parse('2026-05-01T00:00:00Z');
    const clock: Clock = {
      now: () => now,
      sleep: (ms, signal) =>
        signal?.aborted ? Promise.reject(new Error('aborted')) : new Promise((r) => setImmediate(() => ((now += ms), r()))),
    };
    let claims = 0;
    const claimApi: ClaimApi = {
      claim: async () => {
        if (claims++ === 0) return [];
        throw new AgentError('server', `Port API claim_runs answered 503: ${PORT_SAYS}`, { retriable: true, status: 503 });
      },
      ack: async () => 'acked',
      listActive: async () => [],
    };
    const reporter: Reporter = { send: async () => undefined, pending: () => 0, drain: async () => undefined, stop: () => undefined };
    const intake = createClaimIntake({
      settings: {
        installationId: 'ghes-agent',
        kinds: ['action'],
        batchSize: 10,
        intervalMs: 1000,
        visibilityTimeoutMs: 60_000,
        maxSharePercent: 30,
        leaseMs: 600_000,
        rediscoveryIntervalMs: 60_000,
      },
      claimApi,
      port: { getRun: async () => undefined, patchRun: async () => undefined, addLog: async () => undefined },
      processor: { count: () => undefined, servesOrg: () => true } as unknown as MessageProcessor,
      reporter,
      room: () => 10,
      dispatchCapacity: 10,
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      clock,
    });
    await intake.start();
    try {
      for (let i = 0; i < 10_000 && intake.notReady().length === 0; i++) await new Promise((r) => setImmediate(r));
      const reasons = intake.notReady();
      assert.equal(reasons.length, 1);
      assert.match(reasons[0]!, /^HTTPS intake: claiming runs from Port has failed for \d+ s: server error \(HTTP 503\)/);
      assert.ok(!reasons[0]!.includes(PORT_SAYS), reasons[0]);
    } finally {
      await intake.stop({ deadlineMs: clock.now() });
    }
  });
});
