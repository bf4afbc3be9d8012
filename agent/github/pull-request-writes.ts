import { AgentError } from '../errors.js';
import { type Made, type WritesContext, comment, made, sameLogin } from './content-writes.js';

/** The pull-request writes of Port's Ocean action types, and the look-ups that keep them at most once. */
export interface PullRequestWrites {
  createPullRequest(
    owner: string,
    repo: string,
    body: { title: string; head: string; base: string; body?: string; draft?: boolean },
  ): Promise<Made>;
  /** The open pull request from `head` into `base`, if any: GitHub allows one at a time (its 422 "A pull request already exists"). */
  findPullRequest(owner: string, repo: string, head: string, base: string): Promise<Made | undefined>;
  /** PATCH state closed: idempotent (closing a closed pull request answers 200 with it). */
  closePullRequest(owner: string, repo: string, number: number): Promise<Made>;
  /** PATCH title, body or base (issue 24, update_pull_request): idempotent, the same PATCH twice leaves the same pull request. */
  updatePullRequest(owner: string, repo: string, number: number, fields: { title?: string; body?: string; base?: string }): Promise<Made>;
  /** The pull request's number and html_url (GET …/pulls/{n}): the merge answer carries no html_url. */
  getPullRequest(owner: string, repo: string, number: number): Promise<Made>;
  /** GET …/pulls/{n}/merge: GitHub answers 204 when merged, 404 when not (pulls/check-if-merged). */
  pullRequestMerged(owner: string, repo: string, number: number): Promise<boolean>;
  /** PUT …/pulls/{n}/merge; its 200 answer says merged true (a false one is refused here). Not idempotent: a second PUT is a 405. */
  mergePullRequest(
    owner: string,
    repo: string,
    number: number,
    body: { merge_method: 'merge' | 'squash' | 'rebase'; commit_title?: string; commit_message?: string; sha?: string },
  ): Promise<{ sha: string }>;
  /** POST …/pulls/{n}/reviews with an event (never PENDING): the review's id and html_url. */
  createReview(owner: string, repo: string, number: number, body: { event: string; body: string }): Promise<Made>;
  /** The review on `number` by `creator` whose body contains `marker`, if any (every page, oldest first, up to 3,000 reviews). */
  findReviewByMarker(owner: string, repo: string, number: number, marker: string, creator: string | undefined): Promise<Made | undefined>;
}

/**
 * Routes and shapes: @octokit/openapi ghes-3.17 to 3.19 (`POST /repos/{owner}/{repo}/pulls`,
 * `GET /repos/{owner}/{repo}/pulls?head=owner:branch&base=…&state=open`, and the routes named
 * below). Creations go through the client without plugin-retry (`onceForOwner`): a blind retry
 * of a POST that reached GHES would make a second pull request or review; the caller looks first
 * instead (agent/actions/write-once.ts).
 */
export function pullRequestWrites({ clients, fail }: WritesContext): PullRequestWrites {
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
    async closePullRequest(owner, repo, number) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: number, state: 'closed' })
        .catch(fail(`closing ${owner}/${repo}#${number}`));
      return made(res.data);
    },
    // update/merge/review_pull_request (issue 24). Routes and answers: @octokit/openapi
    // ghes-3.17.json pulls/update (200, 422), pulls/get, pulls/check-if-merged (204 merged, 404
    // not), pulls/merge (200 {sha, merged, message}; 405 not mergeable, 409 head sha mismatch,
    // 404, 422), pulls/create-review (200, 422) and pulls/list-reviews (chronological, paged).
    async updatePullRequest(owner, repo, number, fields) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: number, ...fields })
        .catch(fail(`updating ${owner}/${repo}#${number}`));
      return made(res.data);
    },
    async getPullRequest(owner, repo, number) {
      const gh = await clients.forOwner(owner);
      const res = await gh
        .request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo, pull_number: number })
        .catch(fail(`reading ${owner}/${repo}#${number}`));
      return made(res.data);
    },
    async pullRequestMerged(owner, repo, number) {
      const gh = await clients.forOwner(owner);
      try {
        await gh.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/merge', { owner, repo, pull_number: number });
        return true;
      } catch (err) {
        if ((err as { status?: unknown }).status === 404) return false;
        return fail(`checking whether ${owner}/${repo}#${number} is merged`)(err);
      }
    },
    async mergePullRequest(owner, repo, number, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', { owner, repo, pull_number: number, ...body })
        .catch(fail(`merging ${owner}/${repo}#${number}`));
      const d = res.data as { merged?: unknown; sha?: unknown; message?: unknown };
      // Ocean refuses a 200 without merged true the same way (merge_pull_request_executor.py).
      if (d?.merged !== true || typeof d.sha !== 'string')
        throw new AgentError(
          'internal',
          `merging ${owner}/${repo}#${number}: GHES did not merge it (${typeof d?.message === 'string' ? d.message.slice(0, 200) : 'no message'})`,
        );
      return { sha: d.sha };
    },
    async createReview(owner, repo, number, body) {
      const gh = await clients.onceForOwner(owner);
      const res = await gh
        .request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
          owner,
          repo,
          pull_number: number,
          event: body.event as 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT',
          body: body.body,
        })
        .catch(fail(`reviewing ${owner}/${repo}#${number}`));
      return comment(number, res.data);
    },
    async findReviewByMarker(owner, repo, number, marker, creator) {
      const gh = await clients.forOwner(owner);
      for (let page = 1; page <= 30; page++) {
        const res = await gh
          .request('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { owner, repo, pull_number: number, per_page: 100, page })
          .catch(fail(`listing reviews of ${owner}/${repo}#${number}`));
        const list = res.data as Array<{ body?: string | null; user?: { login?: string } | null }>;
        const hit = list.find((v) => typeof v.body === 'string' && v.body.includes(marker) && sameLogin(v.user?.login, creator));
        if (hit) return comment(number, hit);
        if (list.length < 100) return undefined;
      }
      return undefined;
    },
  };
}
