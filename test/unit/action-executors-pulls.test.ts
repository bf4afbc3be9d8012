// Issue 24: update_pull_request, merge_pull_request and review_pull_request (port-labs/ocean
// integrations/github/github/actions/update/merge/review_pull_request_executor.py), each through
// its executor chosen from the registry, driven through the message processor against fakes: a
// fake Port that keeps each run's record, and a fake GHES content API that answers as GitHub's
// OpenAPI description documents (pulls/update 422 for a base that does not exist; pulls/merge
// 405 "Pull Request is not mergeable", 409 for a head that moved, 404; pulls/check-if-merged 204
// or 404; pulls/create-review, pulls/list-reviews). Each case of issue 23's trust rules (the
// policy before any GHES request) and of issue 24's at-most-once (a crash between the write and
// its report, an answer lost on the way back) is one test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMergePullRequest } from '../../agent/actions/merge-pull-request.js';
import { decodeReviewPullRequest } from '../../agent/actions/review-pull-request.js';
import { decodeUpdatePullRequest } from '../../agent/actions/update-pull-request.js';
import type { PolicyRule } from '../../agent/config/schema.js';
import { AgentError } from '../../agent/errors.js';
import type { ContentApi } from '../../agent/github/content-api.js';
import type { PortRun } from '../../agent/types/port-run.js';
import type { ActionRequest, RunRequest } from '../../agent/types/run-request.js';
import { actionHarness, actionRequest } from './fakes/action-harness.js';

const RUN_ID = 'r_pullaction000001';
const BOT = 'ghes-agent[bot]';
const MARKER = `<!-- port-run: ${RUN_ID} -->`;
const HEAD_SHA = 'a'.repeat(40);
const ALLOW: PolicyRule[] = [
  { org: 'acme', repo: 'infra', workflow: '*', refs: [], actions: ['update_pull_request', 'merge_pull_request', 'review_pull_request'] },
];
const url = (n: number) => `https://ghes.example.com/acme/infra/pull/${n}`;

interface FakePull {
  number: number;
  title: string;
  body: string | null;
  base: string;
  merged: boolean;
  mergeable: boolean;
}

/** GitHub's pull requests #1 and #2 of acme/infra, as the REST API answers for them. */
function fakeGhes(events: string[]) {
  const pulls: FakePull[] = [1, 2].map((number) => ({
    number,
    title: `PR ${number}`,
    body: null,
    base: 'main',
    merged: false,
    mergeable: true,
  }));
  const reviews: Array<{ id: number; number: number; event: string; body: string; user: string }> = [];
  const pull = (n: number, what: string): FakePull => {
    const p = pulls.find((x) => x.number === n);
    if (!p) throw new AgentError('not_found', `${what} acme/infra#${n}: not found on GHES (404)`, { status: 404 });
    return p;
  };
  const content: Partial<ContentApi> = {
    async updatePullRequest(_o, _r, n, fields) {
      events.push(`ghes PATCH pulls #${n} ${JSON.stringify(fields)}`);
      const p = pull(n, 'updating');
      if (fields.base !== undefined && !['main', 'release'].includes(fields.base))
        throw new AgentError('inputs', `updating acme/infra#${n}: GHES refused the request (422 Validation Failed)`, { status: 422 });
      Object.assign(p, fields);
      return { number: n, htmlUrl: url(n) };
    },
    async getPullRequest(_o, _r, n) {
      events.push(`ghes GET pulls #${n}`);
      pull(n, 'reading');
      return { number: n, htmlUrl: url(n) };
    },
    async pullRequestMerged(_o, _r, n) {
      events.push(`ghes GET pulls #${n} merge`);
      return pulls.find((x) => x.number === n)?.merged ?? false;
    },
    async mergePullRequest(_o, _r, n, body) {
      events.push(`ghes PUT pulls #${n} merge ${JSON.stringify(body)}`);
      const p = pull(n, 'merging');
      if (p.merged || !p.mergeable)
        throw new AgentError('internal', `merging acme/infra#${n}: GHES answered 405 Pull Request is not mergeable`, { status: 405 });
      if (body.sha !== undefined && body.sha !== HEAD_SHA)
        throw new AgentError('internal', `merging acme/infra#${n}: GHES answered 409 Head branch was modified`, { status: 409 });
      p.merged = true;
      return { sha: 'b'.repeat(40) };
    },
    async createReview(_o, _r, n, body) {
      events.push(`ghes POST reviews #${n} ${JSON.stringify(body)}`);
      pull(n, 'reviewing');
      const id = 500 + reviews.length;
      reviews.push({ id, number: n, event: body.event, body: body.body, user: BOT });
      return { number: n, id, htmlUrl: `${url(n)}#pullrequestreview-${id}` };
    },
    async findReviewByMarker(_o, _r, n, marker, creator) {
      events.push(`ghes GET reviews #${n} creator=${creator}`);
      const v = reviews.find((x) => x.number === n && x.body.includes(marker) && (creator === undefined || x.user === creator));
      return v && { number: n, id: v.id, htmlUrl: `${url(n)}#pullrequestreview-${v.id}` };
    },
  };
  return { content: content as ContentApi, pulls, reviews };
}

