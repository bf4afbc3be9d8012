import { runMarker } from './create-issue.js';
import { type Decoded, type WriteDeps, fieldReader } from './executor.js';
import { readPrNumber } from './pull-request-number.js';
import { createOnce } from './write-once.js';

const EVENTS = ['APPROVE', 'COMMENT', 'REQUEST_CHANGES'] as const;
type ReviewEvent = (typeof EVENTS)[number];

export interface ReviewPullRequest {
  org: string;
  repo: string;
  prNumber: number;
  event: ReviewEvent;
  body?: string;
}

// Ocean's inputs, labels and messages: port-labs/ocean
// integrations/github/github/actions/review_pull_request_executor.py, newest version
// (ReviewPullRequestInputs: org, repo, prNumber int, event, body optional; "body is required
// when event is REQUEST_CHANGES"; an earlier version lists the events: APPROVE,
// REQUEST_CHANGES, COMMENT; post_run_log "Submitting {event} review on pull request
// #{prNumber} in {org}/{repo}" with status_label "Submitting review"; result "Review ({event})
// submitted on pull request #{prNumber}: {html_url}" with status_label "Review submitted").
export const SUBMITTING_REVIEW_LABEL = 'Submitting review';
export const REVIEW_SUBMITTED_LABEL = 'Review submitted';

/**
 * Pure. A body is required for REQUEST_CHANGES (Ocean) and for COMMENT too: GitHub's
 * pulls/create-review says "Required when using REQUEST_CHANGES or COMMENT" and answers 422
 * without one, so the run is refused here naming the field instead.
 */
export function decodeReviewPullRequest(props: Record<string, unknown>): Decoded<ReviewPullRequest> {
  const problems: string[] = [];
  const f = fieldReader(props, problems);
  const org = f.text('org', 39);
  const repo = f.text('repo', 100);
  const prNumber = readPrNumber(props, problems);
  const event = props.event;
  if (!EVENTS.includes(event as ReviewEvent))
    problems.push(
      `integrationActionExecutionProperties.event ${event === undefined ? 'is missing' : 'is not a review event'}: it must be one of ${EVENTS.join(', ')}`,
    );
  const body = f.optionalText('body', 65_000);
  if ((event === 'REQUEST_CHANGES' || event === 'COMMENT') && body === undefined)
    problems.push(`integrationActionExecutionProperties.body is required when event is ${event}`);
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { org, repo, prNumber, event: event as ReviewEvent, ...(body !== undefined ? { body } : {}) } };
}

/**
 * review_pull_request: POST /repos/{owner}/{repo}/pulls/{n}/reviews (github/ghes-routes.ts:
 * every GHES description from 3.17). Who can trigger it: a Port user who can run an action
 * pointed at this installation; what stops them: the policy (a rule naming review_pull_request
 * for the repository) before any GHES request. An approval counts toward branch protection's
 * required reviews, which is why it has a rule of its own.
 *
 * At most once: a second POST would be a second review. The review's body carries the run's
 * marker (an HTML comment, invisible on the page), and a redelivery whose record shows
 * "Submitting review" looks for a review of the agent's own login holding it (GET
 * …/pulls/{n}/reviews) before posting again; so does a retry after an answer lost on the way
 * back. An APPROVE may have no body in Ocean and GitHub; the marker is put in anyway, alone,
 * because without it an interrupted approval could not be told from an earlier one and would be
 * posted twice. A review someone else plants with the marker is not taken for the run's.
 */
export function reviewPullRequestExecutor(deps: WriteDeps) {
  return createOnce<ReviewPullRequest>(
    {
      type: 'review_pull_request',
      what: (p) => `submit review on pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      decode: decodeReviewPullRequest,
      intentLabel: SUBMITTING_REVIEW_LABEL,
      doneLabel: REVIEW_SUBMITTED_LABEL,
      intentLine: (p) => `Submitting ${p.event} review on pull request #${p.prNumber} in ${p.org}/${p.repo}`,
      find: (p, runId) => deps.content.findReviewByMarker(p.org, p.repo, p.prNumber, runMarker(runId), deps.actor),
      create: (p, runId) =>
        deps.content.createReview(p.org, p.repo, p.prNumber, {
          event: p.event,
          body: p.body ? `${p.body}\n\n${runMarker(runId)}` : runMarker(runId),
        }),
      message: (m, p) => `Review (${p.event}) submitted on pull request #${m.number}: ${m.htmlUrl}`,
      nodeOutput: (m) => ({ number: m.number, reviewId: m.id, url: m.htmlUrl }),
    },
    deps,
  );
}
