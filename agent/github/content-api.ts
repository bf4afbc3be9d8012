import type { Clock } from '../util/backoff.js';
import { CONTENT_HINTS, classifyGithubError } from './classify-error.js';
import type { GithubClients } from './github-client.js';
import { type IssueWrites, issueWrites } from './issue-writes.js';
import { type PullRequestWrites, pullRequestWrites } from './pull-request-writes.js';

/** The GHES writes of Port's Ocean action types (agent/actions/), and the look-ups that keep them at most once. */
export interface ContentApi extends PullRequestWrites, IssueWrites {}

/**
 * The pull-request writes (pull-request-writes.ts) and the issue and comment writes
 * (issue-writes.ts) over one set of clients; a refusal's message names what to fix for such a
 * write, not a workflow's inputs (classify-error.ts CONTENT_HINTS).
 */
export function createContentApi(deps: { clients: GithubClients; clock: Clock }): ContentApi {
  const { clients, clock } = deps;
  const fail = (what: string) => (err: unknown) => {
    throw classifyGithubError(err, what, clients.host, clock.now(), CONTENT_HINTS);
  };
  const ctx = { clients, fail };
  return { ...pullRequestWrites(ctx), ...issueWrites(ctx) };
}
