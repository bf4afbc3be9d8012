// After an interrupted dispatch the agent looks for the run before dispatching again: on a busy
// workflow that run can sit behind a hundred newer ones, past the first page.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DispatchContext, findExistingRun } from '../../agent/github/dispatch-workflow.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { RunsPage, WorkflowRun } from '../../agent/github/run-list-api.js';
import { deployRun, fakeDispatchContext } from './fakes/dispatch-context.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');
/** The agent's login: runs of it, of the invocation's workflow, are the agent's own (own-run.ts). */
const AGENT = 'port-app[bot]';
const run = deployRun('r_target000001');

/** Runs newest first; `titles[i]` is the i-th newest run's display title. */
function context(titles: string[]): { ctx: DispatchContext; pages: number[] } {
  const runs: WorkflowRun[] = titles.map((t, i) => ({
    id: 1000 - i,
    status: 'queued',
    conclusion: null,
    html_url: `https://ghes.example/acme/infra/actions/runs/${1000 - i}`,
    display_title: t,
    head_branch: 'main',
    created_at: new Date(T0 + 60_000 - i * 100).toISOString(),
    updated_at: new Date(T0).toISOString(),
    event: 'workflow_dispatch',
    actor: AGENT,
    path: '.github/workflows/deploy.yml',
  }));
  const pages: number[] = [];
  const api = {
    async listWorkflowRuns(_o: string, _r: string, _w: string, q: { perPage?: number; page?: number }): Promise<RunsPage> {
      const per = q.perPage ?? 50;
      const page = q.page ?? 1;
      pages.push(page);
      return { runs: runs.slice((page - 1) * per, page * per), totalCount: runs.length, serverDateMs: T0 };
    },
  } as unknown as GithubApi;
  const ctx = fakeDispatchContext(api, {
    clock: { now: () => T0 + 120_000, sleep: async () => undefined },
    correlationTimeoutMs: 1000,
    actor: AGENT,
  });
  return { ctx, pages };
}

describe('findExistingRun', () => {
  it('finds the run behind more than a page of newer runs', async () => {
    const titles = [...Array.from({ length: 150 }, (_, i) => `Deploy r_other${String(i).padStart(6, '0')}`), `Deploy ${run.runId}`];
    const { ctx, pages } = context(titles);
    const found = await findExistingRun(ctx, run, 'main', T0);
    assert.equal(found?.runId, 1000 - 150);
    assert.deepEqual(pages, [1, 2]);
  });

  it('not on any page, with run-names that show ids: none (dispatching is safe)', async () => {
    const { ctx, pages } = context(Array.from({ length: 230 }, (_, i) => `Deploy r_other${String(i).padStart(6, '0')}`));
    assert.equal(await findExistingRun(ctx, run, 'main', T0), undefined);
    assert.deepEqual(pages, [1, 2, 3]);
  });

  it('two runs showing the id anywhere in the window: ambiguous, never a guess', async () => {
    const titles = [
      `Deploy ${run.runId}`,
      ...Array.from({ length: 120 }, (_, i) => `Deploy r_other${String(i).padStart(6, '0')}`),
      `Deploy ${run.runId}`,
    ];
    const { ctx } = context(titles);
    await assert.rejects(findExistingRun(ctx, run, 'main', T0), (err: Error & { code?: string }) => err.code === 'ambiguous');
  });
});
