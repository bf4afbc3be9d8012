import { AgentError } from '../errors.js';
import { positiveInteger } from './decode-number.js';
import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { issueRefusal } from './issue-refusal.js';
import { createOnce } from './write-once.js';

export interface DeletePrComment {
  org: string;
  repo: string;
  commentId: number;
}

// Ocean's properties, labels and messages: port-labs/ocean integrations/github/github/actions/
// delete_pr_comment_executor.py (ACTION_NAME "delete_pr_comment"; DeletePrCommentInputs: org,
// repo non-empty, commentId an int; label "Deleting comment" then "Comment deleted"; log
// "Deleting comment {commentId} in {org}/{repo}"; DELETE …/issues/comments/{commentId}; result
// "Comment {commentId} deleted from {org}/{repo}").
export const DELETING_COMMENT_LABEL = 'Deleting comment';
export const COMMENT_DELETED_LABEL = 'Comment deleted';

/** Pure: Ocean's DeletePrCommentInputs. */
export function decodeDeletePrComment(props: Record<string, unknown>): Decoded<DeletePrComment> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const commentId = positiveInteger(props, 'commentId', 'a comment id', problems);
  return problems.length ? { ok: false, problems } : { ok: true, value: { org, repo, commentId } };
}

/**
 * Pure: what a 404 on the DELETE means. GitHub answers 204 once and 404 to every later DELETE
 * (and to a comment that never existed, or belongs to another repository), so a 404 alone cannot
 * tell "my first attempt deleted it" from "there was nothing to delete". The run's own record
 * decides: when "Deleting comment" was in Port before this attempt, or a DELETE of this attempt
 * went unanswered (it may have reached GHES), the 404 is that earlier DELETE's effect: SUCCESS.
 * Otherwise nothing of this run ever deleted it: FAILURE "comment not found".
 */
export function deletedBefore(status: number | undefined, mayHaveWritten: boolean): boolean {
  return status === 404 && mayHaveWritten;
}

/**
 * delete_pr_comment: DELETE /repos/{owner}/{repo}/issues/comments/{comment_id} (github/ghes-routes.ts:
 * every GHES description from 3.17). Who can trigger it: a Port user who can run an action
 * pointed at this installation; what stops them: the policy (a rule naming delete_pr_comment for
 * the repository) before any GHES request (write-once.ts); a comment of another repository than
 * the run names cannot be deleted through it: the route carries owner and repository, and GHES
 * answers 404 for a comment id of another one (FAILURE "comment not found"). At most once: the
 * intent label "Deleting comment" is awaited in Port before the DELETE (write-once.ts), and a
 * 404 is read against it (deletedBefore).
 */
export function deletePrCommentExecutor(deps: WriteDeps) {
  return createOnce<DeletePrComment>(
    {
      type: 'delete_pr_comment',
      what: (p) => `delete comment ${p.commentId} in ${p.org}/${p.repo}`,
      decode: decodeDeletePrComment,
      intentLabel: DELETING_COMMENT_LABEL,
      doneLabel: COMMENT_DELETED_LABEL,
      intentLine: (p) => `Deleting comment ${p.commentId} in ${p.org}/${p.repo}`,
      find: () => Promise.resolve(undefined),
      create: async (p, _runId, mayHaveWritten) => {
        const deleted = { number: 0, id: p.commentId, htmlUrl: '' };
        try {
          await deps.content.deleteIssueComment(p.org, p.repo, p.commentId);
          return deleted;
        } catch (raw) {
          const err = issueRefusal(raw, `comment ${p.commentId} in ${p.org}/${p.repo}`);
          if (deletedBefore(err.status, mayHaveWritten)) return deleted;
          if (err.status === 404)
            throw new AgentError(
              'not_found',
              `comment not found (404): no comment ${p.commentId} in ${p.org}/${p.repo} that the App can see`,
              {
                status: 404,
                cause: err,
              },
            );
          throw err;
        }
      },
      message: (_m, p) => `Comment ${p.commentId} deleted from ${p.org}/${p.repo}`,
      link: () => undefined,
      nodeOutput: (m) => ({ commentId: m.id }),
    },
    deps,
  );
}
