// Issue 24: update_pull_request, merge_pull_request and review_pull_request end to end, with the
// agent as a process on the Port and GHES simulators, on the HTTPS intake and as workflow nodes
// (setup as agent-ocean-actions.test.ts). The documented refusals come from the GHES simulator
// (pulls/merge: 405 "Pull Request is not mergeable" for a conflicting pull request, 409 for a
// head that moved from the sha given). At most once across a crash between the write and its
// report: the merge's answer hangs, the agent is killed, Port offers the run again and the
// replacement sees the pull request merged (GET …/merge) and reports SUCCESS without a second
// PUT; likewise a review is found by the run's marker and not posted again. All three routes are
// in every GHES description (3.17 on), so the refusal tested is the policy's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../sim/ghes/test-helpers.js';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type IntegrationProps, type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const MERGE = 'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge';
const REVIEW = 'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews';
const UPDATE = 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}';
const PR_TYPES = ['update_pull_request', 'merge_pull_request', 'review_pull_request'];
const POLICY = {
  allow: [
    { org: 'acme', repo: 'infra' },
    { org: 'acme', repo: 'docs', actions: PR_TYPES },
  ],
};
const overrides = {
  kafka: { enabled: false },
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 10_000, leaseSeconds: 20, rediscoveryIntervalSeconds: 1 },
  policy: POLICY,
};
const asProps = (p: Record<string, unknown>) => p as unknown as IntegrationProps;
const PAT = 'pat-alice-pulls';
const BRANCHES = ['upd', 'upd-node', 'mrg', 'mrg-node', 'mrg-conflict', 'mrg-moved', 'mrg-crash', 'rev', 'rev-node', 'rev-crash'];

