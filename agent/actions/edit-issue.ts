import type { IssuePatch } from '../github/content-writes.js';
import { decodeCloseReason } from './close-issue.js';
import { positiveInteger } from './decode-number.js';
import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { issueRefusal } from './issue-refusal.js';
import { createOnce } from './write-once.js';

export interface EditIssue {
  org: string;
  repo: string;
  issueNumber: number;
  patch: IssuePatch;
}

// Ocean's properties and messages: port-labs/ocean integrations/github/github/actions/
// edit_issue_executor.py with utils.py build_edit_issue_patch_body (ACTION_NAME "edit_issue";
// org, repo, issueNumber required; title, body, labels, assignees, milestone forwarded when
// given, a milestone of null removing it; at least one of them; log "Editing issue
// #{issueNumber} in {org}/{repo}"; result "Issue #{number} updated: {html_url}"). An earlier
// version of utils.py also forwarded `state` (with stateReason when closed): taken too, since
// GitHub's route takes it, so a run written for it is not silently half done. Ocean writes no
// status label for it; the agent writes these two.
export const EDITING_ISSUE_LABEL = 'Editing issue';
export const ISSUE_UPDATED_LABEL = 'Issue updated';

const FIELDS = 'title, body, state, labels, assignees, or milestone';

/** Pure: the PATCH body from Ocean's properties, every problem named. */
export function decodeEditIssue(props: Record<string, unknown>): Decoded<EditIssue> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const issueNumber = positiveInteger(props, 'issueNumber', 'an issue number', problems);
  const patch: IssuePatch = {};
  const title = f.optionalText('title', 256);
  if (title !== undefined) patch.title = title;
  // An empty body is a body: it clears the issue's description (GitHub: body, nullable string).
  if (props.body !== undefined && props.body !== null) {
    if (typeof props.body === 'string' && props.body.length <= 65_536) patch.body = props.body;
    else problems.push('integrationActionExecutionProperties.body is not a string of at most 65536 characters');
  }
  const labels = f.optionalNames('labels');
  if (labels !== undefined) patch.labels = labels;
  const assignees = f.optionalNames('assignees');
  if (assignees !== undefined) patch.assignees = assignees;
  if (props.milestone !== undefined)
    patch.milestone = props.milestone === null ? null : positiveInteger(props, 'milestone', 'a milestone number or null', problems);
  if (props.state !== undefined && props.state !== null) {
    if (props.state === 'open') patch.state = 'open';
    else if (props.state === 'closed') Object.assign(patch, { state: 'closed' }, decodeCloseReason(props, problems));
    else problems.push('integrationActionExecutionProperties.state is not open or closed');
  }
  if (Object.keys(patch).length === 0 && problems.length === 0) problems.push(`at least one field to update is required (${FIELDS})`);
  return problems.length ? { ok: false, problems } : { ok: true, value: { org, repo, issueNumber, patch } };
}

/**
 * edit_issue: PATCH /repos/{owner}/{repo}/issues/{issue_number} (github/ghes-routes.ts: every
 * GHES description from 3.17). Who can trigger it: a Port user who can run an action pointed at
 * this installation; what stops them: the policy (a rule naming edit_issue for the repository)
 * before any GHES request (write-once.ts). At most once is moot: an edit is idempotent (the same
 * PATCH twice leaves the issue in the same state: fields are replaced, labels and assignees as
 * whole sets), so after an interruption it is simply sent again; nothing is looked for first.
 * GitHub's refusals (404 no such issue, 410 issues disabled, 422 a bad value, 403) end the run
 * FAILURE with GitHub's words.
 */
export function editIssueExecutor(deps: WriteDeps) {
  return createOnce<EditIssue>(
    {
      type: 'edit_issue',
      what: (p) => `edit issue #${p.issueNumber} in ${p.org}/${p.repo}`,
      decode: decodeEditIssue,
      intentLabel: EDITING_ISSUE_LABEL,
      doneLabel: ISSUE_UPDATED_LABEL,
      intentLine: (p) => `Editing issue #${p.issueNumber} in ${p.org}/${p.repo}`,
      find: () => Promise.resolve(undefined),
      create: (p) =>
        deps.content
          .editIssue(p.org, p.repo, p.issueNumber, p.patch)
          .catch((e: unknown) => Promise.reject(issueRefusal(e, `issue #${p.issueNumber} in ${p.org}/${p.repo}`))),
      message: (m) => `Issue #${m.number} updated: ${m.htmlUrl}`,
    },
    deps,
  );
}
