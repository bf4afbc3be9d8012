import { AgentError, toAgentError } from '../errors.js';

/** GitHub's own words from a refused request (its `message`, and `errors` of a 422), when Octokit kept them. */
function githubSays(err: AgentError): string {
  const data = (err.cause as { response?: { data?: unknown } } | undefined)?.response?.data as
    { message?: unknown; errors?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message.slice(0, 200) : '';
  const errors = Array.isArray(data?.errors) ? ` ${JSON.stringify(data.errors).slice(0, 300)}` : '';
  return `${message}${errors}`.trim();
}

/**
 * Pure: a refusal of an issue or comment write, in words for Port's run page. The generic
 * classifier (github/classify-error.ts) speaks of workflow inputs; these are GitHub's documented
 * answers to `PATCH /repos/{owner}/{repo}/issues/{issue_number}` (403, 404, 410 "issues are
 * disabled", 422) and to the comment routes (404, 422) in ghes-3.17.json to 3.19. Anything else
 * (a 5xx, a network error, a rate limit) is returned as it was: retriable or not as classified.
 */
export function issueRefusal(raw: unknown, subject: string): AgentError {
  const err = toAgentError(raw);
  if (err.retriable) return err;
  const says = githubSays(err);
  const their = says ? `: ${says}` : '';
  const opts = { status: err.status, cause: err };
  switch (err.status) {
    case 404:
      return new AgentError('not_found', `${subject} not found (404): it does not exist there, or the App cannot see it`, opts);
    case 410:
      return new AgentError('inputs', `issues are disabled in this repository (410 Gone${their})`, opts);
    case 422:
      return new AgentError('inputs', `GHES refused the change (422 Validation Failed${their})`, opts);
    case 403:
      return new AgentError(
        'forbidden',
        `GHES refused access (403${their}): the App needs Issues: read & write on the repository (Pull requests: read & write for a pull request's comments)`,
        opts,
      );
    default:
      return err;
  }
}
