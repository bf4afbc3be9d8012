// Issue 24: the issue and comment family of Ocean's action catalogue (edit_issue, close_issue,
// edit_pr_comment, delete_pr_comment), each through its executor chosen from the registry, driven
// through the message processor against fakes: a fake Port that keeps each run's record, and a
// fake GHES whose refusals are built by the agent's own classifier from GitHub's documented
// answers (PATCH …/issues/{n}: 404, 410 issues disabled, 422, 403; PATCH and DELETE
// …/issues/comments/{id}: 404, 422; a comment is found only under its own repository).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCloseIssue } from '../../agent/actions/close-issue.js';
import { decodeDeletePrComment } from '../../agent/actions/delete-pr-comment.js';
import { decodeEditIssue } from '../../agent/actions/edit-issue.js';
import { decodeEditPrComment } from '../../agent/actions/edit-pr-comment.js';
import type { PolicyRule } from '../../agent/config/schema.js';
import { classifyGithubError } from '../../agent/github/classify-error.js';
import type { ContentApi } from '../../agent/github/content-api.js';
import type { IssuePatch } from '../../agent/github/content-writes.js';
import type { PortRun } from '../../agent/types/port-run.js';
import type { ActionRequest, RunRequest } from '../../agent/types/run-request.js';
import { actionHarness, actionRequest } from './fakes/action-harness.js';

const RUN_ID = 'r_issueact00000001';
const BOT = 'ghes-agent[bot]';
const TYPES = ['edit_issue', 'close_issue', 'edit_pr_comment', 'delete_pr_comment'];
const ALLOW: PolicyRule[] = [{ org: 'acme', repo: 'infra', workflow: '*', refs: [], actions: TYPES }];
const URL = 'https://ghes.example.com';

/** GitHub's error answer as Octokit throws it, through the agent's classifier (what content-api.ts throws). */
const ghError = (status: number, message: string, errors?: unknown[]) =>
  classifyGithubError(
    { status, message, response: { headers: {}, data: { message, ...(errors ? { errors } : {}) } } },
    'the request',
    'ghes.example.com',
    0,
  );

interface Issue {
  repo: string;
  number: number;
  state: 'open' | 'closed';
  stateReason: string | null;
  title: string;
  labels: string[];
}
interface Comment {
  repo: string;
  id: number;
  issue: number;
  body: string;
}

/** GHES's issues and comments of acme/infra and acme/other, as the REST API answers them. */
function fakeGhes(events: string[]) {
  const issues: Issue[] = [
    { repo: 'acme/infra', number: 7, state: 'open', stateReason: null, title: 'Old', labels: ['bug'] },
    { repo: 'acme/infra', number: 8, state: 'closed', stateReason: 'not_planned', title: 'Closed', labels: [] },
  ];
  const comments: Comment[] = [
    { repo: 'acme/infra', id: 501, issue: 7, body: 'first' },
    { repo: 'acme/other', id: 601, issue: 3, body: 'elsewhere' },
  ];
  /** One-shot answers for the next request: a refusal before effect, or a lost answer after it. */
  const faults: Array<{ when: 'before' | 'after'; error: Error }> = [];
  const fault = async <T>(effect: () => T): Promise<T> => {
    const f = faults.shift();
    if (f?.when === 'before') throw f.error;
    const out = effect();
    if (f?.when === 'after') throw f.error;
    return out;
  };
  const content = {
    async editIssue(owner: string, repo: string, number: number, body: IssuePatch) {
      events.push(`ghes PATCH issues #${number} ${JSON.stringify(body)}`);
      return fault(() => {
        const i = issues.find((x) => x.repo === `${owner}/${repo}` && x.number === number);
        if (!i) throw ghError(404, 'Not Found');
        if (body.title !== undefined) i.title = body.title;
        if (body.labels) i.labels = body.labels;
        if (body.state === 'closed') [i.state, i.stateReason] = ['closed', body.state_reason ?? 'completed'];
        return { number, htmlUrl: `${URL}/${owner}/${repo}/issues/${number}` };
      });
    },
    async editIssueComment(owner: string, repo: string, id: number, body: string) {
      events.push(`ghes PATCH comment ${id} ${JSON.stringify(body)}`);
      return fault(() => {
        const c = comments.find((x) => x.repo === `${owner}/${repo}` && x.id === id);
        if (!c) throw ghError(404, 'Not Found');
        c.body = body;
        return { number: c.issue, id, htmlUrl: `${URL}/${owner}/${repo}/pull/${c.issue}#issuecomment-${id}` };
      });
    },
    async deleteIssueComment(owner: string, repo: string, id: number) {
      events.push(`ghes DELETE comment ${id}`);
      return fault(() => {
        const at = comments.findIndex((x) => x.repo === `${owner}/${repo}` && x.id === id);
        if (at < 0) throw ghError(404, 'Not Found');
        comments.splice(at, 1);
      });
    },
  } as unknown as ContentApi;
  return { content, issues, comments, faults };
}

