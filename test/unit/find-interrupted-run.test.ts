import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import { findRunByRunName } from '../../agent/run/find-interrupted-run.js';
import type { Clock } from '../../agent/util/backoff.js';

const clock: Clock = { now: () => 0, sleep: async () => undefined };
/** The agent's login: runs of it, of the invocation's workflow, are the agent's own (own-run.ts). */
const AGENT = 'port-app[bot]';
const ghRun = (id: number, title: string): WorkflowRun =>
  ({
    id,
    display_title: title,
    head_branch: 'main',
    created_at: '2026-01-01T00:00:00Z',
    event: 'workflow_dispatch',
    html_url: `https://ghes/runs/${id}`,
    status: 'queued',
    conclusion: null,
    actor: AGENT,
    path: '.github/workflows/deploy.yml',
  }) as WorkflowRun;

/** A repository with `n` runs, newest first, served 100 per page. */
function repoWith(titles: string[]) {
  const pages: number[] = [];
  const api = {
    listRepoRuns: async (_o: string, _r: string, q: { page?: number; perPage?: number }) => {
      const page = q.page ?? 1;
      pages.push(page);
      const per = q.perPage ?? 100;
      const runs = titles.slice((page - 1) * per, page * per).map((t, i) => ghRun((page - 1) * per + i + 1, t));
      return { notModified: false as const, page: { runs, totalCount: titles.length, serverDateMs: 0 } };
    },
  };
  return { api, pages };
}

describe('findRunByRunName', () => {
  const target = { runId: 'r_target', org: 'acme', repo: 'infra', workflow: 'deploy.yml' };

  it('finds the run beyond the first page (hundreds of newer runs in front of it)', async () => {
    const titles = Array.from({ length: 250 }, (_, i) => `Port run r_other${i}`);
    titles[180] = 'Port run r_target';
    const { api, pages } = repoWith(titles);
    const found = await findRunByRunName({ api, clock, signal: new AbortController().signal, actor: AGENT }, target, 0);
    assert.equal(found?.runId, 181);
    assert.deepEqual(pages, [1, 2, 3]);
  });

  it('undefined when no run shows the id; refuses to choose between two', async () => {
    const none = repoWith(['Port run r_a', 'Port run r_b']);
    assert.equal(
      await findRunByRunName({ api: none.api, clock, signal: new AbortController().signal, actor: AGENT }, target, 0),
      undefined,
    );
    assert.deepEqual(none.pages, [1], 'a short page is the last');
    const two = repoWith(['Port run r_target', 'x', 'Port run r_target (again)']);
    await assert.rejects(
      findRunByRunName({ api: two.api, clock, signal: new AbortController().signal, actor: AGENT }, target, 0),
      /2 runs .* will not guess/,
    );
  });
});
