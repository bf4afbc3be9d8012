import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { createOnce } from './write-once.js';

export interface CreatePullRequest {
  org: string;
  repo: string;
  title: string;
  head: string;
  base: string;
  body?: string;
  draft?: boolean;
}

// Ocean's labels and messages: port-labs/ocean
// integrations/github/github/actions/create_pull_request_executor.py (ACTION_NAME
// "create_pull_request", CREATING_STATUS_LABEL "Creating PR", CREATED_STATUS_LABEL "PR created",
// log "Creating pull request '{title}' in {org}/{repo} ({head} → {base})", result
// "Pull request #{number} created: {html_url}").
export const CREATING_PR_LABEL = 'Creating PR';
export const PR_CREATED_LABEL = 'PR created';

/** Pure: Ocean requires org, repo, title, head and base; body and draft are optional. */
export function decodeCreatePullRequest(props: Record<string, unknown>): Decoded<CreatePullRequest> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const value: CreatePullRequest = {
    org: f.text('org', 39),
    repo: f.text('repo', 100),
    title: f.text('title', 256),
    head: f.text('head', 255),
    base: f.text('base', 255),
    body: f.optionalText('body', 65_536),
    draft: f.optionalFlag('draft'),
  };
  return problems.length ? { ok: false, problems } : { ok: true, value };
}

/**
 * create_pull_request: POST /repos/{owner}/{repo}/pulls (github/ghes-routes.ts: every GHES description from 3.17).
 * Who can trigger it: a Port user who can run an action pointed at this installation. What
 * stops them: the policy (a rule naming create_pull_request for the repository) before any
 * GHES request, and the App's own permissions. At most once: GitHub keeps one open pull request
 * per head and base, and a redelivery whose record shows "Creating PR" looks for it by head and
 * base before writing (write-once.ts).
 */
export function createPullRequestExecutor(deps: WriteDeps) {
  return createOnce<CreatePullRequest>(
    {
      type: 'create_pull_request',
      what: (p) => `create pull request in ${p.org}/${p.repo}`,
      decode: decodeCreatePullRequest,
      intentLabel: CREATING_PR_LABEL,
      doneLabel: PR_CREATED_LABEL,
      intentLine: (p) => `Creating pull request '${p.title}' in ${p.org}/${p.repo} (${p.head} → ${p.base})`,
      find: (p) => deps.content.findPullRequest(p.org, p.repo, p.head, p.base),
      create: (p) =>
        deps.content.createPullRequest(p.org, p.repo, {
          title: p.title,
          head: p.head,
          base: p.base,
          ...(p.body ? { body: p.body } : {}),
          ...(p.draft !== undefined ? { draft: p.draft } : {}),
        }),
      message: (m) => `Pull request #${m.number} created: ${m.htmlUrl}`,
    },
    deps,
  );
}