function harness(opts: { record?: Partial<PortRun>; policy?: PolicyRule[]; runId?: string } = {}) {
  const runId = opts.runId ?? RUN_ID;
  const events: string[] = [];
  const ghes = fakeGhes(events);
  const h = actionHarness({ ...opts, runId, events, content: ghes.content, policy: opts.policy ?? ALLOW, actor: BOT, version: [3, 17, 0] });
  const run = (action: ActionRequest, over: Partial<RunRequest> = {}): Promise<void> =>
    h.run(actionRequest(runId, action, { org: 'acme', repo: 'infra', ...over }));
  const before = (a: string, b: (e: string) => boolean) => {
    const i = events.indexOf(a);
    const j = events.findIndex(b);
    return i >= 0 && j > i;
  };
  return { run, events, ghes, final: h.final, counted: h.counted, ghesCalls: h.ghesCalls, before };
}

const act = (type: string, props: Record<string, unknown>): ActionRequest => ({ type, props });
const editIssue = (p: Record<string, unknown> = {}) => act('edit_issue', { org: 'acme', repo: 'infra', issueNumber: 7, ...p });
const closeIssue = (p: Record<string, unknown> = {}) => act('close_issue', { org: 'acme', repo: 'infra', issueNumber: 7, ...p });
const editComment = (p: Record<string, unknown> = {}) =>
  act('edit_pr_comment', { org: 'acme', repo: 'infra', commentId: 501, body: 'Deployed: **ok**', ...p });
const deleteComment = (p: Record<string, unknown> = {}) => act('delete_pr_comment', { org: 'acme', repo: 'infra', commentId: 501, ...p });

describe("decoding the execution properties (Ocean's inputs), every problem named", () => {
  it('edit_issue: the PATCH body from title, body, labels, assignees, milestone and state', () => {
    const d = decodeEditIssue({
      org: 'acme',
      repo: 'infra',
      issueNumber: '12',
      title: 'New',
      body: '',
      labels: [],
      assignees: ['ann'],
      milestone: null,
      state: 'closed',
    });
    assert.deepEqual(d, {
      ok: true,
      value: {
        org: 'acme',
        repo: 'infra',
        issueNumber: 12,
        patch: { title: 'New', body: '', labels: [], assignees: ['ann'], milestone: null, state: 'closed', state_reason: 'completed' },
      },
    });
  });

  it('edit_issue: nothing to change, a bad number, a bad state and a bad milestone are each named', () => {
    assert.deepEqual(decodeEditIssue({ org: 'acme', repo: 'infra', issueNumber: 7 }), {
      ok: false,
      problems: ['at least one field to update is required (title, body, state, labels, assignees, or milestone)'],
    });
    const d = decodeEditIssue({ org: 'acme', repo: 'infra', issueNumber: -1, state: 'done', milestone: 'v1', labels: 'bug' });
    assert.equal(d.ok, false);
    assert.deepEqual(!d.ok && d.problems, [
      'integrationActionExecutionProperties.issueNumber is not an issue number',
      'integrationActionExecutionProperties.labels is not a list of names',
      'integrationActionExecutionProperties.milestone is not a milestone number or null',
      'integrationActionExecutionProperties.state is not open or closed',
    ]);
  });

  it("close_issue: stateReason defaults to completed; duplicate needs duplicateIssueId; anything else is refused (Ocean's resolve_close_reason)", () => {
    assert.deepEqual(decodeCloseIssue({ org: 'acme', repo: 'infra', issueNumber: 7 }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', issueNumber: 7, reason: { state_reason: 'completed' } },
    });
    assert.deepEqual(decodeCloseIssue({ org: 'acme', repo: 'infra', issueNumber: 7, stateReason: 'duplicate', duplicateIssueId: 99 }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', issueNumber: 7, reason: { state_reason: 'duplicate', duplicate_issue_id: 99 } },
    });
    const dup = decodeCloseIssue({ org: 'acme', repo: 'infra', issueNumber: 7, stateReason: 'duplicate' });
    assert.deepEqual(!dup.ok && dup.problems, [
      "integrationActionExecutionProperties.duplicateIssueId is required when stateReason is 'duplicate'",
    ]);
    const bad = decodeCloseIssue({ org: 'acme', issueNumber: 'x', stateReason: 'wontfix' });
    assert.deepEqual(!bad.ok && bad.problems, [
      'integrationActionExecutionProperties.repo is missing',
      'integrationActionExecutionProperties.issueNumber is not an issue number',
      'integrationActionExecutionProperties.stateReason must be one of: completed, duplicate, not_planned',
    ]);
  });

  it('edit_pr_comment and delete_pr_comment: commentId an integer (or its decimal string), body non-empty', () => {
    assert.deepEqual(decodeEditPrComment({ org: 'acme', repo: 'infra', commentId: '501', body: 'x' }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', commentId: 501, body: 'x' },
    });
    const e = decodeEditPrComment({ org: 'acme', repo: 'infra', commentId: 1.5, body: '' });
    assert.deepEqual(!e.ok && e.problems, [
      'integrationActionExecutionProperties.commentId is not a comment id',
      'integrationActionExecutionProperties.body is not a non-empty string of at most 65536 characters',
    ]);
    const d = decodeDeletePrComment({ org: 'acme', repo: 'infra' });
    assert.deepEqual(!d.ok && d.problems, ['integrationActionExecutionProperties.commentId is missing']);
  });

  it('an invalid run is refused FAILURE naming the field, counted, with no GHES request', async () => {
    const h = harness();
    await h.run(editComment({ commentId: 'abc' }));
    assert.deepEqual(h.ghesCalls(), []);
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /invalid run: integrationActionExecutionProperties\.commentId is not a comment id/);
    assert.equal(await h.counted('invalid'), 1);
  });
});

