import { positiveInteger } from './decode-number.js';
import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { issueRefusal } from './issue-refusal.js';
import { createOnce } from './write-once.js';

export interface EditPrComment {
  org: string;
  repo: string;
  commentId: number;
  body: string;
}

// Ocean's properties, labels and messages: port-labs/ocean integrations/github/github/actions/
// edit_pr_comment_executor.py (ACTION_NAME "edit_pr_comment"; EditPrCommentInputs: org, repo
// non-empty, commentId an int, body non-empty; label "Editing comment" then "Comment updated";
// log "Editing comment {commentId} in {org}/{repo}"; PATCH …/issues/comments/{commentId}
// {"body": body}; result "Comment updated: {html_url}").
export const EDITING_COMMENT_LABEL = 'Editing comment';
export const COMMENT_UPDATED_LABEL = 'Comment updated';

/** Pure: Ocean's EditPrCommentInputs. */
export function decodeEditPrComment(props: Record<string, unknown>): Decoded<EditPrComment> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const commentId = positiveInteger(props, 'commentId', 'a comment id', problems);
  const body = f.text('body', 65_536);
  return problems.length ? { ok: false, problems } : { ok: true, value: { org, repo, commentId, body } };
}

/**
 * edit_pr_comment: PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} (github/ghes-routes.ts:
 * every GHES description from 3.17). Who can trigger it: a Port user who can run an action
 * pointed at this installation; what stops them: the policy (a rule naming edit_pr_comment for
 * the repository) before any GHES request (write-once.ts); a comment of another repository than
 * the run names is not reachable through it, since the route carries owner and repository and
 * GHES answers 404 for a comment id of another one. The body is sent as Ocean sends it: an
 * edit replaces the body and creates nothing, so no run marker is needed. At most once is moot:
 * the same PATCH twice leaves the same body, so after an interruption it is sent again.
 */
export function editPrCommentExecutor(deps: WriteDeps) {
  return createOnce<EditPrComment>(
    {
      type: 'edit_pr_comment',
      what: (p) => `edit comment ${p.commentId} in ${p.org}/${p.repo}`,
      decode: decodeEditPrComment,
      intentLabel: EDITING_COMMENT_LABEL,
      doneLabel: COMMENT_UPDATED_LABEL,
      intentLine: (p) => `Editing comment ${p.commentId} in ${p.org}/${p.repo}`,
      find: () => Promise.resolve(undefined),
      create: (p) =>
        deps.content
          .editIssueComment(p.org, p.repo, p.commentId, p.body)
          .catch((e: unknown) => Promise.reject(issueRefusal(e, `comment ${p.commentId} in ${p.org}/${p.repo}`))),
      message: (m) => `Comment updated: ${m.htmlUrl}`,
      nodeOutput: (m) => ({ number: m.number, commentId: m.id, url: m.htmlUrl }),
    },
    deps,
  );
}
