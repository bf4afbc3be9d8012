// Regression: the first requests for an App installation each wait for its token, which auth-app
// creates inside those requests' hooks. With more of them than github.maxConcurrency, the token
// request itself once queued behind them on the per-host semaphore, and nothing moved again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGithubApi } from '../../agent/github/github-api.js';
import { createGithubClients } from '../../agent/github/github-client.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { startGhesSim } from '../sim/ghes/server.js';
import type { GhesSim } from '../sim/ghes/types.js';

describe('GitHub client: installation tokens and the per-host bound', () => {
  let sim: GhesSim;
  before(async () => {
    sim = await startGhesSim({ version: '3.21.0' });
    sim.addInstallation('acme');
    for (let i = 0; i < 12; i++) sim.addRepo({ owner: 'acme', name: `svc-${i}`, defaultBranch: 'main' });
  });
  after(() => sim.close());

  const makeClients = (maxConcurrency: number) =>
    createGithubClients({
      apiUrl: sim.url,
      auth: { kind: 'app', appId: String(sim.app.appId), privateKey: sim.app.privateKeyPem, installationId: 0 },
      fetch: createFetch({ timeoutMs: 5000, name: 'github' }),
      maxConcurrency,
      metrics: createMetrics({ version: 'test' }),
      logger: createLogger({ level: 'error', secrets: createSecretScrubber([]) }),
      clock: realClock,
    });

  it('the dispatch goes out once (no plugin-retry) while reads are retried, on one installation token', async () => {
    sim.addWorkflow('acme', 'svc-0', { path: 'deploy.yml' });
    const api = createGithubApi({ clients: makeClients(4), clock: realClock });
    const tokensBefore = sim.requests().filter((r) => r.route?.endsWith('/access_tokens')).length;
    const posts = () => sim.requests().filter((r) => r.method === 'POST' && r.route?.endsWith('/dispatches')).length;
    const postsBefore = posts();
    sim.fault({ kind: 'status', status: 502, route: 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', count: 1 });
    await assert.rejects(
      api.dispatch('acme', 'svc-0', 'deploy.yml', { ref: 'main', inputs: {}, return_run_details: true }),
      (err: Error & { status?: number }) => err.status === 502,
    );
    assert.equal(posts() - postsBefore, 1, 'a 502 on the POST is not retried by Octokit');
    const ok = await api.dispatch('acme', 'svc-0', 'deploy.yml', { ref: 'main', inputs: {}, return_run_details: true });
    assert.equal(ok.status, 200);
    const created = sim.dispatches().at(-1)!;
    assert.deepEqual(ok, { status: 200, runId: created.runId, htmlUrl: `${sim.origin}/acme/svc-0/actions/runs/${created.runId}` });
    // Without the flag GHES answers 204; a 200 without the details (here a fault's body after the run was created) is read as one without them.
    assert.deepEqual(await api.dispatch('acme', 'svc-0', 'deploy.yml', { ref: 'main', inputs: {} }), { status: 204 });
    sim.fault({
      kind: 'status',
      status: 200,
      when: 'after',
      route: 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      count: 1,
    });
    assert.deepEqual(await api.dispatch('acme', 'svc-0', 'deploy.yml', { ref: 'main', inputs: {}, return_run_details: true }), {
      status: 204,
    });
    sim.fault({ kind: 'status', status: 502, route: 'GET /repos/{owner}/{repo}/actions/runs/{run_id}', count: 1 });
    const read = await api.getRun('acme', 'svc-0', ok.status === 200 ? ok.runId : 0);
    assert.equal(read?.run.id, ok.status === 200 ? ok.runId : -1, 'a 502 on a read is retried by plugin-retry');
    assert.equal(
      sim.requests().filter((r) => r.route?.endsWith('/access_tokens')).length - tokensBefore,
      1,
      'both clients share one token',
    );
  });

  it('many first requests for an installation, more than maxConcurrency, all complete', async () => {
    const logger = createLogger({ level: 'error', secrets: createSecretScrubber([]) });
    const clients = createGithubClients({
      apiUrl: sim.url,
      auth: { kind: 'app', appId: String(sim.app.appId), privateKey: sim.app.privateKeyPem, installationId: 0 },
      fetch: createFetch({ timeoutMs: 5000, name: 'github' }),
      maxConcurrency: 2,
      metrics: createMetrics({ version: 'test' }),
      logger,
      clock: realClock,
    });
    const api = createGithubApi({ clients, clock: realClock });
    const all = Promise.all(Array.from({ length: 12 }, (_, i) => api.repo('acme', `svc-${i}`)));
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('deadlocked: requests wait for a token that waits for a slot')), 10_000);
    });
    const repos = await Promise.race([all, stuck]).finally(() => clearTimeout(timer));
    assert.equal(repos.length, 12);
    assert.equal(sim.requests().filter((r) => r.route?.endsWith('/access_tokens')).length >= 1, true);
  });
});
