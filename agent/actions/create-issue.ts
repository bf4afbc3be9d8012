import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { createOnce } from './write-once.js';

export interface CreateIssue {
  org: string;
  repo: string;
  title: string;
  body?: string;
  labels?: string[];
  assignees?: string[];
}

// Ocean's messages: port-labs/ocean integrations/github/github/actions/create_issue_executor.py
// (ACTION_NAME "create_issue"; log "Creating issue '{title}' in {org}/{repo}"; result
// "Issue #{number} created: {html_url}"). Ocean writes no status label for issues; the agent
// writes these two so a redelivery knows an attempt may have written (issue 24, item 2).
export const CREATING_ISSUE_LABEL = 'Creating issue';
export const ISSUE_CREATED_LABEL = 'Issue created';

/** The marker that ties an issue to its Port run: an HTML comment, invisible on the issue's page. */
export function runMarker(runId: string): string {
  return `<!-- port-run: ${runId} -->`;
}

/** Pure: Ocean requires org, repo and title; body, labels and assignees are optional. */
export function decodeCreateIssue(props: Record<string, unknown>): Decoded<CreateIssue> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const value: CreateIssue = {
    org: f.text('org', 39),
    repo: f.text('repo', 100),
    title: f.text('title', 256),
    body: f.optionalText('body', 65_000),
    labels: f.optionalNames('labels'),
    assignees: f.optionalNames('assignees'),
  };
  return problems.length ? { ok: false, problems } : { ok: true, value };
}

/**
 * create_issue: POST /repos/{owner}/{repo}/issues (github/ghes-routes.ts: every GHES description from 3.17). Who can
 * trigger it: a Port user who can run an action pointed at this installation. What stops them:
 * the policy (a rule naming create_issue for the repository) before any GHES request. At most
 * once: the body carries the run's marker, and a redelivery whose record shows "Creating issue"
 * looks for an issue of the agent's own login holding it before writing (write-once.ts). The
 * marker is looked for among the agent's own issues only, so an issue someone else plants with
 * the marker is not taken for the run's.
 */
export function createIssueExecutor(deps: WriteDeps) {
  return createOnce<CreateIssue>(
    {
      type: 'create_issue',
      what: (p) => `create issue in ${p.org}/${p.repo}`,
      decode: decodeCreateIssue,
      intentLabel: CREATING_ISSUE_LABEL,
      doneLabel: ISSUE_CREATED_LABEL,
      intentLine: (p) => `Creating issue '${p.title}' in ${p.org}/${p.repo}`,
      find: (p, runId, sinceMs) => deps.content.findIssueByMarker(p.org, p.repo, runMarker(runId), deps.actor, sinceMs),
      create: (p, runId) =>
        deps.content.createIssue(p.org, p.repo, {
          title: p.title,
          body: `${p.body ?? ''}${p.body ? '\n\n' : ''}${runMarker(runId)}`,
          ...(p.labels?.length ? { labels: p.labels } : {}),
          ...(p.assignees?.length ? { assignees: p.assignees } : {}),
        }),
      message: (m) => `Issue #${m.number} created: ${m.htmlUrl}`,
    },
    deps,
  );
}
