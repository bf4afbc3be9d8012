// After a 5xx or a dropped connection on the dispatch POST the run may exist and still be missing
// from the lists for seconds (GitHub creates runs asynchronously; Ocean polls 30 × 2 s). The
// agent keeps looking for github.correlationTimeoutSeconds before it POSTs again (issue 12,
// item 3); before, it looked once about a second later and dispatched a second run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dispatchWorkflow } from '../../agent/github/dispatch-workflow.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { RunsPage, WorkflowRun } from '../../agent/github/run-list-api.js';
import { AgentError } from '../../agent/errors.js';
import { interruptedLookUntil } from '../../agent/run/resume.js';
import { deployRun, fakeDispatchContext } from './fakes/dispatch-context.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const run = deployRun('r_target000001');
/** The agent's login: runs of it, of the invocation's workflow, are the agent's own (own-run.ts). */
const AGENT = 'port-app[bot]';
const req = { ref: 'main', inputs: { port_run_id: run.runId }, runIdInput: 'port_run_id' };

/**
 * A GHES whose dispatch POST takes effect and then fails (502), and whose lists show the new run
 * only `listedAfterMs` after the POST. Its other runs' titles show Port run ids (run-name set).
 */
function scenario(opts: { listedAfterMs: number; runDetails: boolean; serverOffsetMs?: number }) {
  let now = T0;
  const posts: number[] = [];
  const ours: WorkflowRun = {
    id: 77,
    status: 'queued',
    conclusion: null,
    html_url: 'https://ghes.example/acme/infra/actions/runs/77',
    display_title: `Deploy ${run.runId}`,
    head_branch: 'main',
    created_at: new Date(T0 + (opts.serverOffsetMs ?? 0)).toISOString(),
    updated_at: new Date(T0).toISOString(),
    event: 'workflow_dispatch',
    actor: AGENT,
    path: '.github/workflows/deploy.yml',
  };
  const older: WorkflowRun = {
    ...ours,
    id: 70,
    display_title: 'Deploy r_someone0001',
    created_at: new Date(T0 - 60_000 + (opts.serverOffsetMs ?? 0)).toISOString(),
  };
  const api = {
    async dispatch() {
      posts.push(now);
      // The second POST (if it ever comes) is answered, with the run's id.
      if (posts.length > 1) return { status: 200, runId: 99, htmlUrl: 'https://ghes.example/acme/infra/actions/runs/99' };
      throw new AgentError('server', 'dispatching acme/infra deploy.yml: GHES answered 502 Server Error', { retriable: true, status: 502 });
    },
    async listWorkflowRuns(_o: string, _r: string, _w: string, q: { createdSince?: string; page?: number }): Promise<RunsPage> {
      const since = q.createdSince ? Date.parse(q.createdSince) : -Infinity;
      const runs = [...(now - T0 >= opts.listedAfterMs ? [ours] : []), older].filter((r) => Date.parse(r.created_at) >= since);
      return { runs: (q.page ?? 1) > 1 ? [] : runs, totalCount: runs.length, serverDateMs: now + (opts.serverOffsetMs ?? 0) };
    },
  } as unknown as GithubApi;
  const ctx = fakeDispatchContext(api, {
    clock: {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    },
    learned: { noRunIdInput: new Set(), runDetails: opts.runDetails },
    correlationTimeoutMs: 60_000,
    actor: AGENT,
    serverOffsetMs: opts.serverOffsetMs === undefined ? undefined : () => opts.serverOffsetMs!,
  });
  return { ctx, posts, elapsed: () => now - T0 };
}

describe('an interrupted dispatch is looked for long enough', () => {
  for (const runDetails of [true, false]) {
    it(`a run listed 20 s after a 502 is found, and no second POST goes out (${runDetails ? 'GHES ≥ 3.21' : 'GHES < 3.21'})`, async () => {
      const s = scenario({ listedAfterMs: 20_000, runDetails });
      const found = await dispatchWorkflow(s.ctx, run, req);
      assert.equal(found.runId, 77);
      assert.equal(s.posts.length, 1, 'one POST');
      assert.ok(s.elapsed() >= 20_000 && s.elapsed() < 60_000);
    });
  }

  it('a run that never shows up: the POST is repeated only after correlationTimeoutMs', async () => {
    const s = scenario({ listedAfterMs: Infinity, runDetails: true });
    const second = await dispatchWorkflow(s.ctx, run, req);
    assert.equal(second.runId, 99);
    assert.equal(s.posts.length, 2, 'dispatched again in the end');
    assert.ok(s.posts[1]! - s.posts[0]! >= 60_000, `second POST ${s.posts[1]! - s.posts[0]!} ms after the first`);
  });

  it('on GHES\'s clock: a run created 10 minutes "ago" by the local clock (GHES behind) is still found', async () => {
    const s = scenario({ listedAfterMs: 3_000, runDetails: true, serverOffsetMs: -600_000 });
    const found = await dispatchWorkflow(s.ctx, run, req);
    assert.equal(found.runId, 77);
    assert.equal(s.posts.length, 1);
  });
});

describe('a resumed run labelled "Dispatching": how long it is looked for', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it('until correlationTimeout after the label was written', () => {
    assert.equal(interruptedLookUntil(now, '2026-12-01T09:59:50Z', 20_000), now + 10_000);
  });
  it('one look only when the label is older than that', () => {
    assert.ok(interruptedLookUntil(now, '2026-12-01T09:00:00Z', 20_000) <= now);
  });
  it('never longer than correlationTimeout from now (a label stamped in the future by a clock that disagrees)', () => {
    assert.equal(interruptedLookUntil(now, '2026-12-01T10:05:00Z', 20_000), now + 20_000);
  });
  it('the whole correlationTimeout when Port does not say when the label was written', () => {
    assert.equal(interruptedLookUntil(now, undefined, 20_000), now + 20_000);
    assert.equal(interruptedLookUntil(now, 'not a date', 20_000), now + 20_000);
  });
});
