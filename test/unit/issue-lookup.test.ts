// Issue 24's at most once for create_issue: after an interruption the run's issue is looked for
// by its marker among the agent's own issues. Once only the newest 100 were read, so an agent
// that opened more issues in the repository between the first attempt and the look missed the
// run's issue and made a second one. The look-up now pages through the issues updated since the
// run was written (GitHub's `since`, @octokit/openapi ghes-3.17 issues/list-for-repo), against the
// GHES simulator's list route (pagination, `since`, `creator`).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createContentApi } from '../../agent/github/content-api.js';
import { createGithubClients } from '../../agent/github/github-client.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { startGhesSim } from '../sim/ghes/server.js';
import type { GhesSim } from '../sim/ghes/types.js';

describe("create_issue's look-up of an earlier attempt's issue", () => {
  let sim: GhesSim;
  before(async () => {
    sim = await startGhesSim({ version: '3.21.0' });
    sim.addInstallation('acme');
    sim.addRepo({ owner: 'acme', name: 'busy', defaultBranch: 'main' });
  });
  after(() => sim.close());

  const content = () =>
    createContentApi({
      clients: createGithubClients({
        apiUrl: sim.url,
        auth: { kind: 'app', appId: String(sim.app.appId), privateKey: sim.app.privateKeyPem, installationId: 0 },
        fetch: createFetch({ timeoutMs: 5000, name: 'github' }),
        maxConcurrency: 4,
        metrics: createMetrics({ version: 'test' }),
        logger: createLogger({ level: 'error', secrets: createSecretScrubber([]) }),
        clock: realClock,
      }),
      clock: realClock,
    });

  it('finds the run’s issue behind 150 newer issues of the agent, and nothing for a run that made none', async () => {
    const api = content();
    const runWrittenAt = Date.now() - 1000;
    const marker = '<!-- port-run: r_lookup0000000001 -->';
    const mine = await api.createIssue('acme', 'busy', { title: 'the run’s issue', body: `Rotate\n\n${marker}` });
    for (let i = 0; i < 150; i++) await api.createIssue('acme', 'busy', { title: `later ${i}`, body: `<!-- port-run: r_other${i} -->` });
    const login = `${sim.app.slug}[bot]`;
    const found = await api.findIssueByMarker('acme', 'busy', marker, login, runWrittenAt - 60_000);
    assert.deepEqual(found, mine);
    assert.equal(await api.findIssueByMarker('acme', 'busy', '<!-- port-run: r_none -->', login, runWrittenAt - 60_000), undefined);
  });
});
