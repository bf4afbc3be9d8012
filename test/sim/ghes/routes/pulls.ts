// Pull requests: create, list, get, update (and close), check-if-merged, merge, reviews. The
// routes Port's GitHub Ocean executors use (port-labs/ocean integrations/github/github/actions/
// create/update/close/merge/review_pull_request_executor.py), in the shapes and with the errors
// of GitHub's OpenAPI description (ghes-3.19.json, operations pulls/*).
import { actorFor, notFound, repoWith, validationFailed, type SimContext } from '../context.js';
import { linkHeader, paginate } from '../run-filters.js';
import type { ApiRequest, ApiResponse, Router } from '../router.js';
import { refSha, type RepoRecord } from '../state.js';
import { pullShape, pullSimpleShape, reviewShape } from '../tracker-shapes.js';
import type { IssueRecord, ReviewRecord } from '../tracker-state.js';
import { asRecord, optBool, optString, sortIssues } from './tracker-input.js';

const REVIEW_STATES: Record<string, ReviewRecord['state']> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' };
const MERGE_METHODS = new Set(['merge', 'squash', 'rebase']);

export function addPullRoutes(r: Router, ctx: SimContext): void {
  const { state, clock } = ctx;
  const t = state.tracker;
  const account = (login: string) => state.account(login, 'User');
  const commentCount = (i: IssueRecord): number => t.commentsOf(i).length;

  const pullFor = (req: ApiRequest, level: 'read' | 'write'): { repo: RepoRecord; pull: IssueRecord } | { res: ApiResponse } => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'pull_requests', level);
    if ('res' in f) return f;
    const pull = t.issue(f.repo, Number(req.params.pull_number));
    // An issue's number names no pull request: GitHub answers 404 on the pulls routes.
    return pull?.pull ? { repo: f.repo, pull } : { res: notFound(ctx) };
  };

  /** "owner:branch" or "branch" → the branch in this repository, or null for another owner (a fork). */
  const headBranch = (repo: RepoRecord, head: string): string | null => {
    const i = head.indexOf(':');
    if (i < 0) return head;
    return head.slice(0, i).toLowerCase() === repo.owner.login.toLowerCase() ? head.slice(i + 1) : null;
  };

  r.add('POST', '/repos/{owner}/{repo}/pulls', 'token', (req) => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'pull_requests', 'write');
    if ('res' in f) return f.res;
    const b = asRecord(req.body);
    const title = optString(b.title);
    const head = optString(b.head);
    const base = optString(b.base);
    const missing = (['title', 'head', 'base'] as const).filter((k) => !{ title, head, base }[k]);
    if (missing.length) return validationFailed(ctx, missing.map((field) => ({ resource: 'PullRequest', field, code: 'missing_field' })));
    const branch = headBranch(f.repo, head!);
    // A head branch that does not exist (or a fork the simulator does not model) and a base that
    // does not exist: {"resource":"PullRequest","field":"head","code":"invalid"}, as GitHub answers
    // (reported in shepherd-tools/shepherd#51 and stackitcloud/cloud-provider-stackit#10).
    if (branch === null || !f.repo.branches.has(branch)) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (!f.repo.branches.has(base!)) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    // SIM: a branch has no commits the other lacks only when it is the same branch.
    if (branch === base) return validationFailed(ctx, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${branch}` }]);
    // One open pull request per head and base: GitHub's 422 "A pull request already exists for
    // owner:branch." (code custom; github/VisualStudio#453, vsoch/pull-request-action#86).
    const open = t.issuesOf(f.repo).find((i) => i.pull && i.state === 'open' && i.pull.head === branch && i.pull.base === base);
    if (open) return validationFailed(ctx, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${f.repo.owner.login}:${branch}.` }]);
    const now = clock.now();
    const pull = t.addIssue({
      repo: f.repo,
      title: title!,
      body: optString(b.body) ?? null,
      user: actorFor(ctx, req.principal)!,
      labels: [],
      assignees: [],
      createdAtMs: now,
      pull: {
        head: branch,
        base: base!,
        draft: optBool(b.draft) ?? false,
        maintainerCanModify: optBool(b.maintainer_can_modify) ?? true,
        mergedAtMs: null,
        mergedBy: null,
        mergeCommitSha: null,
        mergeState: 'clean',
        headSha: refSha(f.repo, branch),
      },
    });
    const body = pullShape(ctx.shape, pull, account, 0);
    return { status: 201, body, headers: { location: String(body.url) } };
  });

  r.add('GET', '/repos/{owner}/{repo}/pulls', 'token', (req) => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'pull_requests', 'read');
    if ('res' in f) return f.res;
    const q = req.query;
    const st = q.get('state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(st)) return validationFailed(ctx, [{ resource: 'Search', field: 'state', code: 'invalid' }]);
    // `head` filters only in GitHub's "user:ref-name" form; a bare branch name is silently
    // ignored and every pull request is listed (github/docs#16647,
    // microsoft/PowerShellForGitHub#334): a caller looking for its own must send owner:branch.
    const headQ = q.get('head');
    const headFilter = headQ && headQ.includes(':') ? headQ : null;
    const base = q.get('base');
    const rows = t
      .issuesOf(f.repo)
      .filter((i) => i.pull && (st === 'all' || i.state === st))
      .filter((i) => !headFilter || headFilter.toLowerCase() === `${f.repo.owner.login}:${i.pull!.head}`.toLowerCase())
      .filter((i) => !base || i.pull!.base === base);
    // "Default: desc when sort is created or sort is not specified, otherwise asc" (pulls/list).
    const sort = q.get('sort') ?? 'created';
    const sorted = sortIssues(rows, sort, q.get('direction') ?? (sort === 'created' ? 'desc' : 'asc'), commentCount);
    const page = paginate(sorted, q);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, q, page);
    return { status: 200, list: true, body: page.items.map((i) => pullSimpleShape(ctx.shape, i, account)), headers: link ? { link } : {} };
  });

  r.add('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 'token', (req) => {
    const f = pullFor(req, 'read');
    return 'res' in f ? f.res : { status: 200, body: pullShape(ctx.shape, f.pull, account, commentCount(f.pull)) };
  });

  r.add('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', 'token', (req) => {
    const f = pullFor(req, 'write');
    if ('res' in f) return f.res;
    const b = asRecord(req.body);
    const p = f.pull;
    const st = optString(b.state);
    if (st !== undefined && st !== 'open' && st !== 'closed') return validationFailed(ctx, [{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    const base = optString(b.base);
    if (base !== undefined && !f.repo.branches.has(base)) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    // SIM wording: a merged pull request cannot be reopened (GitHub refuses it on its web page too).
    if (st === 'open' && p.pull!.mergedAtMs !== null) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'state', code: 'invalid', message: 'state cannot be changed. The pull request has been merged.' }]);
    const now = clock.now();
    if (optString(b.title) !== undefined) p.title = optString(b.title)!;
    if (typeof b.body === 'string' || b.body === null) p.body = b.body;
    if (base !== undefined) p.pull!.base = base;
    if (optBool(b.maintainer_can_modify) !== undefined) p.pull!.maintainerCanModify = optBool(b.maintainer_can_modify)!;
    if (st === 'closed' && p.state === 'open') {
      p.state = 'closed';
      p.closedAtMs = now;
      p.closedBy = actorFor(ctx, req.principal);
    } else if (st === 'open' && p.state === 'closed') {
      p.state = 'open';
      p.closedAtMs = null;
      p.closedBy = null;
    }
    p.updatedAtMs = now;
    return { status: 200, body: pullShape(ctx.shape, p, account, commentCount(p)) };
  });

  // "204 if pull request has been merged, 404 if not" (pulls/check-if-merged): no body either way.
  r.add('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'token', (req) => {
    const f = pullFor(req, 'read');
    if ('res' in f) return f.res;
    return f.pull.pull!.mergedAtMs !== null ? { status: 204 } : { status: 404 };
  });

  r.add('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'token', (req) => {
    // Merging writes the base branch: GitHub asks for contents: write (an App's permissions).
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'contents', 'write');
    if ('res' in f) return f.res;
    const pull = t.issue(f.repo, Number(req.params.pull_number));
    if (!pull?.pull) return notFound(ctx);
    const p = pull.pull;
    const b = asRecord(req.body);
    const method = optString(b.merge_method) ?? 'merge';
    if (!MERGE_METHODS.has(method)) return validationFailed(ctx, [{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }]);
    // 405 "if merge cannot be performed" (pulls/merge): already merged, closed, a conflict or
    // unmet protection rules. GitHub's message: "Pull Request is not mergeable" (octokit.net#373).
    if (p.mergedAtMs !== null || pull.state !== 'open' || p.mergeState !== 'clean') {
      return { status: 405, body: { message: 'Pull Request is not mergeable', documentation_url: `${ctx.shape.origin}/docs/rest/pulls/pulls#merge-a-pull-request` } };
    }
    // 409 "if sha was provided and pull request head did not match" (pulls/merge). SIM wording.
    const sha = optString(b.sha);
    if (sha !== undefined && sha !== p.headSha) {
      return { status: 409, body: { message: 'Head branch was modified. Review and try the merge again.', documentation_url: `${ctx.shape.origin}/docs/rest/pulls/pulls#merge-a-pull-request` } };
    }
    const now = clock.now();
    p.mergedAtMs = now;
    p.mergedBy = actorFor(ctx, req.principal);
    p.mergeCommitSha = refSha(f.repo, `merge:${pull.number}:${method}`);
    pull.state = 'closed';
    pull.closedAtMs = now;
    pull.updatedAtMs = now;
    return { status: 200, body: { sha: p.mergeCommitSha, merged: true, message: 'Pull Request successfully merged' } };
  });

  r.add('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'token', (req) => {
    const f = pullFor(req, 'read');
    if ('res' in f) return f.res;
    // Chronological, as GitHub lists them (pulls/list-reviews).
    const all = t.reviews.filter((v) => v.pull === f.pull).sort((a, b) => a.id - b.id);
    const page = paginate(all, req.query);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, req.query, page);
    return { status: 200, list: true, body: page.items.map((v) => reviewShape(ctx.shape, v)), headers: link ? { link } : {} };
  });

  r.add('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'token', (req) => {
    const f = pullFor(req, 'write');
    if ('res' in f) return f.res;
    const b = asRecord(req.body);
    const event = optString(b.event);
    // Without an event GitHub creates a PENDING review; Ocean always sends one, the simulator
    // requires it rather than model pending reviews.
    const st = event === undefined ? undefined : REVIEW_STATES[event];
    if (!st) return validationFailed(ctx, [{ resource: 'PullRequestReview', field: 'event', code: 'invalid' }]);
    const body = optString(b.body) ?? '';
    // "REQUEST_CHANGES or COMMENT … require a body" (pulls/create-review, body parameter):
    // GitHub answers 422 without one.
    if (st !== 'APPROVED' && body === '') return validationFailed(ctx, [{ resource: 'PullRequestReview', field: 'body', code: 'missing_field' }]);
    const user = actorFor(ctx, req.principal)!;
    // SIM wording: GitHub refuses a review of one's own pull request with an approval or change request.
    if (st !== 'COMMENTED' && user === f.pull.user) {
      return validationFailed(ctx, [{ resource: 'PullRequestReview', code: 'custom', message: `Can not ${st === 'APPROVED' ? 'approve' : 'request changes on'} your own pull request` }]);
    }
    if (f.pull.state !== 'open') return validationFailed(ctx, [{ resource: 'PullRequestReview', code: 'custom', message: 'Pull request is closed' }]);
    const review: ReviewRecord = { id: state.nextId(), pull: f.pull, user, body, state: st, submittedAtMs: clock.now(), commitId: f.pull.pull!.headSha };
    t.reviews.push(review);
    return { status: 200, body: reviewShape(ctx.shape, review) };
  });

}
