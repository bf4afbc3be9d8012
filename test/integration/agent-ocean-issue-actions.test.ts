// Issue 24: the issue and comment family of Port's GitHub Ocean actions (edit_issue,
// close_issue, edit_pr_comment, delete_pr_comment) end to end on the HTTPS intake (the only
// intake carrying them: Port's `ORG_ID.github.runs` topic carries workflow dispatches only —
// shared/reference/port-protocol.md) and as workflow nodes, with the agent as a process on the
// Port and GHES simulators: success with Ocean's messages and labels, GitHub's documented
// refusals (404, 410 issues disabled, 422, a comment of another repository), the policy's
// refusal before any GHES request, and a kill between each write and its report: the
// replacement sends the idempotent PATCH again, and reads the DELETE's 404 against the intent it
// recorded in Port: SUCCESS, no error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type IntegrationProps, type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const TYPES = ['edit_issue', 'close_issue', 'edit_pr_comment', 'delete_pr_comment'];
const PATCH_ISSUE = 'PATCH /repos/{owner}/{repo}/issues/{issue_number}';
const PATCH_COMMENT = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';
const DELETE_COMMENT = 'DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}';
const POLICY = {
  allow: [
    { org: 'acme', repo: 'infra' },
    { org: 'acme', repo: 'docs', actions: TYPES },
    { org: 'acme', repo: 'quiet', actions: TYPES },
  ],
};
// The HTTPS intake alone, quick to claim, with a short claim window so re-offers after a kill come within the test.
const overrides = {
  kafka: { enabled: false },
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 10_000, leaseSeconds: 20, rediscoveryIntervalSeconds: 1 },
  policy: POLICY,
};
const asProps = (p: Record<string, unknown>) => p as unknown as IntegrationProps;
const docs = (p: Record<string, unknown>) => asProps({ org: 'acme', repo: 'docs', ...p });