function harness(opts: { record?: Partial<PortRun>; policy?: PolicyRule[]; runId?: string } = {}) {
  const runId = opts.runId ?? RUN_ID;
  const events: string[] = [];
  const ghes = fakeGhes(events);
  const h = actionHarness({ ...opts, runId, events, content: ghes.content, policy: opts.policy ?? ALLOW, actor: BOT, version: [3, 17, 0] });
  const run = (action: ActionRequest, over: Partial<RunRequest> = {}): Promise<void> => h.run(actionRequest(runId, action, over));
  return { run, events, records: h.records, ghes, counted: h.counted, final: h.final, ghesCalls: h.ghesCalls };
}

const update = (props: Record<string, unknown>): ActionRequest => ({
  type: 'update_pull_request',
  props: { org: 'acme', repo: 'infra', ...props },
});
const merge = (props: Record<string, unknown>): ActionRequest => ({
  type: 'merge_pull_request',
  props: { org: 'acme', repo: 'infra', ...props },
});
const review = (props: Record<string, unknown>): ActionRequest => ({
  type: 'review_pull_request',
  props: { org: 'acme', repo: 'infra', ...props },
});

describe('decoding the execution properties (pure, every problem named)', () => {
  it('update_pull_request: prNumber as Ocean (an int or its decimal string), at least one of title, body, base', () => {
    assert.deepEqual(decodeUpdatePullRequest({ org: 'acme', repo: 'infra', prNumber: '7', title: 'New title' }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', prNumber: 7, title: 'New title' },
    });
    assert.deepEqual(decodeUpdatePullRequest({ org: 'acme', repo: 'infra', prNumber: 7, body: '' }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', prNumber: 7, body: '' },
    });
    assert.deepEqual(decodeUpdatePullRequest({ repo: 'infra', prNumber: 'seven' }), {
      ok: false,
      problems: [
        'integrationActionExecutionProperties.org is missing',
        'integrationActionExecutionProperties.prNumber is not a pull request number',
        'at least one field to update is required (title, body, or base)',
      ],
    });
  });

  it("update_pull_request refuses state: closing is close_pull_request's, which a policy rule names separately", () => {
    const d = decodeUpdatePullRequest({ org: 'acme', repo: 'infra', prNumber: 1, title: 't', state: 'closed' });
    assert.equal(d.ok, false);
    assert.match(
      String(!d.ok && d.problems.join('; ')),
      /state is not an update_pull_request field: closing a pull request is close_pull_request/,
    );
  });

  it("merge_pull_request: mergeMethod one of merge, squash, rebase (GitHub's default merge when absent); sha a full commit id", () => {
    assert.deepEqual(decodeMergePullRequest({ org: 'acme', repo: 'infra', prNumber: 3 }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', prNumber: 3, mergeMethod: 'merge' },
    });
    assert.deepEqual(
      decodeMergePullRequest({ org: 'acme', repo: 'infra', prNumber: 3, mergeMethod: 'squash', commitTitle: 'T', sha: HEAD_SHA }),
      {
        ok: true,
        value: { org: 'acme', repo: 'infra', prNumber: 3, mergeMethod: 'squash', commitTitle: 'T', sha: HEAD_SHA },
      },
    );
    assert.deepEqual(decodeMergePullRequest({ org: 'acme', repo: 'infra', prNumber: 3, mergeMethod: 'fast-forward', sha: 'abc' }), {
      ok: false,
      problems: [
        'integrationActionExecutionProperties.mergeMethod must be one of: merge, squash, rebase',
        'integrationActionExecutionProperties.sha is not a 40-character commit id',
      ],
    });
  });

  it('review_pull_request: event one of APPROVE, COMMENT, REQUEST_CHANGES; a body for REQUEST_CHANGES (Ocean) and COMMENT (GitHub)', () => {
    assert.deepEqual(decodeReviewPullRequest({ org: 'acme', repo: 'infra', prNumber: 2, event: 'APPROVE' }), {
      ok: true,
      value: { org: 'acme', repo: 'infra', prNumber: 2, event: 'APPROVE' },
    });
    assert.deepEqual(decodeReviewPullRequest({ org: 'acme', repo: 'infra', prNumber: 2, event: 'REQUEST_CHANGES' }), {
      ok: false,
      problems: ['integrationActionExecutionProperties.body is required when event is REQUEST_CHANGES'],
    });
    assert.deepEqual(decodeReviewPullRequest({ org: 'acme', repo: 'infra', prNumber: 2, event: 'COMMENT', body: '' }), {
      ok: false,
      problems: ['integrationActionExecutionProperties.body is required when event is COMMENT'],
    });
    assert.deepEqual(decodeReviewPullRequest({ org: 'acme', repo: 'infra', event: 'PENDING' }), {
      ok: false,
      problems: [
        'integrationActionExecutionProperties.prNumber is missing',
        'integrationActionExecutionProperties.event is not a review event: it must be one of APPROVE, COMMENT, REQUEST_CHANGES',
      ],
    });
  });
});

