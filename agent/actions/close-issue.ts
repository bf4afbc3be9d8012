import type { IssuePatch } from '../github/content-writes.js';
import { positiveInteger } from './decode-number.js';
import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { issueRefusal } from './issue-refusal.js';
import { createOnce } from './write-once.js';

export interface CloseIssue {
  org: string;
  repo: string;
  issueNumber: number;
  reason: CloseReason;
}

/** What GitHub's PATCH takes to close an issue: a reason, and for a duplicate the canonical issue's id. */
export interface CloseReason {
  state_reason: 'completed' | 'not_planned' | 'duplicate';
  duplicate_issue_id?: number;
}

// Ocean's properties and messages: port-labs/ocean integrations/github/github/actions/
// close_issue_executor.py with utils.py build_close_issue_patch_body / resolve_close_reason
// (ACTION_NAME "close_issue"; org, repo, issueNumber required; stateReason one of completed,
// not_planned, duplicate, default completed; duplicateIssueId required for duplicate; log
// "Closing issue #{issueNumber} in {org}/{repo} as {state_reason}"; result "Issue #{number}
// closed: {html_url}"). Ocean writes no status label for it; the agent writes these two so a
// run's progress reads alike for every type.
export const CLOSING_ISSUE_LABEL = 'Closing issue';
export const ISSUE_CLOSED_LABEL = 'Issue closed';

const CLOSE_REASONS = ['completed', 'duplicate', 'not_planned'] as const;

/** Pure: Ocean's resolve_close_reason, shared with edit_issue's `state: closed`. */
export function decodeCloseReason(props: Record<string, unknown>, problems: string[]): CloseReason {
  const raw = props.stateReason ?? 'completed';
  if (!CLOSE_REASONS.includes(raw as CloseReason['state_reason'])) {
    problems.push(`integrationActionExecutionProperties.stateReason must be one of: ${CLOSE_REASONS.join(', ')}`);
    return { state_reason: 'completed' };
  }
  const state_reason = raw as CloseReason['state_reason'];
  if (state_reason !== 'duplicate') return { state_reason };
  if (props.duplicateIssueId === undefined || props.duplicateIssueId === null) {
    problems.push("integrationActionExecutionProperties.duplicateIssueId is required when stateReason is 'duplicate'");
    return { state_reason };
  }
  return { state_reason, duplicate_issue_id: positiveInteger(props, 'duplicateIssueId', 'an issue id', problems) };
}

/** Pure: org, repo, issueNumber, and the close reason. */
export function decodeCloseIssue(props: Record<string, unknown>): Decoded<CloseIssue> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const issueNumber = positiveInteger(props, 'issueNumber', 'an issue number', problems);
  const reason = decodeCloseReason(props, problems);
  return problems.length ? { ok: false, problems } : { ok: true, value: { org, repo, issueNumber, reason } };
}

/**
 * close_issue: PATCH /repos/{owner}/{repo}/issues/{issue_number} with state closed (github/ghes-routes.ts:
 * every GHES description from 3.17). Who can trigger it: a Port user who can run an action
 * pointed at this installation; what stops them: the policy (a rule naming close_issue for the
 * repository) before any GHES request (write-once.ts). At most once is moot: closing is
 * idempotent (the same PATCH on a closed issue answers 200 with the issue, still closed with
 * that reason), so after an interruption the PATCH is simply sent again; nothing is looked for.
 * GitHub's refusals (404 no such issue, 410 issues disabled, 422, 403) end the run FAILURE.
 */
export function closeIssueExecutor(deps: WriteDeps) {
  return createOnce<CloseIssue>(
    {
      type: 'close_issue',
      what: (p) => `close issue #${p.issueNumber} in ${p.org}/${p.repo}`,
      decode: decodeCloseIssue,
      intentLabel: CLOSING_ISSUE_LABEL,
      doneLabel: ISSUE_CLOSED_LABEL,
      intentLine: (p) => `Closing issue #${p.issueNumber} in ${p.org}/${p.repo} as ${p.reason.state_reason}`,
      find: () => Promise.resolve(undefined),
      create: (p) => {
        const patch: IssuePatch = { state: 'closed', ...p.reason };
        return deps.content
          .editIssue(p.org, p.repo, p.issueNumber, patch)
          .catch((e: unknown) => Promise.reject(issueRefusal(e, `issue #${p.issueNumber} in ${p.org}/${p.repo}`)));
      },
      message: (m) => `Issue #${m.number} closed: ${m.htmlUrl}`,
    },
    deps,
  );
}
