import { type IssuePatch, type Made, type WritesContext, comment, made, sameLogin } from './content-writes.js';

/** The issue and comment writes of Port's Ocean action types, and the look-ups that keep them at most once. */
export interface IssueWrites {
  createIssue(owner: string, repo: string, body: { title: string; body: string; labels?: string[]; assignees?: string[] }): Promise<Made>;
  /**
   * An issue (not a pull request) created by `creator` whose body contains `marker`, among those
   * updated since `sinceMs` (GitHub's `since`: an issue made for a run was updated after the run
   * was written), every page, newest first, up to 3,000 issues.
   */
  findIssueByMarker(owner: string, repo: string, marker: string, creator: string | undefined, sinceMs: number): Promise<Made | undefined>;
  /** A comment on issue or pull request `number` (GitHub's issue-comments API, as Ocean's PR comments use). */
  createIssueComment(owner: string, repo: string, number: number, body: string): Promise<Made>;
  /** The comment on `number` by `creator` whose body contains `marker`, if any (every page, oldest first, up to 3,000 comments). */
  findCommentByMarker(owner: string, repo: string, number: number, marker: string, creator: string | undefined): Promise<Made | undefined>;
  /** PATCH an issue (edit_issue, close_issue): idempotent, the same PATCH twice leaves the same state. */
  editIssue(owner: string, repo: string, number: number, body: IssuePatch): Promise<Made>;
  /** PATCH a comment's body: idempotent. The comment's `number` is its issue's, read from its issue_url. */
  editIssueComment(owner: string, repo: string, commentId: number, body: string): Promise<Made>;
  /** DELETE a comment: 204, then 404 for every later DELETE (the caller decides what a 404 means). */
  deleteIssueComment(owner: string, repo: string, commentId: number): Promise<void>;
}

/**
 * Routes and shapes: @octokit/openapi ghes-3.17 to 3.19 (`POST /repos/{owner}/{repo}/issues`,
 * `GET /repos/{owner}/{repo}/issues?creator=…&state=all`, whose answer also holds pull
 * requests, marked by a `pull_request` key; `POST` and `GET
 * /repos/{owner}/{repo}/issues/{issue_number}/comments`, and the routes named below).
 * Creations go through the client without plugin-retry (`onceForOwner`): a blind retry of a POST
 * that reached GHES would make a second issue or comment; the caller looks first instead
 * (agent/actions/write-once.ts).
 */
export function issueWrites({ clients, fail }: WritesContext): IssueWrites {
  return {
    async createIssue(owner, repo, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('POST /repos/{owner}/{repo}/issues', { owner, repo, ...body })
        .catch(fail(`creating an issue in ${owner}/${repo}`));
      return made(res.data);
    },
    async findIssueByMarker(owner, repo, marker, creator, sinceMs) {
      const gh = await clients.forOwner(owner);
      // Once only the newest 100 were read: a repository where the agent's login opened more
      // issues between the first attempt and the look would hide the run's issue, and a second
      // one would be made. `since` bounds the pages to the issues the run could have made.
      const since = new Date(sinceMs).toISOString();
      for (let page = 1; page <= 30; page++) {
        const res = await gh
          .request('GET /repos/{owner}/{repo}/issues', {
            owner,
            repo,
            state: 'all',
            sort: 'created',
            direction: 'desc',
            since,
            per_page: 100,
            page,
            ...(creator ? { creator } : {}),
          })
          .catch(fail(`listing issues of ${owner}/${repo}`));
        const list = res.data as Array<{ body?: string | null; pull_request?: unknown }>;
        const hit = list.find((i) => i.pull_request === undefined && typeof i.body === 'string' && i.body.includes(marker));
        if (hit) return made(hit);
        if (list.length < 100) return undefined;
      }
      return undefined;
    },
    async createIssueComment(owner, repo, number, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: number, body })
        .catch(fail(`commenting on ${owner}/${repo}#${number}`));
      return comment(number, res.data);
    },
    async findCommentByMarker(owner, repo, number, marker, creator) {
      const gh = await clients.forOwner(owner);
      for (let page = 1; page <= 30; page++) {
        const res = await gh
          .request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: number, per_page: 100, page })
          .catch(fail(`listing comments of ${owner}/${repo}#${number}`));
        const list = res.data as Array<{ body?: string | null; user?: { login?: string } | null }>;
        const hit = list.find((c) => typeof c.body === 'string' && c.body.includes(marker) && sameLogin(c.user?.login, creator));
        if (hit) return comment(number, hit);
        if (list.length < 100) return undefined;
      }
      return undefined;
    },
    // Issue 24 (edit_issue, close_issue, edit_pr_comment, delete_pr_comment): PATCH
    // /repos/{owner}/{repo}/issues/{issue_number} (200; 403, 404, 410 issues disabled, 422),
    // PATCH and DELETE /repos/{owner}/{repo}/issues/comments/{comment_id} (200 / 204; 404, 422),
    // ghes-3.17.json to 3.19. Owner and repository are in the comment routes: a comment of
    // another repository is not found (404) under this one.
    async editIssue(owner, repo, number, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: number, ...body })
        .catch(fail(`editing ${owner}/${repo}#${number}`));
      return made(res.data);
    },
    async editIssueComment(owner, repo, commentId, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: commentId, body })
        .catch(fail(`editing comment ${commentId} in ${owner}/${repo}`));
      const issueUrl = (res.data as { issue_url?: unknown }).issue_url;
      const n = typeof issueUrl === 'string' ? /\/(\d+)$/.exec(issueUrl)?.[1] : undefined;
      if (n === undefined) throw new Error('GHES answered without issue_url');
      return comment(Number(n), res.data);
    },
    async deleteIssueComment(owner, repo, commentId) {
      const gh = await clients.onceForOwner(owner);
      await gh
        .request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: commentId })
        .catch(fail(`deleting comment ${commentId} in ${owner}/${repo}`));
    },
  };
}
