import { AgentError } from '../errors.js';
import { describeNetworkError } from '../util/http-fetch.js';

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
  request?: { url?: string };
  cause?: unknown;
}

/** What a refusal's message tells the user to fix: it depends on what the request was for. */
export interface ErrorHints {
  forbidden: string;
  notFound: string;
  invalid: string;
}

/** For a workflow dispatch and its reads (the default). */
export const DISPATCH_HINTS: ErrorHints = {
  forbidden: 'Install the GitHub App on this repository (or give the token access) with Actions: read & write and Metadata: read.',
  notFound: "Check the action's org, repo and workflow file name, and that the App or token can see the repository.",
  invalid: "Fix the action's workflowInputs or ref to match the workflow's workflow_dispatch inputs.",
};

/**
 * For the writes of Ocean's other action types (content-api.ts): pull requests, issues and their
 * comments. The permissions are GitHub's for those routes ("Pull requests" and "Issues" write:
 * @octokit/openapi ghes-3.17 `x-github` notes, GitHub's "Permissions required for GitHub Apps").
 */
export const CONTENT_HINTS: ErrorHints = {
  forbidden:
    'Install the GitHub App on this repository (or give the token access) with Pull requests: read & write, Issues: read & write and Metadata: read.',
  notFound: "Check the action's org, repo and pull request, issue or comment number, and that the App or token can see the repository.",
  invalid: "GitHub's message above names what to change in the action's properties.",
};

/**
 * Sorts every GHES failure into retriable or permanent in one place (as renovate does), with a
 * message that names the cause and the fix. Octokit reports network errors as status 500 with
 * the original error as cause, so both look the same here: retriable.
 */
export function classifyGithubError(
  raw: unknown,
  what: string,
  host: string,
  nowMs: number,
  hints: ErrorHints = DISPATCH_HINTS,
): AgentError {
  if (raw instanceof AgentError) return raw;
  const e = raw as RequestErrorLike;
  const status = e.status ?? 0;
  const headers = e.response?.headers ?? {};
  const data = e.response?.data as { message?: string } | undefined;
  const ghMessage = typeof data?.message === 'string' ? data.message : (e.message ?? '');
  const retryAfterS = Number(headers['retry-after']);
  const remaining = headers['x-ratelimit-remaining'];
  const reset = Number(headers['x-ratelimit-reset']);

  // A limit of http-fetch (github.requestDeadlineMs, github.maxResponseBytes) or a refused
  // redirect (github-client.ts): Octokit wraps what the fetch threw into a status-500 RequestError.
  if (!e.response && e.cause instanceof AgentError) {
    return new AgentError(e.cause.code, `${what}: ${e.cause.message}`, {
      retriable: e.cause.retriable,
      status: e.cause.status,
      cause: raw,
    });
  }
  if (!e.response || status === 0 || (status === 500 && !e.response?.data && e.cause)) {
    return new AgentError('network', `${what}: ${describeNetworkError(e.cause ?? raw, host, 'github.caFile')}`, {
      retriable: true,
      cause: raw,
    });
  }
  if (
    status === 429 ||
    ((status === 403 || status === 429) && (/rate limit/i.test(ghMessage) || Number.isFinite(retryAfterS) || remaining === '0'))
  ) {
    const retryAfterMs = Number.isFinite(retryAfterS)
      ? retryAfterS * 1000
      : remaining === '0' && Number.isFinite(reset)
        ? Math.max(1000, reset * 1000 - nowMs)
        : 60_000; // GitHub: without retry-after, wait at least a minute after a secondary limit
    return new AgentError(
      'rate_limited',
      `${what}: GHES rate limit (${ghMessage.slice(0, 200)}); retrying in ${Math.round(retryAfterMs / 1000)}s`,
      {
        retriable: true,
        retryAfterMs,
        status,
        cause: raw,
      },
    );
  }
  if (status >= 500) {
    return new AgentError('server', `${what}: GHES answered ${status} ${ghMessage.slice(0, 200)}`, { retriable: true, status, cause: raw });
  }
  if (status === 401) {
    return new AgentError(
      'auth',
      `${what}: GHES rejected the agent's credentials (401 ${ghMessage}). Check github.appId and github.privateKey (or github.token): the key or token may be revoked or expired.`,
      { status, cause: raw },
    );
  }
  if (status === 403) {
    return new AgentError('forbidden', `${what}: GHES refused access (403 ${ghMessage}). ${hints.forbidden}`, { status, cause: raw });
  }
  if (status === 404) {
    return new AgentError('not_found', `${what}: not found on GHES (404). ${hints.notFound}`, {
      status,
      cause: raw,
    });
  }
  if (status === 422 || status === 400) {
    const details = Array.isArray((data as { errors?: unknown })?.errors)
      ? ` ${JSON.stringify((data as { errors: unknown[] }).errors).slice(0, 300)}`
      : '';
    return new AgentError('inputs', `${what}: GHES refused the request (${status} ${ghMessage}${details}). ${hints.invalid}`, {
      status,
      cause: raw,
    });
  }
  return new AgentError('internal', `${what}: GHES answered ${status} ${ghMessage.slice(0, 200)}`, { status, cause: raw });
}