describe('Ocean issue and comment actions on the HTTPS intake and as workflow nodes', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  const start = async () => {
    const a = await startAgentProcess(stack, { auth: 'app', overrides });
    agents.push(a);
    await a.waitReady();
    return a;
  };
  const issue = (repo: string, n: number) => stack.ghes.tracker.issues().find((i) => i.repo === repo && i.number === n)!;
  const comment = (id: number) => stack.ghes.tracker.comments().find((c) => c.id === id);
  const newIssue = (title: string) => stack.ghes.tracker.addIssue('acme', 'docs', { title, body: 'as reported', labels: ['triage'] });
  const newComment = (n: number, body: string, repo = 'docs') => stack.ghes.tracker.addComment('acme', repo, n, { body, user: 'alice' });
  const run = (type: string, props: IntegrationProps, kind: 'action' | 'workflow-node' = 'action') =>
    stack.createIntegrationRun(props, { kind, integrationActionType: type });

  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' }, port: { recordResponses: true } });
    stack.ghes.addRepo({ owner: 'acme', name: 'docs', defaultBranch: 'main' });
    stack.ghes.addRepo({ owner: 'acme', name: 'quiet', defaultBranch: 'main', hasIssues: false });
    stack.ghes.addRepo({ owner: 'acme', name: 'other', defaultBranch: 'main' });
    await start();
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  test('edit_issue: the fields replaced, "Issue #N updated: URL", "Issue updated", acknowledged once', async () => {
    const n = newIssue('Typo');
    const r = run('edit_issue', docs({ issueNumber: n, title: 'Typo on /start', labels: ['docs'], assignees: [] }));
    const done = await stack.waitForRun(r.id, (x) => isFinal(x) && x.acks === 1);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.match(done.summary ?? '', new RegExp(`^Issue #${n} updated: https?://\\S+/acme/docs/issues/${n}$`));
    assert.equal(done.statusLabel, 'Issue updated');
    assert.ok(done.logs.some((l) => l.message === `Editing issue #${n} in acme/docs`));
    assert.equal(issue('docs', n).title, 'Typo on /start');
    assert.deepEqual(issue('docs', n).labels, ['docs']);
  });

  test('close_issue as a workflow node: closed with the reason asked, output number and URL', async () => {
    const n = newIssue('Obsolete');
    const r = run('close_issue', docs({ issueNumber: n, stateReason: 'not_planned' }), 'workflow-node');
    const done = await stack.waitForRun(r.id, isFinal);
    assert.equal(done.result, 'SUCCESS');
    assert.equal(done.output?.number, n);
    assert.match(String(done.output?.url), new RegExp(`/acme/docs/issues/${n}$`));
    assert.deepEqual([issue('docs', n).state, issue('docs', n).stateReason], ['closed', 'not_planned']);
  });

  test('edit_pr_comment: the body replaced exactly as sent, "Comment updated: URL"; as a node, the comment id in the output', async () => {
    const n = newIssue('Has comments');
    const id = newComment(n, 'draft');
    const r = run('edit_pr_comment', docs({ commentId: id, body: 'Deployed to **staging**' }));
    const done = await stack.waitForRun(r.id, isFinal);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(comment(id)?.body, 'Deployed to **staging**');
    assert.match(done.summary ?? '', new RegExp(`^Comment updated: https?://\\S+/acme/docs/issues/${n}#issuecomment-${id}$`));
    assert.equal(done.statusLabel, 'Comment updated');
    const node = await stack.waitForRun(run('edit_pr_comment', docs({ commentId: id, body: 'Deployed' }), 'workflow-node').id, isFinal);
    assert.equal(node.result, 'SUCCESS');
    assert.deepEqual([node.output?.commentId, node.output?.number], [id, n]);
  });

  test('delete_pr_comment: deleted, "Comment N deleted from acme/docs"; the same run again finds nothing: FAILURE "comment not found"', async () => {
    const n = newIssue('Noisy');
    const id = newComment(n, 'spam');
    const first = await stack.waitForRun(run('delete_pr_comment', docs({ commentId: id })).id, isFinal);
    assert.equal(first.status, 'SUCCESS', first.summary);
    assert.equal(first.summary, `Comment ${id} deleted from acme/docs`);
    assert.equal(first.statusLabel, 'Comment deleted');
    assert.equal(comment(id), undefined);
    const again = await stack.waitForRun(run('delete_pr_comment', docs({ commentId: id }), 'workflow-node').id, isFinal);
    assert.equal(again.result, 'FAILED');
    assert.match(String(again.output?.summary), new RegExp(`could not delete comment ${id} in acme/docs: comment not found \\(404\\)`));
  });

  test("GitHub's documented refusals end FAILURE with the reason: 404, 410 issues disabled, 422, another repository's comment", async () => {
    const n = newIssue('Refusals');
    const elsewhere = newComment(stack.ghes.tracker.addIssue('acme', 'other', { title: 'Other' }), 'keep me', 'other');
    const cases: Array<[string, IntegrationProps, RegExp]> = [
      [
        'edit_issue',
        docs({ issueNumber: 9999, title: 'x' }),
        /could not edit issue #9999 in acme\/docs: issue #9999 in acme\/docs not found \(404\)/,
      ],
      [
        'close_issue',
        asProps({ org: 'acme', repo: 'quiet', issueNumber: 1 }),
        /could not close issue #1 in acme\/quiet: issues are disabled in this repository \(410 Gone: Issues are disabled for this repo\)/,
      ],
      [
        'edit_issue',
        docs({ issueNumber: n, milestone: 3 }),
        /could not edit issue #\d+ in acme\/docs: GHES refused the change \(422 Validation Failed: .*milestone/,
      ],
      [
        'edit_pr_comment',
        docs({ commentId: elsewhere, body: 'taken over' }),
        new RegExp(`could not edit comment ${elsewhere} in acme/docs: comment ${elsewhere} in acme/docs not found \\(404\\)`),
      ],
      [
        'delete_pr_comment',
        docs({ commentId: elsewhere }),
        new RegExp(`could not delete comment ${elsewhere} in acme/docs: comment not found \\(404\\)`),
      ],
    ];
    const runs = cases.map(([type, props]) => run(type, props));
    for (const [i, r] of runs.entries()) {
      const done = await stack.waitForRun(r.id, (x) => isFinal(x) && x.acks === 1);
      assert.equal(done.status, 'FAILURE', `${cases[i]![0]}: ${done.summary}`);
      assert.match(done.summary ?? '', cases[i]![2]);
    }
    assert.equal(comment(elsewhere)?.body, 'keep me', "another repository's comment is neither edited nor deleted");
  });

  test('the policy: a repository whose rule names none of these types refuses each before any GHES request', async () => {
    const n = stack.ghes.tracker.addIssue('acme', 'infra', { title: 'Guarded' });
    const id = newComment(n, 'guarded', 'infra');
    const since = Date.now();
    const props = { org: 'acme', repo: 'infra', issueNumber: n, commentId: id, title: 'x', body: 'x' };
    for (const type of TYPES) {
      const done = await stack.waitForRun(run(type, asProps(props)).id, (x) => isFinal(x) && x.acks === 1);
      assert.equal(done.status, 'FAILURE');
      assert.match(done.summary ?? '', new RegExp(`action ${type} on acme/infra matches no rule of policy\\.allow naming it`));
    }
    const touched = stack.ghes.requests().filter((q) => q.at >= since && q.path.includes('/repos/acme/infra/issues'));
    assert.deepEqual(touched, []);
    assert.equal(comment(id)?.body, 'guarded');
    assert.equal(issue('infra', n).title, 'Guarded');
  });

  test('killed between each write and its report: the replacement reports SUCCESS, no error from the repeated write', async () => {
    const edited = newIssue('Crash edit');
    const closed = newIssue('Crash close');
    const n = newIssue('Crash comments');
    const editedComment = newComment(n, 'before');
    const deletedComment = newComment(n, 'to delete');
    // Each write takes effect, then its answer hangs: the agent is killed meanwhile.
    const removers = [
      stack.ghes.fault({ route: PATCH_ISSUE, when: 'after', count: 2, kind: 'latency', latencyMs: 120_000 }),
      stack.ghes.fault({ route: PATCH_COMMENT, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 }),
      stack.ghes.fault({ route: DELETE_COMMENT, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 }),
    ];
    const runs = [
      run('edit_issue', docs({ issueNumber: edited, title: 'Edited once' })),
      run('close_issue', docs({ issueNumber: closed })),
      run('edit_pr_comment', docs({ commentId: editedComment, body: 'after' })),
      run('delete_pr_comment', docs({ commentId: deletedComment })),
    ];
    const since = Date.now();
    const tookEffect = () =>
      issue('docs', edited).title === 'Edited once' &&
      issue('docs', closed).state === 'closed' &&
      comment(editedComment)?.body === 'after' &&
      comment(deletedComment) === undefined;
    while (!tookEffect()) {
      assert.ok(Date.now() - since < 30_000, 'the writes never reached GHES');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(stack.port.getRun(runs[3]!.id)?.statusLabel, 'Deleting comment', 'the intent was recorded before the DELETE');
    const first = agents.at(-1)!;
    first.kill();
    await first.waitExit();
    for (const remove of removers) remove();
    await start();
    const expected = [
      new RegExp(`^Issue #${edited} updated: `),
      new RegExp(`^Issue #${closed} closed: `),
      /^Comment updated: /,
      new RegExp(`^Comment ${deletedComment} deleted from acme/docs$`),
    ];
    for (const [i, r] of runs.entries()) {
      const done = await stack.waitForRun(r.id, isFinal, 60_000);
      assert.equal(done.status, 'SUCCESS', `${TYPES[i]}: ${done.summary}`);
      assert.match(done.summary ?? '', expected[i]!);
      assert.deepEqual(
        done.logs.filter((l) => l.level === 'ERROR' || l.message.startsWith('ghes-agent:')),
        [],
        `${TYPES[i]}: no error logged`,
      );
    }
    assert.equal(stack.ghes.tracker.comments().filter((c) => c.issueNumber === n && c.repo === 'docs').length, 1);
  });
});
