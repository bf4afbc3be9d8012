// Issue 23, item 5: the policy reads "main" as refs/heads/main, and the dispatch sends exactly
// that (a short name could run a tag of that name); correlation keeps filtering by the short name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dispatchWorkflow } from '../../agent/github/dispatch-workflow.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { RunsPage, WorkflowRun } from '../../agent/github/run-list-api.js';
import { evaluatePolicy, qualifiedRef } from '../../agent/policy/evaluate-policy.js';
import { deployRun, fakeDispatchContext } from './fakes/dispatch-context.js';

const run = deployRun('r_refcheck0001');

/** GHES < 3.21 (no run details) or ≥ 3.21, recording each POST's ref and each list's branch filter. */
function fakeGhes(runDetails: boolean) {
  const posted: string[] = [];
  const branches: Array<string | undefined> = [];
  let created: WorkflowRun | undefined;
  const api = {
    async dispatch(_o: string, _r: string, _w: string, body: { ref: string }) {
      posted.push(body.ref);
      created = {
        id: 5,
        status: 'queued',
        conclusion: null,
        html_url: 'https://ghes/acme/infra/actions/runs/5',
        display_title: `Deploy ${run.runId}`,
        head_branch: body.ref.replace(/^refs\/(heads|tags)\//, ''),
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        event: 'workflow_dispatch',
      };
      return runDetails ? { status: 200, runId: 5, htmlUrl: created.html_url } : { status: 204 };
    },
    async listWorkflowRuns(_o: string, _r: string, _w: string, q: { branch?: string }): Promise<RunsPage> {
      branches.push(q.branch);
      const runs = created && (q.branch === undefined || q.branch === created.head_branch) ? [created] : [];
      return { runs, totalCount: runs.length, serverDateMs: Date.now() };
    },
  } as unknown as GithubApi;
  const ctx = fakeDispatchContext(api, {
    clock: { now: Date.now, sleep: async () => undefined },
    learned: { noRunIdInput: new Set(), runDetails },
    correlationTimeoutMs: 5_000,
    pollMs: 1,
  });
  return { ctx, posted, branches };
}

describe('the dispatched ref (issue 23)', () => {
  for (const runDetails of [false, true]) {
    it(`"main" is POSTed as refs/heads/main, refs/tags/v1 as it is; the run is found (${runDetails ? 'run details' : 'correlation, branch filter by the short name'})`, async () => {
      const g = fakeGhes(runDetails);
      assert.equal((await dispatchWorkflow(g.ctx, run, { ref: 'main', inputs: {}, runIdInput: undefined })).runId, 5);
      assert.equal((await dispatchWorkflow(g.ctx, run, { ref: 'refs/tags/v1', inputs: {}, runIdInput: undefined })).runId, 5);
      assert.deepEqual(g.posted, ['refs/heads/main', 'refs/tags/v1']);
      if (!runDetails)
        assert.deepEqual(
          g.branches.filter((b) => b !== undefined),
          ['main', 'v1'],
          'run lists filter by the short name',
        );
    });
  }

  it('the ref dispatched is the ref the policy judged: the verdict on it is the verdict on what the user wrote', () => {
    assert.equal(qualifiedRef('main'), 'refs/heads/main');
    assert.equal(qualifiedRef('release/1.0'), 'refs/heads/release/1.0');
    assert.equal(qualifiedRef('refs/tags/v1'), 'refs/tags/v1');
    const ruleSets = [[], ['main'], ['@default'], ['release/*'], ['refs/tags/v*'], ['refs/heads/main'], ['*'], ['**']];
    for (const refs of ruleSets) {
      for (const ref of ['main', 'trunk', 'release/1.0', 'v1', 'refs/tags/v1', 'refs/heads/main', 'refs/tags/main']) {
        const rules = refs.length ? [{ org: '*', repo: '*', workflow: '*', refs }] : [{ org: '*', repo: '*', workflow: '*', refs: [] }];
        const subject = { org: 'acme', repo: 'infra', workflow: 'deploy.yml', defaultBranch: 'main' };
        assert.equal(
          evaluatePolicy(rules, { ...subject, ref: qualifiedRef(ref) }).allowed,
          evaluatePolicy(rules, { ...subject, ref }).allowed,
          `${ref} under [${refs.join(', ')}]`,
        );
      }
    }
  });
});
