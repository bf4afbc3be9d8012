// Issues and their comments: create, list, get, edit (and close) an issue; create, list, get,
// edit and delete a comment; search issues. Port's GitHub Ocean executors use them for issues
// and for pull-request comments (port-labs/ocean integrations/github/github/actions/
// create/edit/close_issue_executor.py; create/edit/delete_pr_comment_executor.py: "PR comment
// actions, which use GitHub's issue comments API"). Shapes and errors: GitHub's OpenAPI
// description (ghes-3.19.json, operations issues/* and search/issues-and-pull-requests).
import { actorFor, fail, notFound, repoFor, repoWith, validationFailed, type SimContext } from '../context.js';
import { linkHeader, paginate } from '../run-filters.js';
import type { ApiRequest, ApiResponse, Router } from '../router.js';
import type { RepoRecord } from '../state.js';
import { commentShape, issueShape, searchItemShape } from '../tracker-shapes.js';
import type { CommentRecord, IssueRecord } from '../tracker-state.js';
import { asRecord, optString, optStrings, sortIssues } from './tracker-input.js';
import { matchesSearch, parseIssueSearch } from './issue-search.js';

const STATE_REASONS = new Set(['completed', 'not_planned', 'reopened', 'duplicate']);

/**
 * A repository whose Issues feature is off answers 410 Gone on its issue routes (issues/create,
 * issues/get and issues/update document 410; GitHub's message "Issues are disabled for this
 * repo"). Pull requests are issues too but stay reachable: the feature hides issues only.
 */
const issuesOff = (ctx: SimContext, repo: RepoRecord, pull: boolean): ApiResponse | undefined =>
  repo.hasIssues || pull ? undefined : fail(ctx, 410, 'Issues are disabled for this repo');

