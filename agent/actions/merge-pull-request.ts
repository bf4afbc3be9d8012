import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { readPrNumber } from './pull-request-number.js';
import { createOnce } from './write-once.js';

const MERGE_METHODS = ['merge', 'squash', 'rebase'] as const;
type MergeMethod = (typeof MERGE_METHODS)[number];

export interface MergePullRequest {
  org: string;
  repo: string;
  prNumber: number;
  mergeMethod: MergeMethod;
  commitTitle?: string;
  commitMessage?: string;
  /** GitHub's `sha`: the head the pull request must still have (409 otherwise). Not one of Ocean's inputs. */
  sha?: string;
}

// Ocean's inputs, labels and messages: port-labs/ocean
// integrations/github/github/actions/merge_pull_request_executor.py, newest version
// (MergePullRequestInputs: org, repo, prNumber int, mergeMethod one of merge/squash/rebase,
// commitTitle and commitMessage optional; post_run_log "Merging pull request #{prNumber} in
// {org}/{repo} ({mergeMethod})" with status_label "Merging pull request"; a 200 without
// merged true is a failure; result "Pull request #{prNumber} merged via {mergeMethod}" with
// status_label "Pull request merged"). Earlier versions defaulted mergeMethod to "merge", as
// GitHub does (pulls/merge): a run without it merges.
export const MERGING_PR_LABEL = 'Merging pull request';
export const PR_MERGED_LABEL = 'Pull request merged';

/** Pure: every problem named; `sha` (GitHub's field, an extension here) must be a full commit id. */
export function decodeMergePullRequest(props: Record<string, unknown>): Decoded<MergePullRequest> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const prNumber = readPrNumber(props, problems);
  const method = props.mergeMethod ?? 'merge';
  if (!MERGE_METHODS.includes(method as MergeMethod))
    problems.push(`integrationActionExecutionProperties.mergeMethod must be one of: ${MERGE_METHODS.join(', ')}`);
  const commitTitle = f.optionalText('commitTitle', 1_024);
  const commitMessage = f.optionalText('commitMessage', 65_536);
  const sha = f.optionalText('sha', 40);
  if (sha !== undefined && !/^[0-9a-f]{40}$/i.test(sha))
    problems.push('integrationActionExecutionProperties.sha is not a 40-character commit id');
  if (problems.length) return { ok: false, problems };
  const opt = { commitTitle, commitMessage, sha };
  const set = Object.fromEntries(Object.entries(opt).filter(([, v]) => v !== undefined));
  return { ok: true, value: { org, repo, prNumber, mergeMethod: method as MergeMethod, ...set } };
}

/**
 * merge_pull_request: PUT /repos/{owner}/{repo}/pulls/{n}/merge (github/ghes-routes.ts: every
 * GHES description from 3.17). Who can trigger it: a Port user who can run an action pointed at
 * this installation; what stops them: the policy (a rule naming merge_pull_request for the
 * repository) before any GHES request, then GitHub's own rules (protection, mergeability: 405).
 *
 * At most once: merging is not idempotent (a merged pull request merged again is a 405 "Pull
 * Request is not mergeable"), so a run interrupted after the merge would fail its second
 * attempt. Hence: "Merging pull request" is written to Port before the PUT, and a redelivery
 * whose record shows it first asks GET …/pulls/{n}/merge (204 merged, 404 not: pulls/check-if-merged);
 * merged, it reports SUCCESS without a second PUT. An answer lost on the way back (a 5xx, a
 * reset) is checked the same way before the PUT is tried again (write-once.ts). A pull request
 * merged by someone else before the first attempt is not taken for the run's: that attempt, with
 * no intent label yet, sends the PUT and reports GitHub's 405.
 * The PUT's answer ({sha, merged, message}) has no html_url: the pull request is read first
 * (GET …/pulls/{n}, nothing written) for the link Port shows.
 */
export function mergePullRequestExecutor(deps: WriteDeps) {
  const { content } = deps;
  return createOnce<MergePullRequest>(
    {
      type: 'merge_pull_request',
      what: (p) => `merge pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      decode: decodeMergePullRequest,
      intentLabel: MERGING_PR_LABEL,
      doneLabel: PR_MERGED_LABEL,
      intentLine: (p) => `Merging pull request #${p.prNumber} in ${p.org}/${p.repo} (${p.mergeMethod})`,
      find: async (p) =>
        (await content.pullRequestMerged(p.org, p.repo, p.prNumber)) ? content.getPullRequest(p.org, p.repo, p.prNumber) : undefined,
      create: async (p) => {
        const pull = await content.getPullRequest(p.org, p.repo, p.prNumber);
        await content.mergePullRequest(p.org, p.repo, p.prNumber, {
          merge_method: p.mergeMethod,
          ...(p.commitTitle !== undefined ? { commit_title: p.commitTitle } : {}),
          ...(p.commitMessage !== undefined ? { commit_message: p.commitMessage } : {}),
          ...(p.sha !== undefined ? { sha: p.sha } : {}),
        });
        return pull;
      },
      message: (m, p) => `Pull request #${m.number} merged via ${p.mergeMethod}`,
    },
    deps,
  );
}
