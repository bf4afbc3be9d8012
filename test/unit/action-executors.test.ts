// Issue 24, items 1-4: Ocean's action types other than dispatch_workflow, each through its
// executor chosen from the registry, driven through the message processor against fakes: a
// fake Port that keeps each run's record, and a fake GHES content API that behaves as GitHub
// documents (one open pull request per head and base: a second POST is a 422 "A pull request
// already exists"; issues listed newest first, pull requests among them marked). Each case of
// issue 23's trust rules for a new path (the policy decides before any GHES request) and of
// issue 24's at-most-once (a crash between the intent and the write, between the write and its
// report) is one test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyRule } from '../../agent/config/schema.js';
import { AgentError } from '../../agent/errors.js';
import type { ContentApi } from '../../agent/github/content-api.js';
import type { Made } from '../../agent/github/content-writes.js';
import { SINCE_MARGIN_MS } from '../../agent/actions/write-once.js';
import { ACTION_ROUTES, actionAvailability } from '../../agent/github/ghes-routes.js';
import type { Version } from '../../agent/github/ghes-version.js';
import { LeaseExpired } from '../../agent/run/run-scope.js';
import type { PortRun } from '../../agent/types/port-run.js';
import type { ActionRequest, RunRequest } from '../../agent/types/run-request.js';
import { actionHarness, actionRequest } from './fakes/action-harness.js';

const RUN_ID = 'r_action0000000001';
const BOT = 'ghes-agent[bot]';
const ALLOW_ALL: PolicyRule[] = [
  {
    org: 'acme',
    repo: 'infra',
    workflow: '*',
    refs: [],
    actions: ['create_pull_request', 'create_issue', 'create_pr_comment', 'close_pull_request'],
  },
];

const PR_PROPS = { org: 'acme', repo: 'infra', title: 'Bump api', head: 'bump-api', base: 'main', body: 'Why: CVE', draft: true };
const ISSUE_PROPS = { org: 'acme', repo: 'infra', title: 'Rotate keys', body: 'Please rotate', labels: ['ops'] };

const request = (action: ActionRequest, over: Partial<RunRequest> = {}): RunRequest => actionRequest(RUN_ID, action, over);

/** GitHub's pull requests and issues of acme/infra, as the REST API answers them. */
function fakeGhes(events: string[]) {
  const pulls: Array<Made & { head: string; base: string; open: boolean }> = [];
  const issues: Array<Made & { body: string; creator: string }> = [];
  /** The `sinceMs` of each issue look-up. */
  const sinces: number[] = [];
  let next = 1;
  const content = {
    async createPullRequest(owner, repo, body) {
      events.push(`ghes POST pulls ${JSON.stringify(body)}`);
      if (pulls.some((p) => p.open && p.head === body.head && p.base === body.base)) {
        throw new AgentError(
          'inputs',
          `creating a pull request in ${owner}/${repo}: 422 Validation Failed: A pull request already exists for acme:${body.head}.`,
          { retriable: false },
        );
      }
      const pr = {
        number: next++,
        htmlUrl: `https://ghes.example.com/${owner}/${repo}/pull/${next - 1}`,
        head: body.head,
        base: body.base,
        open: true,
      };
      pulls.push(pr);
      return { number: pr.number, htmlUrl: pr.htmlUrl };
    },
    async findPullRequest(_owner, _repo, head, base) {
      events.push(`ghes GET pulls head=${head} base=${base}`);
      const pr = pulls.find((p) => p.open && p.head === head && p.base === base);
      return pr && { number: pr.number, htmlUrl: pr.htmlUrl };
    },
    async createIssue(owner, repo, body) {
      events.push(`ghes POST issues ${JSON.stringify(body)}`);
      const issue = {
        number: next++,
        htmlUrl: `https://ghes.example.com/${owner}/${repo}/issues/${next - 1}`,
        body: body.body,
        creator: BOT,
      };
      issues.push(issue);
      return { number: issue.number, htmlUrl: issue.htmlUrl };
    },
    async findIssueByMarker(_owner, _repo, marker, creator, sinceMs) {
      events.push(`ghes GET issues creator=${creator}`);
      sinces.push(sinceMs);
      const hit = [...issues].reverse().find((i) => (creator === undefined || i.creator === creator) && i.body.includes(marker));
      return hit && { number: hit.number, htmlUrl: hit.htmlUrl };
    },
  } as ContentApi;
  const comments: Array<{ id: number; number: number; htmlUrl: string; body: string; creator: string }> = [];
  content.createIssueComment = async (owner, repo, number, body) => {
    events.push(`ghes POST comments #${number} ${JSON.stringify(body)}`);
    const c = {
      id: 900 + comments.length,
      number,
      htmlUrl: `https://ghes.example.com/${owner}/${repo}/pull/${number}#issuecomment-${900 + comments.length}`,
      body,
      creator: BOT,
    };
    comments.push(c);
    return { number, id: c.id, htmlUrl: c.htmlUrl };
  };
  content.findCommentByMarker = async (_owner, _repo, number, marker, creator) => {
    events.push(`ghes GET comments #${number} creator=${creator}`);
    const c = comments.find((x) => x.number === number && x.body.includes(marker) && (creator === undefined || x.creator === creator));
    return c && { number, id: c.id, htmlUrl: c.htmlUrl };
  };
  content.closePullRequest = async (owner, repo, number) => {
    events.push(`ghes PATCH pulls #${number} closed`);
    const pr = pulls.find((p) => p.number === number);
    if (!pr) throw new AgentError('not_found', `closing ${owner}/${repo}#${number}: 404 Not Found`, { retriable: false, status: 404 });
    pr.open = false;
    return { number: pr.number, htmlUrl: pr.htmlUrl };
  };
  return { content, pulls, issues, comments, sinces };
}