export function addIssueRoutes(r: Router, ctx: SimContext): void {
  const { state, clock } = ctx;
  const t = state.tracker;
  const account = (login: string) => state.account(login, 'User');
  const count = (i: IssueRecord): number => t.commentsOf(i).length;
  const issueBody = (i: IssueRecord): Record<string, unknown> => issueShape(ctx.shape, i, account, count(i));

  // Every pull request is an issue: the issue routes serve both, and a pull request's comments
  // need the pull_requests permission where an issue's need issues (GitHub's App permission docs).
  const issueFor = (req: ApiRequest, level: 'read' | 'write'): { repo: RepoRecord; issue: IssueRecord } | { res: ApiResponse } => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f;
    const issue = t.issue(f.repo, Number(req.params.issue_number));
    if (!issue) return { res: issuesOff(ctx, f.repo, false) ?? notFound(ctx) };
    const off = issuesOff(ctx, f.repo, Boolean(issue.pull));
    if (off) return { res: off };
    const g = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, issue.pull ? 'pull_requests' : 'issues', level);
    return 'res' in g ? g : { repo: f.repo, issue };
  };

  const commentFor = (req: ApiRequest, level: 'read' | 'write'): { comment: CommentRecord } | { res: ApiResponse } => {
    const f = repoFor(ctx, req.principal, req.params.owner!, req.params.repo!);
    if ('res' in f) return f;
    const comment = t.comments.get(Number(req.params.comment_id));
    // A comment id of another repository is not found here (ids are global on GitHub).
    if (!comment || comment.issue.repo !== f.repo) return { res: notFound(ctx) };
    const g = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, comment.issue.pull ? 'pull_requests' : 'issues', level);
    return 'res' in g ? g : { comment };
  };

  /** labels and assignees as given, or a 422 for a value of the wrong type. */
  const listsOf = (b: Record<string, unknown>): { labels?: string[]; assignees?: string[] } | { res: ApiResponse } => {
    const labels = optStrings(b.labels);
    const assignees = optStrings(b.assignees);
    if (labels === null) return { res: validationFailed(ctx, [{ resource: 'Issue', field: 'labels', code: 'invalid' }]) };
    if (assignees === null) return { res: validationFailed(ctx, [{ resource: 'Issue', field: 'assignees', code: 'invalid' }]) };
    // An assignee must be someone who can be assigned: the simulator knows accounts it has seen.
    const unknown = (assignees ?? []).find((a) => !state.accounts.has(a.toLowerCase()));
    if (unknown !== undefined)
      return {
        res: validationFailed(ctx, [
          { resource: 'Issue', field: 'assignees', code: 'invalid', message: `${unknown} is not a valid assignee` },
        ]),
      };
    return { ...(labels ? { labels } : {}), ...(assignees ? { assignees } : {}) };
  };

  r.add('POST', '/repos/{owner}/{repo}/issues', 'token', (req) => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'issues', 'write');
    if ('res' in f) return f.res;
    const off = issuesOff(ctx, f.repo, false);
    if (off) return off;
    const b = asRecord(req.body);
    const title = optString(b.title);
    if (!title) return validationFailed(ctx, [{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
    const lists = listsOf(b);
    if ('res' in lists) return lists.res;
    const issue = t.addIssue({
      repo: f.repo,
      title,
      body: optString(b.body) ?? null,
      user: actorFor(ctx, req.principal)!,
      labels: lists.labels ?? [],
      assignees: lists.assignees ?? [],
      createdAtMs: clock.now(),
    });
    const body = issueBody(issue);
    return { status: 201, body, headers: { location: String(body.url) } };
  });

  r.add('GET', '/repos/{owner}/{repo}/issues', 'token', (req) => {
    const f = repoWith(ctx, req.principal, req.params.owner!, req.params.repo!, 'issues', 'read');
    if ('res' in f) return f.res;
    const q = req.query;
    const st = q.get('state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(st)) return validationFailed(ctx, [{ resource: 'Issue', field: 'state', code: 'invalid' }]);
    const creator = q.get('creator')?.toLowerCase();
    const labels = q.get('labels')?.split(',').filter(Boolean) ?? [];
    const since = q.get('since');
    const sinceMs = since ? Date.parse(since) : null;
    if (sinceMs !== null && Number.isNaN(sinceMs)) return validationFailed(ctx, [{ resource: 'Issue', field: 'since', code: 'invalid' }]);
    const rows = t
      .issuesOf(f.repo)
      .filter((i) => st === 'all' || i.state === st)
      .filter((i) => !creator || i.user.login.toLowerCase() === creator)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      // "Only show results that were last updated after the given time" (issues/list-for-repo).
      .filter((i) => sinceMs === null || i.updatedAtMs >= sinceMs);
    const sorted = sortIssues(rows, q.get('sort') ?? 'created', q.get('direction') ?? 'desc', count);
    const page = paginate(sorted, q);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, q, page);
    return { status: 200, list: true, body: page.items.map(issueBody), headers: link ? { link } : {} };
  });

  r.add('GET', '/repos/{owner}/{repo}/issues/{issue_number}', 'token', (req) => {
    const f = issueFor(req, 'read');
    return 'res' in f ? f.res : { status: 200, body: issueBody(f.issue) };
  });

  r.add('PATCH', '/repos/{owner}/{repo}/issues/{issue_number}', 'token', (req) => {
    const f = issueFor(req, 'write');
    if ('res' in f) return f.res;
    const b = asRecord(req.body);
    const i = f.issue;
    const st = optString(b.state);
    if (st !== undefined && st !== 'open' && st !== 'closed')
      return validationFailed(ctx, [{ resource: 'Issue', field: 'state', code: 'invalid' }]);
    const reason = b.state_reason;
    if (reason !== undefined && reason !== null && !(typeof reason === 'string' && STATE_REASONS.has(reason))) {
      return validationFailed(ctx, [{ resource: 'Issue', field: 'state_reason', code: 'invalid' }]);
    }
    if (b.title !== undefined && (typeof b.title !== 'string' || b.title === ''))
      return validationFailed(ctx, [{ resource: 'Issue', field: 'title', code: 'invalid' }]);
    // "duplicate" names the canonical issue by its id (duplicate_issue_id: "The issue must exist");
    // the simulator looks for it in the same repository.
    if (st === 'closed' && reason === 'duplicate' && ![...t.issuesOf(f.repo)].some((x) => x.id === b.duplicate_issue_id && x !== i))
      return validationFailed(ctx, [{ resource: 'Issue', field: 'duplicate_issue_id', code: 'invalid' }]);
    // The simulator keeps no milestones: null (remove it) is accepted, a number names none (422 as GitHub's for an unknown milestone).
    if (b.milestone !== undefined && b.milestone !== null)
      return validationFailed(ctx, [{ resource: 'Issue', field: 'milestone', code: 'invalid' }]);
    const lists = listsOf(b);
    if ('res' in lists) return lists.res;
    const now = clock.now();
    if (typeof b.title === 'string') i.title = b.title;
    if (typeof b.body === 'string' || b.body === null) i.body = b.body;
    if (lists.labels) i.labels = lists.labels;
    if (lists.assignees) i.assignees = lists.assignees;
    if (st === 'closed' && i.state === 'open') {
      i.state = 'closed';
      i.stateReason = (typeof reason === 'string' ? reason : 'completed') as IssueRecord['stateReason'];
      i.closedAtMs = now;
      i.closedBy = actorFor(ctx, req.principal);
    } else if (st === 'open' && i.state === 'closed') {
      i.state = 'open';
      i.stateReason = 'reopened';
      i.closedAtMs = null;
      i.closedBy = null;
    } else if (st === 'closed' && typeof reason === 'string') i.stateReason = reason as IssueRecord['stateReason'];
    i.updatedAtMs = now;
    return { status: 200, body: issueBody(i) };
  });

  r.add('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'token', (req) => {
    const f = issueFor(req, 'write');
    if ('res' in f) return f.res;
    const body = optString(asRecord(req.body).body);
    if (!body) return validationFailed(ctx, [{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    const now = clock.now();
    const c: CommentRecord = {
      id: state.nextId(),
      issue: f.issue,
      body,
      user: actorFor(ctx, req.principal)!,
      createdAtMs: now,
      updatedAtMs: now,
    };
    t.comments.set(c.id, c);
    f.issue.updatedAtMs = now;
    const shape = commentShape(ctx.shape, c);
    return { status: 201, body: shape, headers: { location: String(shape.url) } };
  });

  r.add('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'token', (req) => {
    const f = issueFor(req, 'read');
    if ('res' in f) return f.res;
    const since = req.query.get('since');
    const sinceMs = since ? Date.parse(since) : null;
    if (sinceMs !== null && Number.isNaN(sinceMs))
      return validationFailed(ctx, [{ resource: 'IssueComment', field: 'since', code: 'invalid' }]);
    // Ascending by id, as GitHub lists an issue's comments.
    const all = t.commentsOf(f.issue).filter((c) => sinceMs === null || c.updatedAtMs >= sinceMs);
    const page = paginate(all, req.query);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, req.query, page);
    return { status: 200, list: true, body: page.items.map((c) => commentShape(ctx.shape, c)), headers: link ? { link } : {} };
  });

  r.add('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'token', (req) => {
    const f = commentFor(req, 'read');
    return 'res' in f ? f.res : { status: 200, body: commentShape(ctx.shape, f.comment) };
  });

  r.add('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'token', (req) => {
    const f = commentFor(req, 'write');
    if ('res' in f) return f.res;
    const body = optString(asRecord(req.body).body);
    if (!body) return validationFailed(ctx, [{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    f.comment.body = body;
    f.comment.updatedAtMs = clock.now();
    return { status: 200, body: commentShape(ctx.shape, f.comment) };
  });

  // 204 once deleted; a second DELETE finds nothing: 404 (issues/delete-comment).
  r.add('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'token', (req) => {
    const f = commentFor(req, 'write');
    if ('res' in f) return f.res;
    t.comments.delete(f.comment.id);
    return { status: 204 };
  });

  r.add('GET', '/search/issues', 'token', (req) => {
    const q = req.query.get('q');
    if (!q) return validationFailed(ctx, [{ resource: 'Search', field: 'q', code: 'missing' }]);
    const parsed = parseIssueSearch(q);
    if ('error' in parsed) return validationFailed(ctx, [{ resource: 'Search', field: 'q', code: 'invalid', message: parsed.error }]);
    // Search covers the repositories the caller can read; GitHub's index lags the write by a
    // moment (searchLagMs): a just-created issue is not found at once.
    const visible = [...state.repos.values()].filter((repo) => 'repo' in repoFor(ctx, req.principal, repo.owner.login, repo.name));
    const cutoff = clock.now() - ctx.searchLagMs;
    const rows = visible
      .flatMap((repo) => t.issuesOf(repo))
      .filter(
        (i) =>
          i.createdAtMs <= cutoff &&
          matchesSearch(
            parsed,
            i,
            t.commentsOf(i).map((c) => c.body),
          ),
      )
      .sort((a, b) => b.createdAtMs - a.createdAtMs || b.id - a.id);
    // Search returns "up to 1,000 results for each search" (GitHub docs, search).
    const capped = rows.slice(0, ctx.searchCap);
    const page = paginate(capped, req.query);
    const link = linkHeader(`${ctx.shape.api}${req.path}`, req.query, page);
    const items = page.items.map((i) => searchItemShape(ctx.shape, i, account, count(i)));
    return {
      status: 200,
      list: true,
      body: { total_count: rows.length, incomplete_results: false, items, search_type: 'lexical' },
      headers: link ? { link } : {},
    };
  });
}
