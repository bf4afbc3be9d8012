import type { Clock } from '../util/backoff.js';
import { CONTENT_HINTS, classifyGithubError } from './classify-error.js';
import type { GithubClients } from './github-client.js';

/** A pull request or an issue as the executors report it: Ocean's result messages carry number and html_url. */
export interface Made {
  /** The pull request's or issue's number (for a comment: the number of the pull request it is on). */
  number: number;
  htmlUrl: string;
  /** A comment's id. */
  id?: number;
}

/** The GHES writes of Port's Ocean action types (agent/actions/), and the look-ups that keep them at most once. */
export interface ContentApi {
  createPullRequest(
    owner: string,
    repo: string,
    body: { title: string; head: string; base: string; body?: string; draft?: boolean },
  ): Promise<Made>;
  /** The open pull request from `head` into `base`, if any: GitHub allows one at a time (its 422 "A pull request already exists"). */
  findPullRequest(owner: string, repo: string, head: string, base: string): Promise<Made | undefined>;
  createIssue(owner: string, repo: string, body: { title: string; body: string; labels?: string[]; assignees?: string[] }): Promise<Made>;
  /** An issue (not a pull request) created by `creator` whose body contains `marker`, newest first, among the last 100. */
  findIssueByMarker(owner: string, repo: string, marker: string, creator: string | undefined): Promise<Made | undefined>;
  /** PATCH state closed: idempotent (closing a closed pull request answers 200 with it). */
  closePullRequest(owner: string, repo: string, number: number): Promise<Made>;
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

/** The fields of `PATCH /repos/{owner}/{repo}/issues/{issue_number}` the executors send (ghes-3.17.json issues/update). */
export interface IssuePatch {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  state_reason?: 'completed' | 'not_planned' | 'duplicate';
  duplicate_issue_id?: number;
  labels?: string[];
  assignees?: string[];
  milestone?: number | null;
}

const made = (data: unknown): Made => {
  const d = data as { number?: unknown; html_url?: unknown };
  if (typeof d?.number !== 'number' || typeof d.html_url !== 'string') throw new Error('GHES answered without number and html_url');
  return { number: d.number, htmlUrl: d.html_url };
};

/**
 * Routes and shapes: @octokit/openapi ghes-3.17 to 3.19 (`POST /repos/{owner}/{repo}/pulls`,
 * `GET /repos/{owner}/{repo}/pulls?head=owner:branch&base=…&state=open`, `POST
 * /repos/{owner}/{repo}/issues`, `GET /repos/{owner}/{repo}/issues?creator=…&state=all`, whose
 * answer also holds pull requests, marked by a `pull_request` key; `POST` and `GET
 * /repos/{owner}/{repo}/issues/{issue_number}/comments`). Creations go through the
 * client without plugin-retry: a blind retry of a POST that reached GHES would make a second
 * pull request or issue; the caller looks first instead (agent/actions/write-once.ts).
 */
export function createContentApi(deps: { clients: GithubClients; clock: Clock }): ContentApi {
  const { clients, clock } = deps;
  const fail = (what: string) => (err: unknown) => {
    throw classifyGithubError(err, what, clients.host, clock.now(), CONTENT_HINTS);
  };
  return {
    async createPullRequest(owner, repo, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('POST /repos/{owner}/{repo}/pulls', { owner, repo, ...body })
        .catch(fail(`creating a pull request in ${owner}/${repo}`));
      return made(res.data);
    },
    async findPullRequest(owner, repo, head, base) {
      const gh = await clients.forOwner(owner);
      // GitHub filters by head as "user:ref-name"; a head given as "user:branch" already is.
      const qualified = head.includes(':') ? head : `${owner}:${head}`;
      const res = await gh
        .request('GET /repos/{owner}/{repo}/pulls', { owner, repo, head: qualified, base, state: 'open', per_page: 10 })
        .catch(fail(`listing pull requests of ${owner}/${repo}`));
      const first = (res.data as unknown[])[0];
      return first === undefined ? undefined : made(first);
    },
    async createIssue(owner, repo, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('POST /repos/{owner}/{repo}/issues', { owner, repo, ...body })
        .catch(fail(`creating an issue in ${owner}/${repo}`));
      return made(res.data);
    },
    async findIssueByMarker(owner, repo, marker, creator) {
      const gh = await clients.forOwner(owner);
      const res = await gh
        .request('GET /repos/{owner}/{repo}/issues', {
          owner,
          repo,
          state: 'all',
          sort: 'created',
          direction: 'desc',
          per_page: 100,
          ...(creator ? { creator } : {}),
        })
        .catch(fail(`listing issues of ${owner}/${repo}`));
      const hit = (res.data as Array<{ body?: string | null; pull_request?: unknown }>).find(
        (i) => i.pull_request === undefined && typeof i.body === 'string' && i.body.includes(marker),
      );
      return hit === undefined ? undefined : made(hit);
    },
    async closePullRequest(owner, repo, number) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: number, state: 'closed' })
        .catch(fail(`closing ${owner}/${repo}#${number}`));
      return made(res.data);
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
        const hit = list.find(
          (c) =>
            typeof c.body === 'string' &&
            c.body.includes(marker) &&
            (creator === undefined || c.user?.login?.toLowerCase() === creator.toLowerCase()),
        );
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

const comment = (number: number, data: unknown): Made => {
  const d = data as { id?: unknown; html_url?: unknown };
  if (typeof d?.id !== 'number' || typeof d.html_url !== 'string') throw new Error('GHES answered without id and html_url');
  return { number, id: d.id, htmlUrl: d.html_url };
};