function harness(
  opts: { record?: Partial<PortRun>; policy?: PolicyRule[]; version?: Version; runId?: string; dispatchByMs?: number } = {},
) {
  const events: string[] = [];
  const ghes = fakeGhes(events);
  const h = actionHarness({
    ...opts,
    runId: opts.runId ?? RUN_ID,
    events,
    content: ghes.content,
    policy: opts.policy ?? ALLOW_ALL,
    actor: BOT,
  });
  return { run: h.run, runRejected: h.runRejected, events, records: h.records, ghes, sent: h.sent, counted: h.counted, final: h.final };
}

const pr = (props: Record<string, unknown> = PR_PROPS): ActionRequest => ({ type: 'create_pull_request', props });
const issue = (props: Record<string, unknown> = ISSUE_PROPS): ActionRequest => ({ type: 'create_issue', props });
const ghesCalls = (events: string[]) => events.filter((e) => e.startsWith('ghes'));

describe('create_pull_request (ocean create_pull_request_executor.py)', () => {
  it('writes "Creating PR" before the POST, then ends SUCCESS with Ocean\'s message, the link and "PR created"', async () => {
    const h = harness();
    await h.run(request(pr()));
    const intent = h.events.findIndex((e) => e === 'port PATCH {"statusLabel":"Creating PR"}');
    const post = h.events.findIndex((e) => e.startsWith('ghes POST pulls'));
    assert.ok(intent >= 0 && post > intent, `intent label before the POST: ${h.events.join('\n')}`);
    assert.equal(h.events[post], 'ghes POST pulls {"title":"Bump api","head":"bump-api","base":"main","body":"Why: CVE","draft":true}');
    assert.ok(h.events.includes("port LOG Creating pull request 'Bump api' in acme/infra (bump-api → main)"));
    assert.deepEqual(h.final(), [
      {
        status: 'SUCCESS',
        summary: 'Pull request #1 created: https://ghes.example.com/acme/infra/pull/1',
        statusLabel: 'PR created',
        link: 'https://ghes.example.com/acme/infra/pull/1',
        nodeOutput: { number: 1, url: 'https://ghes.example.com/acme/infra/pull/1' },
      },
    ]);
    assert.equal(h.ghes.pulls.length, 1);
    assert.equal(await h.counted('executed'), 1);
  });

  it('a run missing head is refused FAILURE naming the field, with no GHES request', async () => {
    const h = harness();
    await h.run(request(pr({ ...PR_PROPS, head: undefined })));
    assert.deepEqual(ghesCalls(h.events), []);
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /integrationActionExecutionProperties\.head is missing/);
    assert.equal(await h.counted('invalid'), 1);
  });

  it("GitHub's 422 for a pull request that already exists (opened by someone else) ends FAILURE with its message", async () => {
    const h = harness();
    await h.ghes.content.createPullRequest('acme', 'infra', { title: 'someone else', head: 'bump-api', base: 'main' });
    h.events.length = 0;
    await h.run(request(pr()));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /could not create pull request in acme\/infra: .*A pull request already exists/);
    assert.equal(await h.counted('action_failed'), 1);
  });

  it('a crash between the intent and the write: the redelivery finds no pull request and creates exactly one', async () => {
    const h = harness({ record: { statusLabel: 'Creating PR' } });
    await h.run(request(pr()));
    assert.equal(h.ghes.pulls.length, 1);
    assert.deepEqual(
      ghesCalls(h.events).map((e) => e.split(' ').slice(0, 3).join(' ')),
      ['ghes GET pulls', 'ghes POST pulls'],
    );
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('a crash between the write and its report: the redelivery finds the pull request by head and base and reports it, no second POST', async () => {
    const h = harness({ record: { statusLabel: 'Creating PR' } });
    await h.ghes.content.createPullRequest('acme', 'infra', { title: 'Bump api', head: 'bump-api', base: 'main' });
    h.events.length = 0;
    await h.run(request(pr()));
    assert.deepEqual(ghesCalls(h.events), ['ghes GET pulls head=bump-api base=main']);
    assert.equal(h.ghes.pulls.length, 1);
    assert.equal(h.final()[0]?.summary, 'Pull request #1 created: https://ghes.example.com/acme/infra/pull/1');
    assert.equal(await h.counted('resumed'), 1);
  });
});

