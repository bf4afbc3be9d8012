import { runMarker } from './create-issue.js';
import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { createOnce } from './write-once.js';

export interface CreatePrComment {
  org: string;
  repo: string;
  prNumber: number;
  body: string;
}

// Ocean's labels and messages: port-labs/ocean
// integrations/github/github/actions/create_pr_comment_executor.py (ACTION_NAME
// "create_pr_comment", inputs org, repo, prNumber (int), body (non-empty); label "Creating
// comment" then "Comment created"; log "Creating comment on pull request #{prNumber} in
// {org}/{repo}"; result "Comment created on pull request #{prNumber}: {html_url}"). Ocean writes
// PR comments through GitHub's issue-comments API (abstract_pr_comment_executor.py).
export const CREATING_COMMENT_LABEL = 'Creating comment';
export const COMMENT_CREATED_LABEL = 'Comment created';

/** Pure: Ocean's CreatePrCommentInputs (pydantic: prNumber an int, "12" accepted as pydantic does). */
export function decodeCreatePrComment(props: Record<string, unknown>): Decoded<CreatePrComment> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const body = f.text('body', 65_000);
  const raw = props.prNumber;
  const prNumber = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : raw;
  if (typeof prNumber !== 'number' || !Number.isSafeInteger(prNumber) || prNumber < 1)
    problems.push('integrationActionExecutionProperties.prNumber is not a pull request number');
  return problems.length ? { ok: false, problems } : { ok: true, value: { org, repo, body, prNumber: prNumber as number } };
}

/**
 * create_pr_comment: POST /repos/{owner}/{repo}/issues/{n}/comments (github/ghes-routes.ts:
 * every GHES description from 3.17). Who can trigger it: a Port user who can run an action
 * pointed at this installation; what stops them: the policy (a rule naming create_pr_comment for
 * the repository) before any GHES request. At most once: the comment carries the run's marker
 * (an HTML comment, invisible on the page), and a redelivery whose record shows "Creating
 * comment" looks for a comment of the agent's own login holding it before writing.
 */
export function createPrCommentExecutor(deps: WriteDeps) {
  return createOnce<CreatePrComment>(
    {
      type: 'create_pr_comment',
      what: (p) => `create comment on pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      decode: decodeCreatePrComment,
      intentLabel: CREATING_COMMENT_LABEL,
      doneLabel: COMMENT_CREATED_LABEL,
      intentLine: (p) => `Creating comment on pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      find: (p, runId) => deps.content.findCommentByMarker(p.org, p.repo, p.prNumber, runMarker(runId), deps.actor),
      create: (p, runId) => deps.content.createIssueComment(p.org, p.repo, p.prNumber, `${p.body}\n\n${runMarker(runId)}`),
      message: (m) => `Comment created on pull request #${m.number}: ${m.htmlUrl}`,
      nodeOutput: (m) => ({ number: m.number, commentId: m.id, url: m.htmlUrl }),
    },
    deps,
  );
}