describe('update, merge and review pull requests on the HTTPS intake and as workflow nodes', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  const numbers = new Map<string, number>();
  const start = async () => {
    const a = await startAgentProcess(stack, { auth: 'app', overrides });
    agents.push(a);
    await a.waitReady();
    return a;
  };
  const pull = (head: string) => stack.ghes.tracker.pulls().find((p) => p.repo === 'docs' && p.head === head)!;
  const reviewsOn = (head: string) => stack.ghes.tracker.reviews().filter((v) => v.repo === 'docs' && v.pullNumber === numbers.get(head));
  const requestsTo = (route: string, since = 0) => stack.ghes.requests().filter((r) => r.route === route && r.at >= since);
  const killAgent = async () => {
    const first = agents.at(-1)!;
    first.kill();
    await first.waitExit();
  };
  const waitFor = async (what: string, ok: () => boolean) => {
    const since = Date.now();
    while (!ok()) {
      assert.ok(Date.now() - since < 30_000, what);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' }, port: { recordResponses: true } });
    stack.ghes.addRepo({ owner: 'acme', name: 'docs', defaultBranch: 'main', branches: BRANCHES });
    // The pull requests are alice's: GitHub refuses an approval of one's own pull request.
    stack.ghes.addToken(PAT, { orgs: ['acme'], login: 'alice' });
    for (const head of BRANCHES) {
      const r = await call(stack.ghes, '/repos/acme/docs/pulls', {
        token: PAT,
        method: 'POST',
        body: { title: `PR ${head}`, head, base: 'main' },
      });
      assert.equal(r.status, 201, r.text);
      numbers.set(head, (r.json as { number: number }).number);
    }
    await start();
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  test('update_pull_request: "Updating pull request", the title and body changed, SUCCESS with Ocean\'s message, acknowledged once', async () => {
    const n = numbers.get('upd')!;
    const run = stack.createIntegrationRun(
      asProps({ org: 'acme', repo: 'docs', prNumber: n, title: 'Renamed from Port', body: 'New text' }),
      {
        integrationActionType: 'update_pull_request',
      },
    );
    const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.match(done.summary ?? '', new RegExp(`^Pull request #${n} updated: https?://\\S+/acme/docs/pull/${n}$`));
    assert.equal(done.statusLabel, 'Pull request updated');
    assert.ok(done.logs.some((l) => l.message === `Updating pull request #${n} in acme/docs`));
    assert.equal(pull('upd').title, 'Renamed from Port');
    assert.equal(pull('upd').body, 'New text');
  });

  test("update_pull_request: GitHub's 422 for a base that does not exist ends FAILURE with its reason", async () => {
    const n = numbers.get('upd')!;
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: n, base: 'no-such-branch' }), {
      integrationActionType: 'update_pull_request',
    });
    const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(done.status, 'FAILURE');
    assert.match(done.summary ?? '', new RegExp(`could not update pull request #${n} in acme/docs: .*422`));
    assert.equal(pull('upd').base, 'main');
  });

  test("merge_pull_request: merged with the method asked, SUCCESS with Ocean's message and the pull request's link", async () => {
    const n = numbers.get('mrg')!;
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: n, mergeMethod: 'squash' }), {
      integrationActionType: 'merge_pull_request',
    });
    const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(done.summary, `Pull request #${n} merged via squash`);
    assert.equal(done.statusLabel, 'Pull request merged');
    assert.match(String(done.link), new RegExp(`/acme/docs/pull/${n}$`));
    assert.ok(done.logs.some((l) => l.message === `Merging pull request #${n} in acme/docs (squash)`));
    assert.equal(pull('mrg').merged, true);
  });

  test('merge_pull_request: 405 for a conflicting pull request and 409 for a head that moved from the sha given — FAILURE, not merged', async () => {
    stack.ghes.tracker.setMergeState('acme', 'docs', numbers.get('mrg-conflict')!, 'dirty');
    const conflict = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: numbers.get('mrg-conflict') }), {
      integrationActionType: 'merge_pull_request',
    });
    const moved = stack.createIntegrationRun(
      asProps({ org: 'acme', repo: 'docs', prNumber: numbers.get('mrg-moved'), sha: '0'.repeat(40) }),
      {
        integrationActionType: 'merge_pull_request',
      },
    );
    const c = await stack.waitForRun(conflict.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(c.status, 'FAILURE');
    assert.match(c.summary ?? '', /could not merge pull request #\d+ in acme\/docs: .*405 Pull Request is not mergeable/);
    const m = await stack.waitForRun(moved.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(m.status, 'FAILURE');
    assert.match(m.summary ?? '', /could not merge pull request #\d+ in acme\/docs: .*409/);
    assert.equal(pull('mrg-conflict').merged, false);
    assert.equal(pull('mrg-moved').merged, false);
  });

  test("review_pull_request: an APPROVE of alice's pull request, the run's marker in its body, SUCCESS with Ocean's message", async () => {
    const n = numbers.get('rev')!;
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: n, event: 'APPROVE' }), {
      integrationActionType: 'review_pull_request',
    });
    const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const reviews = reviewsOn('rev');
    assert.equal(reviews.length, 1);
    assert.equal(reviews[0]!.state, 'APPROVED');
    assert.equal(reviews[0]!.body, `<!-- port-run: ${run.id} -->`);
    assert.match(
      done.summary ?? '',
      new RegExp(
        `^Review \\(APPROVE\\) submitted on pull request #${n}: https?://\\S+/acme/docs/pull/${n}#pullrequestreview-${reviews[0]!.id}$`,
      ),
    );
    assert.equal(done.statusLabel, 'Review submitted');
  });

  test('each type as a workflow node: SUCCESS, the output carries the pull request number and URL', async () => {
    const runs = [
      { type: 'update_pull_request', head: 'upd-node', props: { title: 'Node title' } },
      { type: 'merge_pull_request', head: 'mrg-node', props: { mergeMethod: 'rebase' } },
      { type: 'review_pull_request', head: 'rev-node', props: { event: 'COMMENT', body: 'Seen by the node' } },
    ].map((c) => ({
      ...c,
      run: stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: numbers.get(c.head), ...c.props }), {
        kind: 'workflow-node',
        integrationActionType: c.type,
      }),
    }));
    for (const c of runs) {
      const done = await stack.waitForRun(c.run.id, isFinal);
      assert.equal(done.result, 'SUCCESS', `${c.type}: ${done.summary}`);
      assert.equal(done.output?.number, numbers.get(c.head), c.type);
      assert.match(String(done.output?.url), new RegExp(`/acme/docs/pull/${numbers.get(c.head)}`), c.type);
    }
    assert.equal(pull('upd-node').title, 'Node title');
    assert.equal(pull('mrg-node').merged, true);
    assert.equal(reviewsOn('rev-node').length, 1);
  });

  test('the policy: a repository whose rule names none of these types refuses each, FAILURE, acknowledged, nothing written', async () => {
    const before = stack.ghes.requests().length;
    const runs = PR_TYPES.map((type) =>
      stack.createIntegrationRun(asProps({ org: 'acme', repo: 'infra', prNumber: 1, title: 't', event: 'APPROVE' }), {
        integrationActionType: type,
      }),
    );
    for (const [i, run] of runs.entries()) {
      const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
      assert.equal(done.status, 'FAILURE');
      assert.match(
        done.summary ?? '',
        new RegExp(`action ${PR_TYPES[i]} on acme/infra matches no rule of policy\\.allow naming it \\(acme/docs\\)`),
      );
    }
    const touched = stack.ghes
      .requests()
      .slice(before)
      .filter((r) => [MERGE, REVIEW, UPDATE].includes(r.route ?? '') || /\/acme\/infra\/pulls/.test(r.path));
    assert.deepEqual(touched, []);
  });

  test('merge, killed between the merge and its report: the replacement sees it merged and reports SUCCESS, no second PUT', async () => {
    const n = numbers.get('mrg-crash')!;
    const remove = stack.ghes.fault({ route: MERGE, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 });
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: n }), {
      integrationActionType: 'merge_pull_request',
    });
    await waitFor('the merge never reached GHES', () => pull('mrg-crash').merged);
    await killAgent();
    remove();
    const restartedAt = Date.now();
    await start();
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(done.summary, `Pull request #${n} merged via merge`);
    assert.deepEqual(requestsTo(MERGE, restartedAt), [], 'no second PUT …/merge');
    assert.ok(requestsTo('GET /repos/{owner}/{repo}/pulls/{pull_number}/merge', restartedAt).length >= 1, 'checked GET …/merge');
  });

  test('review, killed between the review and its report: found by its marker, no second review', async () => {
    const n = numbers.get('rev-crash')!;
    const remove = stack.ghes.fault({ route: REVIEW, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 });
    const run = stack.createIntegrationRun(
      asProps({ org: 'acme', repo: 'docs', prNumber: n, event: 'REQUEST_CHANGES', body: 'Needs a test' }),
      {
        integrationActionType: 'review_pull_request',
      },
    );
    await waitFor('the review never reached GHES', () => reviewsOn('rev-crash').length > 0);
    await killAgent();
    remove();
    await start();
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const reviews = reviewsOn('rev-crash');
    assert.equal(reviews.length, 1, 'one review');
    assert.equal(reviews[0]!.body, `Needs a test\n\n<!-- port-run: ${run.id} -->`);
    assert.match(done.summary ?? '', new RegExp(`#pullrequestreview-${reviews[0]!.id}$`));
  });
});