describe('create_issue (ocean create_issue_executor.py)', () => {
  it("creates the issue with the run's marker in its body, intent label first, and reports Ocean's message", async () => {
    const h = harness();
    await h.run(request(issue()));
    const intent = h.events.findIndex((e) => e === 'port PATCH {"statusLabel":"Creating issue"}');
    const post = h.events.findIndex((e) => e.startsWith('ghes POST issues'));
    assert.ok(intent >= 0 && post > intent, h.events.join('\n'));
    assert.equal(h.ghes.issues[0]?.body, `Please rotate\n\n<!-- port-run: ${RUN_ID} -->`);
    assert.match(h.events[post]!, /"labels":\["ops"\]/);
    assert.equal(h.final()[0]?.summary, 'Issue #1 created: https://ghes.example.com/acme/infra/issues/1');
    assert.deepEqual(h.final()[0]?.nodeOutput, { number: 1, url: 'https://ghes.example.com/acme/infra/issues/1' });
  });

  it('a crash between the write and its report: found by its marker, no second issue', async () => {
    const h = harness({ record: { statusLabel: 'Creating issue' } });
    await h.ghes.content.createIssue('acme', 'infra', { title: 'Rotate keys', body: `Please rotate\n\n<!-- port-run: ${RUN_ID} -->` });
    h.events.length = 0;
    await h.run(request(issue()));
    assert.deepEqual(ghesCalls(h.events), [`ghes GET issues creator=${BOT}`]);
    assert.equal(h.ghes.issues.length, 1);
    assert.equal(h.final()[0]?.summary, 'Issue #1 created: https://ghes.example.com/acme/infra/issues/1');
  });

  it("the look-up reads the issues updated since the run was written (less the clocks' margin), not a fixed newest 100", async () => {
    const h = harness({ record: { statusLabel: 'Creating issue' } });
    await h.run(request(issue()));
    assert.deepEqual(h.ghes.sinces, [Date.parse('2026-05-01T00:00:00Z') - SINCE_MARGIN_MS]);
  });

  it('a crash between the intent and the write: nothing found, exactly one issue created', async () => {
    const h = harness({ record: { statusLabel: 'Creating issue' } });
    await h.run(request(issue()));
    assert.equal(h.ghes.issues.length, 1);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it("an issue someone else planted with the run's marker is not taken for the run's (looked for among the agent's own)", async () => {
    const h = harness({ record: { statusLabel: 'Creating issue' } });
    h.ghes.issues.push({
      number: 99,
      htmlUrl: 'https://ghes.example.com/acme/infra/issues/99',
      body: `<!-- port-run: ${RUN_ID} -->`,
      creator: 'mallory',
    });
    await h.run(request(issue()));
    assert.equal(h.ghes.issues.length, 2);
    assert.doesNotMatch(String(h.final()[0]?.summary), /#99/);
  });
});

describe('policy and GHES version for the new types (issues 23 and 24)', () => {
  it('with no policy rules, create_pull_request is refused before any GHES request (upgrading changes nothing)', async () => {
    const h = harness({ policy: [] });
    await h.run(request(pr()));
    assert.deepEqual(ghesCalls(h.events), []);
    assert.match(String(h.final()[0]?.summary), /action create_pull_request on acme\/infra is named by no rule of policy\.allow/);
    assert.equal(await h.counted('policy_denied'), 1);
  });

  it('a rule without actions allows dispatch_workflow only: create_issue is refused there', async () => {
    const h = harness({ policy: [{ org: 'acme', repo: '*', workflow: '*', refs: [] }] });
    await h.run(request(issue()));
    assert.deepEqual(ghesCalls(h.events), []);
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /action create_issue on acme\/infra is named by no rule/);
  });

  it('a rule naming the type for another repository refuses it here', async () => {
    const h = harness({ policy: [{ org: 'acme', repo: 'docs', workflow: '*', refs: [], actions: ['create_issue'] }] });
    await h.run(request(issue()));
    assert.deepEqual(ghesCalls(h.events), []);
    assert.match(String(h.final()[0]?.summary), /matches no rule of policy\.allow naming it \(acme\/docs\)/);
  });

  it('a GHES older than the version whose description has the route refuses the type, naming that version', async () => {
    const h = harness({ version: [3, 16, 4] });
    await h.run(request(pr()));
    assert.deepEqual(ghesCalls(h.events), []);
    assert.match(String(h.final()[0]?.summary), /create_pull_request needs GHES 3\.17 or later .*this GHES is 3\.16\.4/);
    assert.equal(await h.counted('unsupported_on_ghes'), 1);
  });

  it("Ocean's external custom-property types are refused: no GHES version documents the routes they write with", async () => {
    const h = harness();
    await h.run(
      request({ type: 'update_repo_external_custom_properties', props: { org: 'acme', repo: 'infra', properties: { tier: '1' } } }),
    );
    assert.deepEqual(ghesCalls(h.events), []);
    assert.match(
      String(h.final()[0]?.summary),
      /update_repo_external_custom_properties writes with routes \(PATCH \/orgs\/\{org\}\/properties\/installations\/values\) that no GHES version documents/,
    );
    assert.equal(await h.counted('unsupported'), 1);
  });

  it('every catalogue type whose routes a GHES version documents has an executor: none is refused for want of one', async () => {
    // Ocean's registry (port-labs/ocean integrations/github/github/actions/registry.py) as
    // github/ghes-routes.ts lists it: each type with a documented route reaches its executor
    // (its decoder names the missing properties), never "no executor".
    const types = Object.keys(ACTION_ROUTES).filter((t) => actionAvailability(t, [3, 19, 0]).ok);
    assert.equal(types.length, 12, 'dispatch_workflow and the eleven pull-request, issue and comment types');
    for (const type of types) {
      const h = harness();
      await h.run(request({ type, props: { org: 'acme', repo: 'infra' } }));
      assert.doesNotMatch(String(h.final()[0]?.summary ?? ''), /no executor/, type);
    }
  });
});

describe('workflow nodes run the new types too', () => {
  it('a node run (wfnr_…) creating a pull request ends with its number and URL for the node output', async () => {
    const h = harness({ runId: 'wfnr_node000000001' });
    await h.run(request(pr(), { runId: 'wfnr_node000000001', runKind: 'workflow-node' }));
    assert.deepEqual(h.final()[0]?.nodeOutput, { number: 1, url: 'https://ghes.example.com/acme/infra/pull/1' });
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });
});

describe('an answer lost on the way back (issue 24, item 2)', () => {
  it('a 502 after the pull request was made: found by head and base, reported, no second POST', async () => {
    const h = harness();
    const create = h.ghes.content.createPullRequest.bind(h.ghes.content);
    let first = true;
    h.ghes.content.createPullRequest = async (...args) => {
      const made = await create(...args);
      if (first) {
        first = false;
        throw new AgentError('server', 'creating a pull request in acme/infra: 502 Bad Gateway', { retriable: true, status: 502 });
      }
      return made;
    };
    await h.run(request(pr()));
    assert.equal(h.ghes.pulls.length, 1);
    assert.equal(ghesCalls(h.events).filter((e) => e.startsWith('ghes POST')).length, 1);
    assert.equal(h.final()[0]?.summary, 'Pull request #1 created: https://ghes.example.com/acme/infra/pull/1');
  });

  it('a 503 before any effect: nothing found, the POST is tried again and one issue made', async () => {
    const h = harness();
    const create = h.ghes.content.createIssue.bind(h.ghes.content);
    let first = true;
    h.ghes.content.createIssue = async (...args) => {
      if (first) {
        first = false;
        throw new AgentError('server', 'creating an issue in acme/infra: 503 Service Unavailable', { retriable: true, status: 503 });
      }
      return create(...args);
    };
    await h.run(request(issue()));
    assert.equal(h.ghes.issues.length, 1);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });
});

describe("the claim's lease bounds the retries of a write (issue 24, item 2)", () => {
  it('GHES answering 503 past the lease: the run is let go (LeaseExpired), no POST after the lease, no report', async () => {
    const h = harness({ dispatchByMs: 20_000 });
    h.ghes.content.createPullRequest = async () => {
      h.events.push('ghes POST pulls');
      throw new AgentError('server', 'creating a pull request in acme/infra: 503 Service Unavailable', { retriable: true, status: 503 });
    };
    const err = await h.runRejected(request(pr()));
    assert.ok(err instanceof LeaseExpired, String(err));
    const posts = h.events.filter((e) => e === 'ghes POST pulls').length;
    assert.ok(posts >= 1 && posts < 10, `${posts} POSTs`);
    assert.deepEqual(h.final(), []);
  });
});

describe('create_pr_comment (ocean create_pr_comment_executor.py)', () => {
  const comment = (
    props: Record<string, unknown> = { org: 'acme', repo: 'infra', prNumber: 7, body: 'LGTM from Port' },
  ): ActionRequest => ({ type: 'create_pr_comment', props });

  it('"Creating comment" before the POST; the comment carries the marker; Ocean\'s message and label', async () => {
    const h = harness();
    await h.run(request(comment()));
    const intent = h.events.findIndex((e) => e === 'port PATCH {"statusLabel":"Creating comment"}');
    const post = h.events.findIndex((e) => e.startsWith('ghes POST comments'));
    assert.ok(intent >= 0 && post > intent, h.events.join('\n'));
    assert.equal(h.ghes.comments[0]?.body, `LGTM from Port\n\n<!-- port-run: ${RUN_ID} -->`);
    assert.equal(h.final()[0]?.summary, 'Comment created on pull request #7: https://ghes.example.com/acme/infra/pull/7#issuecomment-900');
    assert.equal(h.final()[0]?.statusLabel, 'Comment created');
    assert.deepEqual(h.final()[0]?.nodeOutput, {
      number: 7,
      commentId: 900,
      url: 'https://ghes.example.com/acme/infra/pull/7#issuecomment-900',
    });
  });

  it('prNumber that is not a number is refused, naming it, with no GHES request', async () => {
    const h = harness();
    await h.run(request(comment({ org: 'acme', repo: 'infra', prNumber: 'seven', body: 'x' })));
    assert.deepEqual(ghesCalls(h.events), []);
    assert.match(String(h.final()[0]?.summary), /prNumber is not a pull request number/);
  });

  it("a crash between the write and its report: found by its marker among the agent's comments, no second comment", async () => {
    const h = harness({ record: { statusLabel: 'Creating comment' } });
    await h.ghes.content.createIssueComment('acme', 'infra', 7, `LGTM from Port\n\n<!-- port-run: ${RUN_ID} -->`);
    h.events.length = 0;
    await h.run(request(comment()));
    assert.deepEqual(ghesCalls(h.events), [`ghes GET comments #7 creator=${BOT}`]);
    assert.equal(h.ghes.comments.length, 1);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('a crash between the intent and the write: nothing found, exactly one comment', async () => {
    const h = harness({ record: { statusLabel: 'Creating comment' } });
    await h.run(request(comment()));
    assert.equal(h.ghes.comments.length, 1);
  });
});

describe('close_pull_request (ocean close_pull_request_executor.py): idempotent, sent again after an interruption', () => {
  const close = (prNumber: unknown = 1): ActionRequest => ({ type: 'close_pull_request', props: { org: 'acme', repo: 'infra', prNumber } });

  it("closes the pull request and reports Ocean's message", async () => {
    const h = harness();
    await h.ghes.content.createPullRequest('acme', 'infra', { title: 't', head: 'x', base: 'main' });
    await h.run(request(close('1')));
    assert.equal(h.ghes.pulls[0]?.open, false);
    assert.equal(h.final()[0]?.summary, 'Pull request #1 closed: https://ghes.example.com/acme/infra/pull/1');
    assert.equal(h.final()[0]?.statusLabel, 'PR closed');
  });

  it('after a crash (record shows "Closing PR"), closing an already closed pull request again succeeds', async () => {
    const h = harness({ record: { statusLabel: 'Closing PR' } });
    await h.ghes.content.createPullRequest('acme', 'infra', { title: 't', head: 'x', base: 'main' });
    await h.ghes.content.closePullRequest('acme', 'infra', 1);
    await h.run(request(close()));
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it("GitHub's 404 for a pull request that does not exist ends FAILURE with Ocean-like wording", async () => {
    const h = harness();
    await h.run(request(close(42)));
    assert.match(String(h.final()[0]?.summary), /could not close pull request #42 in acme\/infra: .*404/);
  });
});
