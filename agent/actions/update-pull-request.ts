import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { readPrNumber } from './pull-request-number.js';
import { createOnce } from './write-once.js';

export interface UpdatePullRequest {
  org: string;
  repo: string;
  prNumber: number;
  title?: string;
  body?: string;
  base?: string;
}

// Ocean's inputs, labels and messages: port-labs/ocean
// integrations/github/github/actions/update_pull_request_executor.py, newest version
// (UpdatePullRequestInputs: org, repo, prNumber int, title/body/base optional, "At least one
// field to update is required (title, body, or base)"; post_run_log "Updating pull request
// #{prNumber} in {org}/{repo}" with status_label "Updating pull request"; result "Pull request
// #{number} updated: {html_url}" with status_label "Pull request updated").
export const UPDATING_PR_LABEL = 'Updating pull request';
export const PR_UPDATED_LABEL = 'Pull request updated';
const UPDATABLE = ['title', 'body', 'base'] as const;

/**
 * Pure. `state` is refused, not ignored: older Ocean versions accepted it, the newest dropped it,
 * and closing is close_pull_request's, which the policy allows separately, so a rule naming
 * update_pull_request alone must not let a run close a pull request.
 */
export function decodeUpdatePullRequest(props: Record<string, unknown>): Decoded<UpdatePullRequest> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const prNumber = readPrNumber(props, problems);
  const fields = {
    title: props.title === undefined || props.title === null ? undefined : f.text('title', 256),
    // An empty body is a real update (it clears the description), as Ocean sends any non-null body.
    body: typeof props.body === 'string' && props.body === '' ? '' : f.optionalText('body', 65_536),
    base: props.base === undefined || props.base === null ? undefined : f.text('base', 255),
  };
  if (props.state !== undefined && props.state !== null)
    problems.push(
      'integrationActionExecutionProperties.state is not an update_pull_request field: closing a pull request is close_pull_request (a policy rule names it separately)',
    );
  if (UPDATABLE.every((k) => props[k] === undefined || props[k] === null))
    problems.push('at least one field to update is required (title, body, or base)');
  if (problems.length) return { ok: false, problems };
  const set = Object.fromEntries(UPDATABLE.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]));
  return { ok: true, value: { org, repo, prNumber, ...set } };
}

/**
 * update_pull_request: PATCH /repos/{owner}/{repo}/pulls/{n} (github/ghes-routes.ts: every GHES
 * description from 3.17; 422 when GitHub refuses a field, e.g. a base that does not exist). Who
 * can trigger it: a Port user who can run an action pointed at this installation; what stops
 * them: the policy (a rule naming update_pull_request for the repository) before any GHES
 * request. At most once is moot: the PATCH is idempotent (the same title, body and base sent
 * twice leave the same pull request and answer 200 with it), so after an interruption it is
 * simply sent again; nothing is looked for first.
 */
export function updatePullRequestExecutor(deps: WriteDeps) {
  return createOnce<UpdatePullRequest>(
    {
      type: 'update_pull_request',
      what: (p) => `update pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      decode: decodeUpdatePullRequest,
      intentLabel: UPDATING_PR_LABEL,
      doneLabel: PR_UPDATED_LABEL,
      intentLine: (p) => `Updating pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      find: () => Promise.resolve(undefined),
      create: (p) =>
        deps.content.updatePullRequest(p.org, p.repo, p.prNumber, {
          ...(p.title !== undefined ? { title: p.title } : {}),
          ...(p.body !== undefined ? { body: p.body } : {}),
          ...(p.base !== undefined ? { base: p.base } : {}),
        }),
      message: (m) => `Pull request #${m.number} updated: ${m.htmlUrl}`,
    },
    deps,
  );
}