describe('the policy decides before any GHES request (issue 23; issue 24 item 3)', () => {
  for (const [type, action] of [
    ['edit_issue', editIssue({ title: 'x' })],
    ['close_issue', closeIssue()],
    ['edit_pr_comment', editComment()],
    ['delete_pr_comment', deleteComment()],
  ] as const) {
    it(`${type}: a rule that does not name it (dispatch_workflow only) refuses it, nothing read or written on GHES`, async () => {
      const h = harness({ policy: [{ org: 'acme', repo: '*', workflow: '*', refs: [] }] });
      await h.run(action);
      assert.deepEqual(h.ghesCalls(), []);
      assert.equal(h.final()[0]?.status, 'FAILURE');
      assert.match(String(h.final()[0]?.summary), new RegExp(`action ${type} on acme/infra is named by no rule`));
      assert.equal(await h.counted('policy_denied'), 1);
    });
  }
});

describe('edit_issue (ocean edit_issue_executor.py)', () => {
  it('"Editing issue" before the PATCH, Ocean\'s log line, then SUCCESS "Issue #N updated: URL" with the link and node fields', async () => {
    const h = harness();
    await h.run(editIssue({ title: 'New title', labels: ['ops'] }));
    assert.ok(
      h.before('port PATCH {"statusLabel":"Editing issue"}', (e) => e.startsWith('ghes PATCH')),
      h.events.join('\n'),
    );
    assert.deepEqual(h.ghesCalls(), ['ghes PATCH issues #7 {"title":"New title","labels":["ops"]}']);
    assert.ok(h.events.includes('port LOG Editing issue #7 in acme/infra'));
    assert.deepEqual(h.final(), [
      {
        status: 'SUCCESS',
        summary: `Issue #7 updated: ${URL}/acme/infra/issues/7`,
        statusLabel: 'Issue updated',
        link: `${URL}/acme/infra/issues/7`,
        nodeOutput: { number: 7, url: `${URL}/acme/infra/issues/7` },
      },
    ]);
    assert.equal(h.ghes.issues[0]!.title, 'New title');
  });

  const refusals: Array<[number, string, RegExp]> = [
    [404, 'Not Found', /could not edit issue #7 in acme\/infra: issue #7 in acme\/infra not found \(404\)/],
    [
      410,
      'Issues are disabled for this repo',
      /could not edit issue #7 in acme\/infra: issues are disabled in this repository \(410 Gone: Issues are disabled for this repo\)/,
    ],
    [
      422,
      'Validation Failed',
      /could not edit issue #7 in acme\/infra: GHES refused the change \(422 Validation Failed: Validation Failed \[\{"resource":"Issue","field":"milestone","code":"invalid"\}\]\)/,
    ],
    [
      403,
      'Resource not accessible by integration',
      /could not edit issue #7 in acme\/infra: GHES refused access \(403: Resource not accessible by integration\): the App needs Issues: read & write/,
    ],
  ];
  for (const [status, message, expected] of refusals) {
    it(`GitHub's documented ${status} ends the run FAILURE with a clear reason, counted, one PATCH`, async () => {
      const h = harness();
      const errors = status === 422 ? [{ resource: 'Issue', field: 'milestone', code: 'invalid' }] : undefined;
      h.ghes.faults.push({ when: 'before', error: ghError(status, message, errors) });
      await h.run(editIssue({ milestone: 3 }));
      assert.equal(h.ghesCalls().length, 1);
      assert.equal(h.final()[0]?.status, 'FAILURE');
      assert.match(String(h.final()[0]?.summary), expected);
      assert.equal(await h.counted('action_failed'), 1);
    });
  }

  it('a crash between the write and its report (record shows "Editing issue"): the PATCH is sent again, idempotent, SUCCESS', async () => {
    const h = harness({ record: { statusLabel: 'Editing issue' } });
    h.ghes.issues[0]!.title = 'Already new';
    await h.run(editIssue({ title: 'Already new' }));
    assert.deepEqual(h.ghesCalls(), ['ghes PATCH issues #7 {"title":"Already new"}']);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('an answer lost after the PATCH took effect (502): sent again, SUCCESS, no error', async () => {
    const h = harness();
    h.ghes.faults.push({ when: 'after', error: ghError(502, 'Bad Gateway') });
    await h.run(editIssue({ title: 'Twice' }));
    assert.equal(h.ghesCalls().length, 2);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
    assert.equal(h.ghes.issues[0]!.title, 'Twice');
  });

  it('a workflow node editing an issue ends with its number and URL for the node output', async () => {
    const h = harness({ runId: 'wfnr_issueedit0001' });
    await h.run(editIssue({ body: 'x' }), { runId: 'wfnr_issueedit0001', runKind: 'workflow-node' });
    assert.deepEqual(h.final()[0]?.nodeOutput, { number: 7, url: `${URL}/acme/infra/issues/7` });
  });
});

describe('close_issue (ocean close_issue_executor.py): idempotent', () => {
  it('"Closing issue" before the PATCH {state: closed, state_reason}, Ocean\'s log line and message', async () => {
    const h = harness();
    await h.run(closeIssue({ stateReason: 'not_planned' }));
    assert.ok(
      h.before('port PATCH {"statusLabel":"Closing issue"}', (e) => e.startsWith('ghes PATCH')),
      h.events.join('\n'),
    );
    assert.deepEqual(h.ghesCalls(), ['ghes PATCH issues #7 {"state":"closed","state_reason":"not_planned"}']);
    assert.ok(h.events.includes('port LOG Closing issue #7 in acme/infra as not_planned'));
    assert.equal(h.final()[0]?.summary, `Issue #7 closed: ${URL}/acme/infra/issues/7`);
    assert.equal(h.final()[0]?.statusLabel, 'Issue closed');
    assert.deepEqual([h.ghes.issues[0]!.state, h.ghes.issues[0]!.stateReason], ['closed', 'not_planned']);
  });

  it('after a crash (record shows "Closing issue"), closing the closed issue again succeeds', async () => {
    const h = harness({ record: { statusLabel: 'Closing issue' } });
    await h.run(closeIssue({ issueNumber: 8 }));
    assert.equal(h.final()[0]?.status, 'SUCCESS');
    assert.equal(h.ghesCalls().length, 1);
  });

  it("GitHub's 404 for an issue that does not exist ends FAILURE", async () => {
    const h = harness();
    await h.run(closeIssue({ issueNumber: 404 }));
    assert.match(String(h.final()[0]?.summary), /could not close issue #404 in acme\/infra: issue #404 in acme\/infra not found \(404\)/);
  });
});

describe('edit_pr_comment (ocean edit_pr_comment_executor.py)', () => {
  it('"Editing comment", the body exactly as Ocean sends it (no marker), then "Comment updated: URL" and its label', async () => {
    const h = harness();
    await h.run(editComment());
    assert.ok(
      h.before('port PATCH {"statusLabel":"Editing comment"}', (e) => e.startsWith('ghes PATCH')),
      h.events.join('\n'),
    );
    assert.deepEqual(h.ghesCalls(), ['ghes PATCH comment 501 "Deployed: **ok**"']);
    assert.equal(h.ghes.comments[0]!.body, 'Deployed: **ok**');
    assert.ok(h.events.includes('port LOG Editing comment 501 in acme/infra'));
    const url = `${URL}/acme/infra/pull/7#issuecomment-501`;
    assert.deepEqual(h.final(), [
      {
        status: 'SUCCESS',
        summary: `Comment updated: ${url}`,
        statusLabel: 'Comment updated',
        link: url,
        nodeOutput: { number: 7, commentId: 501, url },
      },
    ]);
  });

  it('a comment id of another repository than the run names: GHES answers 404, FAILURE, that comment unchanged', async () => {
    const h = harness();
    await h.run(editComment({ commentId: 601 }));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /could not edit comment 601 in acme\/infra: comment 601 in acme\/infra not found \(404\)/);
    assert.equal(h.ghes.comments[1]!.body, 'elsewhere');
  });

  it("GitHub's 422 ends FAILURE with its message", async () => {
    const h = harness();
    h.ghes.faults.push({ when: 'before', error: ghError(422, 'Body is too long') });
    await h.run(editComment());
    assert.match(
      String(h.final()[0]?.summary),
      /could not edit comment 501 in acme\/infra: GHES refused the change \(422 Validation Failed: Body is too long\)/,
    );
  });

  it('a crash between the write and its report (record shows "Editing comment"): the PATCH is sent again, SUCCESS', async () => {
    const h = harness({ record: { statusLabel: 'Editing comment' } });
    await h.run(editComment());
    assert.equal(h.final()[0]?.status, 'SUCCESS');
    assert.equal(h.ghesCalls().length, 1);
  });
});

describe("delete_pr_comment (ocean delete_pr_comment_executor.py): a 404 read against the run's own record", () => {
  it('"Deleting comment" awaited before the DELETE, then "Comment N deleted from org/repo", "Comment deleted", no link', async () => {
    const h = harness();
    await h.run(deleteComment());
    assert.ok(
      h.before('port PATCH {"statusLabel":"Deleting comment"}', (e) => e.startsWith('ghes DELETE')),
      h.events.join('\n'),
    );
    assert.ok(h.events.includes('port LOG Deleting comment 501 in acme/infra'));
    assert.deepEqual(h.final(), [
      { status: 'SUCCESS', summary: 'Comment 501 deleted from acme/infra', statusLabel: 'Comment deleted', nodeOutput: { commentId: 501 } },
    ]);
    assert.equal(
      h.ghes.comments.some((c) => c.id === 501),
      false,
    );
  });

  it('a 404 with no intent recorded before: the comment never existed here, FAILURE "comment not found"', async () => {
    const h = harness();
    await h.run(deleteComment({ commentId: 999 }));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /could not delete comment 999 in acme\/infra: comment not found \(404\)/);
    assert.equal(await h.counted('action_failed'), 1);
  });

  it('a 404 when "Deleting comment" was recorded by a first attempt: that attempt deleted it, SUCCESS', async () => {
    const h = harness({ record: { statusLabel: 'Deleting comment' } });
    h.ghes.comments.splice(0, 1); // the first attempt's DELETE took effect before the crash
    await h.run(deleteComment());
    assert.deepEqual(h.ghesCalls(), ['ghes DELETE comment 501']);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
    assert.equal(h.final()[0]?.summary, 'Comment 501 deleted from acme/infra');
  });

  it('a comment of another repository than the run names: 404, FAILURE, that comment not deleted', async () => {
    const h = harness();
    await h.run(deleteComment({ commentId: 601 }));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /comment not found/);
    assert.equal(
      h.ghes.comments.some((c) => c.id === 601),
      true,
    );
  });

  it("an answer lost after the DELETE took effect (502): the retry's 404 is that DELETE's effect, SUCCESS", async () => {
    const h = harness();
    h.ghes.faults.push({ when: 'after', error: ghError(502, 'Bad Gateway') });
    await h.run(deleteComment());
    assert.deepEqual(h.ghesCalls(), ['ghes DELETE comment 501', 'ghes DELETE comment 501']);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });
});
