// Issue 15: the pure decisions of a cheap resumption, and the locator's batching against a fake
// GithubApi (one paged list per repository for all the runs resumed there).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createdNoEarlierThan } from '../../agent/run/resume.js';
import { createResumeLocator, indexByPortRunId, mayBeRedelivered } from '../../agent/run/resume-locator.js';
import type { Clock } from '../../agent/util/backoff.js';

const silent: Logger = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, log() {} } as unknown as Logger;
const T0 = Date.parse('2026-01-01T10:00:00Z');

/** The agent's login: runs of it, of the invocation's workflow, are the agent's own (own-run.ts). */
const AGENT = 'port-app[bot]';

function ghRun(id: number, title: string, status = 'in_progress', createdMs = T0): WorkflowRun {
  const at = new Date(createdMs).toISOString();
  return {
    id,
    display_title: title,
    status,
    conclusion: null,
    html_url: `https://ghes/acme/a/actions/runs/${id}`,
    head_branch: 'main',
    created_at: at,
    updated_at: at,
    event: 'workflow_dispatch',
    actor: AGENT,
    path: '.github/workflows/bench.yml',
  };
}

describe('resume decisions (pure)', () => {
  it('a message written before this replica held its partition may be a redelivery; one written after, or without a timestamp, is not', () => {
    assert.equal(mayBeRedelivered(T0 - 1, T0), true);
    assert.equal(mayBeRedelivered(T0 + 1, T0), false);
    assert.equal(mayBeRedelivered(0, T0), false);
    assert.equal(
      mayBeRedelivered(T0 - 1, undefined),
      false,
      'the HTTPS intake has no partition: Port is read (the claim answer is the record anyway)',
    );
  });

  it('run-names index unfinished GitHub runs by Port run id; completed and ambiguous ones are left to Port', () => {
    const index = indexByPortRunId([
      ghRun(1, 'Deploy r_aaa'),
      ghRun(2, 'Port run r_bbb', 'completed'),
      ghRun(3, 'Port run r_ccc'),
      ghRun(4, 'again r_ccc'),
      ghRun(5, 'node wfnr_ddd'),
      ghRun(6, 'no id here'),
      ghRun(7, 'r_aaaa is another run'),
    ]);
    assert.deepEqual([...index.keys()].sort(), ['r_aaa', 'r_aaaa', 'wfnr_ddd']);
    assert.equal(index.get('r_aaa')!.runId, 1, 'r_aaa is not taken for r_aaaa (whole ids only)');
    assert.equal(index.get('wfnr_ddd')!.runId, 5);
  });

  it('a located run carries its repository ids from the list entry (no repository read to resume it)', () => {
    const index = indexByPortRunId([
      { ...ghRun(8, 'Port run r_eee'), repository_id: 42, repository_owner_id: 7 },
      ghRun(9, 'Port run r_fff'),
    ]);
    assert.deepEqual([index.get('r_eee')!.repoId, index.get('r_eee')!.ownerId], [42, 7]);
    assert.deepEqual(
      [index.get('r_fff')!.repoId, index.get('r_fff')!.ownerId],
      [undefined, undefined],
      'absent: the processor reads the repository',
    );
  });

  it('a resumed run was created no earlier than its Port record and its message, whichever is earlier', () => {
    assert.equal(createdNoEarlierThan({ writtenAtMs: T0 }, { createdAt: new Date(T0 - 5000).toISOString() }), T0 - 5000);
    assert.equal(createdNoEarlierThan({ writtenAtMs: T0 }, {}), T0);
    assert.equal(createdNoEarlierThan({ writtenAtMs: 0 }, { createdAt: 'garbage' }), undefined);
  });
});

describe('resume locator', () => {
  function setup(runs: WorkflowRun[], opts: { fail?: boolean } = {}) {
    const calls: Array<{ repo: string; createdSince?: string; page?: number }> = [];
    const api = {
      async listRepoRuns(owner: string, repo: string, q: { createdSince?: string; perPage?: number; page?: number }) {
        calls.push({ repo: `${owner}/${repo}`, createdSince: q.createdSince, page: q.page });
        if (opts.fail) throw new Error('GHES is down');
        const since = q.createdSince ? Date.parse(q.createdSince) : -Infinity;
        const all = runs.filter((r) => Date.parse(r.created_at) >= since);
        const per = q.perPage ?? 100;
        return {
          notModified: false as const,
          page: { runs: all.slice(((q.page ?? 1) - 1) * per, (q.page ?? 1) * per), totalCount: all.length, serverDateMs: T0 },
        };
      },
    } as unknown as GithubApi;
    const clock: Clock = { now: () => T0, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) };
    return { calls, locator: createResumeLocator({ api, clock, logger: silent, actor: AGENT, gatherMs: 5 }) };
  }

  it('250 runs resumed in one repository cost one paged list (3 pages), not 250 requests', async () => {
    const runs = Array.from({ length: 250 }, (_, i) => ghRun(1000 + i, `Bench r_${String(i).padStart(4, '0')}`));
    const { calls, locator } = setup(runs);
    const signal = new AbortController().signal;
    const found = await Promise.all(
      runs.map((_, i) =>
        locator.locate({ runId: `r_${String(i).padStart(4, '0')}`, org: 'acme', repo: 'a', workflow: 'bench.yml' }, T0 - 60_000, signal),
      ),
    );
    assert.equal(found.filter(Boolean).length, 250);
    assert.equal(found[42]!.runId, 1042);
    assert.deepEqual(
      calls.map((c) => c.page),
      [1, 2, 3],
    );
    assert.ok(Date.parse(calls[0]!.createdSince!) <= T0 - 60_000, 'the window reaches back to the oldest message');
  });

  it("a backlog trickling in reuses the repository's last list while it covers the lookups (one list, not one per gathering)", async () => {
    const runs = Array.from({ length: 20 }, (_, i) => ghRun(1000 + i, `Bench r_${i}`));
    const { calls, locator } = setup(runs);
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++)
      assert.equal(
        (await locator.locate({ runId: `r_${i}`, org: 'acme', repo: 'a', workflow: 'bench.yml' }, T0 - 60_000 + i, signal))?.runId,
        1000 + i,
      );
    assert.equal(calls.length, 1);
    // A message older than the list's window needs a new list.
    await locator.locate({ runId: 'r_0', org: 'acme', repo: 'a', workflow: 'bench.yml' }, T0 - 3600_000, signal);
    assert.equal(calls.length, 2);
  });

  it('a run no list shows, a completed one, or a failed list: undefined, so the caller reads Port', async () => {
    const { locator } = setup([ghRun(1, 'Bench r_done', 'completed')]);
    const signal = new AbortController().signal;
    assert.equal(await locator.locate({ runId: 'r_missing', org: 'acme', repo: 'a', workflow: 'bench.yml' }, T0, signal), undefined);
    assert.equal(await locator.locate({ runId: 'r_done', org: 'acme', repo: 'a', workflow: 'bench.yml' }, T0, signal), undefined);
    const failing = setup([ghRun(1, 'Bench r_x')], { fail: true });
    assert.equal(await failing.locator.locate({ runId: 'r_x', org: 'acme', repo: 'a', workflow: 'bench.yml' }, T0, signal), undefined);
  });
});