describe('update_pull_request (ocean update_pull_request_executor.py): idempotent, sent again after an interruption', () => {
  it('"Updating pull request" before the PATCH, only the given fields sent, SUCCESS with Ocean\'s message and label', async () => {
    const h = harness();
    await h.run(update({ prNumber: 1, title: 'Renamed', base: 'release' }));
    const intent = h.events.indexOf('port PATCH {"statusLabel":"Updating pull request"}');
    const patch = h.events.indexOf('ghes PATCH pulls #1 {"title":"Renamed","base":"release"}');
    assert.ok(intent >= 0 && patch > intent, h.events.join('\n'));
    assert.ok(h.events.includes('port LOG Updating pull request #1 in acme/infra'));
    assert.deepEqual(h.final(), [
      {
        status: 'SUCCESS',
        summary: `Pull request #1 updated: ${url(1)}`,
        statusLabel: 'Pull request updated',
        link: url(1),
        nodeOutput: { number: 1, url: url(1) },
      },
    ]);
    assert.equal(h.ghes.pulls[0]?.title, 'Renamed');
    assert.equal(await h.counted('executed'), 1);
  });

  it("GitHub's 422 (a base that does not exist) ends FAILURE with its reason, nothing changed", async () => {
    const h = harness();
    await h.run(update({ prNumber: 1, base: 'nowhere' }));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /^could not update pull request #1 in acme\/infra: .*422/);
    assert.equal(h.ghes.pulls[0]?.base, 'main');
    assert.equal(await h.counted('action_failed'), 1);
  });

  it("GitHub's 404 for a pull request that does not exist ends FAILURE naming it", async () => {
    const h = harness();
    await h.run(update({ prNumber: 42, title: 't' }));
    assert.match(String(h.final()[0]?.summary), /could not update pull request #42 in acme\/infra: .*404/);
  });

  it('after a crash (record shows "Updating pull request") the same PATCH is sent again and ends SUCCESS: no look-up needed', async () => {
    const h = harness({ record: { statusLabel: 'Updating pull request' } });
    await h.ghes.content.updatePullRequest('acme', 'infra', 1, { title: 'Renamed' });
    h.events.length = 0;
    await h.run(update({ prNumber: 1, title: 'Renamed' }));
    assert.deepEqual(h.ghesCalls(), ['ghes PATCH pulls #1 {"title":"Renamed"}']);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('a 502 whose PATCH took effect: sent again (idempotent), one SUCCESS', async () => {
    const h = harness();
    const patch = h.ghes.content.updatePullRequest.bind(h.ghes.content);
    let first = true;
    h.ghes.content.updatePullRequest = async (...args) => {
      const made = await patch(...args);
      if (!first) return made;
      first = false;
      throw new AgentError('server', 'updating acme/infra#1: GHES answered 502', { retriable: true, status: 502 });
    };
    await h.run(update({ prNumber: 1, body: 'New body' }));
    assert.equal(h.ghesCalls().filter((e) => e.startsWith('ghes PATCH')).length, 2);
    assert.equal(h.ghes.pulls[0]?.body, 'New body');
    assert.equal(h.final().length, 1);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('an invalid run (state given) is refused FAILURE naming the field, with no GHES request', async () => {
    const h = harness();
    await h.run(update({ prNumber: 1, state: 'closed' }));
    assert.deepEqual(h.ghesCalls(), []);
    assert.match(String(h.final()[0]?.summary), /state is not an update_pull_request field/);
    assert.equal(await h.counted('invalid'), 1);
  });
});

describe('merge_pull_request (ocean merge_pull_request_executor.py): at most once, merged checked first after an interruption', () => {
  it('"Merging pull request" before the PUT; the body carries the method and commit fields; Ocean\'s message, the link', async () => {
    const h = harness();
    await h.run(merge({ prNumber: 2, mergeMethod: 'squash', commitTitle: 'Ship it', sha: HEAD_SHA }));
    const intent = h.events.indexOf('port PATCH {"statusLabel":"Merging pull request"}');
    const put = h.events.findIndex((e) => e.startsWith('ghes PUT'));
    assert.ok(intent >= 0 && put > intent, h.events.join('\n'));
    assert.equal(h.events[put], `ghes PUT pulls #2 merge {"merge_method":"squash","commit_title":"Ship it","sha":"${HEAD_SHA}"}`);
    assert.ok(h.events.includes('port LOG Merging pull request #2 in acme/infra (squash)'));
    assert.deepEqual(h.final(), [
      {
        status: 'SUCCESS',
        summary: 'Pull request #2 merged via squash',
        statusLabel: 'Pull request merged',
        link: url(2),
        nodeOutput: { number: 2, url: url(2) },
      },
    ]);
    assert.equal(h.ghes.pulls[1]?.merged, true);
  });

  it("GitHub's 405 (not mergeable: a conflict) ends FAILURE with its message", async () => {
    const h = harness();
    h.ghes.pulls[0]!.mergeable = false;
    await h.run(merge({ prNumber: 1 }));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /^could not merge pull request #1 in acme\/infra: .*405 Pull Request is not mergeable/);
    assert.equal(h.ghes.pulls[0]?.merged, false);
    assert.equal(await h.counted('action_failed'), 1);
  });

  it("GitHub's 409 (the head moved from the sha given) ends FAILURE with its message, not merged", async () => {
    const h = harness();
    await h.run(merge({ prNumber: 1, sha: 'c'.repeat(40) }));
    assert.match(String(h.final()[0]?.summary), /could not merge pull request #1 in acme\/infra: .*409 Head branch was modified/);
    assert.equal(h.ghes.pulls[0]?.merged, false);
  });

  it('a crash between the merge and its report: the redelivery sees it merged (GET …/merge) and reports SUCCESS, no second PUT', async () => {
    const h = harness({ record: { statusLabel: 'Merging pull request' } });
    h.ghes.pulls[0]!.merged = true;
    await h.run(merge({ prNumber: 1, mergeMethod: 'rebase' }));
    assert.deepEqual(h.ghesCalls(), ['ghes GET pulls #1 merge', 'ghes GET pulls #1']);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
    assert.equal(h.final()[0]?.summary, 'Pull request #1 merged via rebase');
    assert.equal(await h.counted('resumed'), 1);
  });

  it('a crash between the intent and the merge: not merged yet, so merged once', async () => {
    const h = harness({ record: { statusLabel: 'Merging pull request' } });
    await h.run(merge({ prNumber: 1 }));
    assert.equal(h.ghesCalls().filter((e) => e.startsWith('ghes PUT')).length, 1);
    assert.equal(h.ghes.pulls[0]?.merged, true);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('a 502 after the merge took effect: checked (204 merged), reported SUCCESS, the PUT not sent again', async () => {
    const h = harness();
    const put = h.ghes.content.mergePullRequest.bind(h.ghes.content);
    h.ghes.content.mergePullRequest = async (...args) => {
      await put(...args);
      throw new AgentError('server', 'merging acme/infra#1: GHES answered 502', { retriable: true, status: 502 });
    };
    await h.run(merge({ prNumber: 1 }));
    assert.equal(h.ghesCalls().filter((e) => e.startsWith('ghes PUT')).length, 1);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it("a pull request someone else merged before the first attempt is not reported as this run's merge: 405, FAILURE", async () => {
    const h = harness();
    h.ghes.pulls[0]!.merged = true;
    await h.run(merge({ prNumber: 1 }));
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /405/);
  });
});

describe('review_pull_request (ocean review_pull_request_executor.py): at most once by the marker in its body', () => {
  it('"Submitting review" before the POST; the body carries the marker; Ocean\'s message, label and node output', async () => {
    const h = harness();
    await h.run(review({ prNumber: 2, event: 'REQUEST_CHANGES', body: 'Please add tests' }));
    const intent = h.events.indexOf('port PATCH {"statusLabel":"Submitting review"}');
    const post = h.events.findIndex((e) => e.startsWith('ghes POST reviews'));
    assert.ok(intent >= 0 && post > intent, h.events.join('\n'));
    assert.ok(h.events.includes('port LOG Submitting REQUEST_CHANGES review on pull request #2 in acme/infra'));
    assert.deepEqual(h.ghes.reviews[0], { id: 500, number: 2, event: 'REQUEST_CHANGES', body: `Please add tests\n\n${MARKER}`, user: BOT });
    assert.deepEqual(h.final(), [
      {
        status: 'SUCCESS',
        summary: `Review (REQUEST_CHANGES) submitted on pull request #2: ${url(2)}#pullrequestreview-500`,
        statusLabel: 'Review submitted',
        link: `${url(2)}#pullrequestreview-500`,
        nodeOutput: { number: 2, reviewId: 500, url: `${url(2)}#pullrequestreview-500` },
      },
    ]);
  });

  it('an APPROVE without a body still carries the marker (alone), so an interrupted approval can be found', async () => {
    const h = harness();
    await h.run(review({ prNumber: 1, event: 'APPROVE' }));
    assert.equal(h.ghes.reviews[0]?.body, MARKER);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it("a crash between the review and its report: found by its marker among the agent's reviews, no second review", async () => {
    const h = harness({ record: { statusLabel: 'Submitting review' } });
    await h.ghes.content.createReview('acme', 'infra', 1, { event: 'APPROVE', body: MARKER });
    h.events.length = 0;
    await h.run(review({ prNumber: 1, event: 'APPROVE' }));
    assert.deepEqual(h.ghesCalls(), [`ghes GET reviews #1 creator=${BOT}`]);
    assert.equal(h.ghes.reviews.length, 1);
    assert.equal(h.final()[0]?.summary, `Review (APPROVE) submitted on pull request #1: ${url(1)}#pullrequestreview-500`);
  });

  it("a review someone else planted with the run's marker is not taken for the run's", async () => {
    const h = harness({ record: { statusLabel: 'Submitting review' } });
    h.ghes.reviews.push({ id: 99, number: 1, event: 'APPROVE', body: MARKER, user: 'mallory' });
    await h.run(review({ prNumber: 1, event: 'APPROVE' }));
    assert.equal(h.ghes.reviews.length, 2);
    assert.equal(h.ghes.reviews[1]?.user, BOT);
    assert.doesNotMatch(String(h.final()[0]?.summary), /review-99/);
  });

  it('a 504 after the review was made: found by its marker, no second POST', async () => {
    const h = harness();
    const post = h.ghes.content.createReview.bind(h.ghes.content);
    let first = true;
    h.ghes.content.createReview = async (...args) => {
      const made = await post(...args);
      if (!first) return made;
      first = false;
      throw new AgentError('server', 'reviewing acme/infra#1: GHES answered 504', { retriable: true, status: 504 });
    };
    await h.run(review({ prNumber: 1, event: 'COMMENT', body: 'Looks fine' }));
    assert.equal(h.ghes.reviews.length, 1);
    assert.equal(h.final()[0]?.status, 'SUCCESS');
  });

  it('REQUEST_CHANGES without a body is refused FAILURE naming the field, with no GHES request', async () => {
    const h = harness();
    await h.run(review({ prNumber: 1, event: 'REQUEST_CHANGES' }));
    assert.deepEqual(h.ghesCalls(), []);
    assert.match(String(h.final()[0]?.summary), /body is required when event is REQUEST_CHANGES/);
  });
});

describe('the policy decides before any GHES request (issue 23), and workflow nodes run the new types', () => {
  for (const [type, action] of [
    ['update_pull_request', update({ prNumber: 1, title: 't' })],
    ['merge_pull_request', merge({ prNumber: 1 })],
    ['review_pull_request', review({ prNumber: 1, event: 'APPROVE' })],
  ] as const) {
    it(`${type}: a rule naming only the other pull-request types refuses it, no GHES request`, async () => {
      const others = ALLOW[0]!.actions!.filter((a) => a !== type);
      const h = harness({ policy: [{ ...ALLOW[0]!, actions: others }] });
      await h.run(action);
      assert.deepEqual(h.ghesCalls(), []);
      assert.match(String(h.final()[0]?.summary), new RegExp(`action ${type} on acme/infra is named by no rule of policy\\.allow`));
      assert.equal(await h.counted('policy_denied'), 1);
    });
  }

  it('with no policy rules none of them runs (upgrading changes nothing)', async () => {
    const h = harness({ policy: [] });
    await h.run(merge({ prNumber: 1 }));
    assert.deepEqual(h.ghesCalls(), []);
    assert.equal(h.final()[0]?.status, 'FAILURE');
    assert.match(String(h.final()[0]?.summary), /action merge_pull_request on acme\/infra is named by no rule of policy\.allow/);
  });

  it('a node run (wfnr_…) merging a pull request ends SUCCESS with its number and URL for the node output', async () => {
    const h = harness({ runId: 'wfnr_pullnode00001' });
    await h.run(merge({ prNumber: 2 }), { runId: 'wfnr_pullnode00001', runKind: 'workflow-node' });
    assert.equal(h.final()[0]?.status, 'SUCCESS');
    assert.deepEqual(h.final()[0]?.nodeOutput, { number: 2, url: url(2) });
  });
});
