import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { createOnce } from './write-once.js';

export interface ClosePullRequest {
  org: string;
  repo: string;
  prNumber: number;
}

// Ocean's messages: port-labs/ocean integrations/github/github/actions/close_pull_request_executor.py
// (ACTION_NAME "close_pull_request"; org, repo, prNumber required; log "Closing pull request
// #{prNumber} in {org}/{repo}"; PATCH …/pulls/{n} {"state": "closed"}; result "Pull request
// #{number} closed: {html_url}"). Ocean writes no status label here; the agent writes these so a
// run's progress reads alike for every type.
export const CLOSING_PR_LABEL = 'Closing PR';
export const PR_CLOSED_LABEL = 'PR closed';

/** Pure: org, repo and a pull request number (an integer, or its decimal string). */
export function decodeClosePullRequest(props: Record<string, unknown>): Decoded<ClosePullRequest> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const raw = props.prNumber;
  const prNumber = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : raw;
  if (typeof prNumber !== 'number' || !Number.isSafeInteger(prNumber) || prNumber < 1)
    problems.push('integrationActionExecutionProperties.prNumber is not a pull request number');
  return problems.length ? { ok: false, problems } : { ok: true, value: { org, repo, prNumber: prNumber as number } };
}

/**
 * close_pull_request: PATCH /repos/{owner}/{repo}/pulls/{n} (github/ghes-routes.ts: every GHES
 * description from 3.17). Who can trigger it: a Port user who can run an action pointed at this
 * installation; what stops them: the policy (a rule naming close_pull_request for the
 * repository) before any GHES request. At most once is moot: closing is idempotent (a closed
 * pull request closed again answers 200 with itself), so after an interruption the PATCH is
 * simply sent again; nothing is looked for first.
 */
export function closePullRequestExecutor(deps: WriteDeps) {
  return createOnce<ClosePullRequest>(
    {
      type: 'close_pull_request',
      what: (p) => `close pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      decode: decodeClosePullRequest,
      intentLabel: CLOSING_PR_LABEL,
      doneLabel: PR_CLOSED_LABEL,
      intentLine: (p) => `Closing pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      find: () => Promise.resolve(undefined),
      create: (p) => deps.content.closePullRequest(p.org, p.repo, p.prNumber),
      message: (m) => `Pull request #${m.number} closed: ${m.htmlUrl}`,
    },
    deps,
  );
}
