// The action types the `port-api-catalogue` scenario mixes, one entry per type: how to make its
// run (the execution properties Ocean's executor for it reads, and what GHES must hold first) and
// how to count what it made on GHES for one Port run. Another type is one more entry here.
//
// Counting reads the GHES simulator's state only, never the agent's records: pull requests by
// head and base, issues, comments and reviews by the marker the executors write into their bodies
// (agent/actions/create-issue.ts runMarker, used by create-pr-comment.ts and review-pull-request.ts
// too: `<!-- port-run: ID -->`, written out here so a change to the agent's marker cannot silently
// change what is counted), workflow runs by their port_run_id input, merges by the PUTs that
// reached GHES. A count of 1 is the run's effect; 0 with a SUCCESS in Port is a run that claims
// what it did not do; 2 or more is a duplicate. The types that change what a person made first
// (update, merge, edit, close, delete) each act on their own pull request, issue or comment, so
// a run's effect is told apart from every other run's.
import type { DispatchRecord, RequestLogEntry, SimComment, SimIssue, SimPull, SimReview, SimRun } from '../sim/ghes/types.js';

export const CATALOGUE_REPO = 'catalogue';
export const CATALOGUE_WORKFLOW = 'catalogue.yml';

/** GHES's state once the scenario is over, read once for the verdict. */
export interface GhesView {
  pulls: SimPull[];
  issues: SimIssue[];
  comments: SimComment[];
  reviews: SimReview[];
  dispatches: DispatchRecord[];
  workflowRuns: SimRun[];
  /** Every API request GHES got (the merges: GitHub keeps no record of a refused second merge). */
  requests: RequestLogEntry[];
}

/** What a person made on GHES before the runs, by the keys the entries gave. */
export interface Prepared {
  /** The number of the pull request a person opened from this head branch (base main). */
  pull: (head: string) => number;
  /** The number of the issue a person opened under this key. */
  issue: (key: string) => number;
  /** The id of the comment a person posted under this key. */
  comment: (key: string) => number;
}

/** A comment a person posts before the runs: its key, and the head of the (opened first) pull request it is on. */
export interface CommentFirst {
  key: string;
  on: string;
}

export interface MixEntry {
  /** The Port action type (integrationActionType), as Ocean's registry names it. */
  type: string;
  /** Branches of the repository the type's `n` runs need, besides main. */
  branches?(n: number): string[];
  /** Head branches of pull requests a person opens (base main) before the runs, for types that act on one. */
  openedFirst?(n: number): string[];
  /** Keys of issues a person opens before the runs, for types that act on one. */
  issuesFirst?(n: number): string[];
  /** Comments a person posts before the runs, for types that act on one. */
  commentsFirst?(n: number): CommentFirst[];
  /** The k-th run's integrationActionExecutionProperties (k counts the runs of this type). */
  props(k: number, org: string, first: Prepared): Record<string, unknown>;
  /** What GHES holds that the k-th run (Port run `runId`) made: 1 as expected, 0 nothing, 2+ a duplicate. */
  effects(k: number, runId: string, ghes: GhesView, first: Prepared): number;
}

const marker = (runId: string) => `<!-- port-run: ${runId} -->`;
const inRepo = <T extends { repo: string }>(xs: T[]) => xs.filter((x) => x.repo === CATALOGUE_REPO);
const range = <T>(n: number, f: (k: number) => T) => Array.from({ length: n }, (_, k) => f(k));
/** Comment and review runs share a few pull requests: they are told apart by their marker, not by where they are. */
const TALK_PULLS = 5;
const REVIEW_PULLS = 5;
const REVIEW_EVENTS = ['APPROVE', 'COMMENT', 'REQUEST_CHANGES'] as const;
const MERGE_ROUTE = 'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge';
const ownPull = (g: GhesView, head: string) => inRepo(g.pulls).find((p) => p.head === head && p.base === 'main');

export const CATALOGUE_MIX: MixEntry[] = [
  {
    // dispatch_workflow (agent/actions/dispatch-workflow.ts): counted as the other chaos
    // scenarios count it, accepted dispatches and GHES runs carrying the run's id.
    type: 'dispatch_workflow',
    props: (k, org) => ({
      org,
      repo: CATALOGUE_REPO,
      workflow: CATALOGUE_WORKFLOW,
      workflowInputs: { n: String(k) },
      reportWorkflowStatus: true,
    }),
    effects: (_k, runId, g) =>
      Math.max(
        g.dispatches.filter((d) => d.status < 300 && d.inputs.port_run_id === runId).length,
        g.workflowRuns.filter((r) => r.inputs.port_run_id === runId).length,
      ),
  },
  {
    // create_pull_request: its own head branch per run; GitHub keeps one open pull request per
    // head and base, so a second attempt would be refused 422 (a FAILURE the verdict reports)
    // rather than duplicated; both are counted here.
    type: 'create_pull_request',
    branches: (n) => range(n, (k) => `new-${k}`),
    props: (k, org) => ({
      org,
      repo: CATALOGUE_REPO,
      title: `Catalogue ${k}`,
      head: `new-${k}`,
      base: 'main',
      body: 'from port-api-catalogue',
    }),
    effects: (k, _runId, g) => inRepo(g.pulls).filter((p) => p.head === `new-${k}` && p.base === 'main').length,
  },
  {
    type: 'create_issue',
    props: (k, org) => ({ org, repo: CATALOGUE_REPO, title: `Catalogue issue ${k}`, body: 'from port-api-catalogue', labels: ['chaos'] }),
    effects: (_k, runId, g) => inRepo(g.issues).filter((i) => (i.body ?? '').includes(marker(runId))).length,
  },
  {
    type: 'create_pr_comment',
    openedFirst: () => range(TALK_PULLS, (i) => `talk-${i}`),
    props: (k, org, { pull }) => ({
      org,
      repo: CATALOGUE_REPO,
      prNumber: pull(`talk-${k % TALK_PULLS}`),
      body: `Comment ${k} from port-api-catalogue`,
    }),
    effects: (_k, runId, g) => inRepo(g.comments).filter((c) => c.body.includes(marker(runId))).length,
  },
  {
    // close_pull_request is idempotent (closing a closed pull request answers 200): nothing to
    // duplicate, so its effect is its own pull request closed.
    type: 'close_pull_request',
    openedFirst: (n) => range(n, (k) => `close-${k}`),
    props: (k, org, { pull }) => ({ org, repo: CATALOGUE_REPO, prNumber: pull(`close-${k}`) }),
    effects: (k, _runId, g) => (inRepo(g.pulls).some((p) => p.head === `close-${k}` && p.state === 'closed') ? 1 : 0),
  },
  {
    // update_pull_request: its own pull request (a person's), given a new title and body; the
    // PATCH is idempotent, so its effect is the new title on that pull request.
    type: 'update_pull_request',
    openedFirst: (n) => range(n, (k) => `update-${k}`),
    props: (k, org, { pull }) => ({
      org,
      repo: CATALOGUE_REPO,
      prNumber: pull(`update-${k}`),
      title: `Catalogue ${k} updated`,
      body: 'updated by port-api-catalogue',
    }),
    effects: (k, _runId, g) => (ownPull(g, `update-${k}`)?.title === `Catalogue ${k} updated` ? 1 : 0),
  },
  {
    // merge_pull_request: its own pull request merged, and the merge PUTs that reached GHES for
    // it counted (a fault answered before effect never reached it): a second one, which GitHub
    // refuses with 405 "Pull Request is not mergeable", is a duplicate attempt even though GitHub
    // keeps one merge; a merge never sent is 0.
    type: 'merge_pull_request',
    openedFirst: (n) => range(n, (k) => `merge-${k}`),
    props: (k, org, { pull }) => ({
      org,
      repo: CATALOGUE_REPO,
      prNumber: pull(`merge-${k}`),
      mergeMethod: (['merge', 'squash', 'rebase'] as const)[k % 3],
      commitTitle: `Merge catalogue ${k}`,
    }),
    effects: (k, _runId, g, { pull }) => {
      if (!ownPull(g, `merge-${k}`)?.merged) return 0;
      const path = `/${CATALOGUE_REPO}/pulls/${pull(`merge-${k}`)}/merge`;
      return g.requests.filter((q) => q.route === MERGE_ROUTE && q.path.endsWith(path) && q.faultWhen !== 'before').length;
    },
  },
  {
    // review_pull_request: reviews on a few shared pull requests, every event in turn (an
    // APPROVE without a body carries the marker alone); counted by the run's marker.
    type: 'review_pull_request',
    openedFirst: () => range(REVIEW_PULLS, (i) => `review-${i}`),
    props: (k, org, { pull }) => {
      const event = REVIEW_EVENTS[k % REVIEW_EVENTS.length]!;
      return {
        org,
        repo: CATALOGUE_REPO,
        prNumber: pull(`review-${k % REVIEW_PULLS}`),
        event,
        ...(event === 'APPROVE' ? {} : { body: `Review ${k} from port-api-catalogue` }),
      };
    },
    effects: (_k, runId, g) => inRepo(g.reviews).filter((v) => v.body.includes(marker(runId))).length,
  },
  {
    // edit_issue: its own issue (a person's) given a new title; idempotent, so the new title is the effect.
    type: 'edit_issue',
    issuesFirst: (n) => range(n, (k) => `edit-${k}`),
    props: (k, org, { issue }) => ({ org, repo: CATALOGUE_REPO, issueNumber: issue(`edit-${k}`), title: `Catalogue issue ${k} edited` }),
    effects: (k, _runId, g, { issue }) =>
      inRepo(g.issues).some((i) => i.number === issue(`edit-${k}`) && i.title === `Catalogue issue ${k} edited`) ? 1 : 0,
  },
  {
    // close_issue: its own issue closed as not planned; closing twice answers 200, nothing to duplicate.
    type: 'close_issue',
    issuesFirst: (n) => range(n, (k) => `close-${k}`),
    props: (k, org, { issue }) => ({ org, repo: CATALOGUE_REPO, issueNumber: issue(`close-${k}`), stateReason: 'not_planned' }),
    effects: (k, _runId, g, { issue }) =>
      inRepo(g.issues).some((i) => i.number === issue(`close-${k}`) && i.state === 'closed' && i.stateReason === 'not_planned') ? 1 : 0,
  },
  {
    // edit_pr_comment: its own comment (a person's, on one pull request) given a new body.
    type: 'edit_pr_comment',
    openedFirst: () => ['edit-notes'],
    commentsFirst: (n) => range(n, (k) => ({ key: `edit-${k}`, on: 'edit-notes' })),
    props: (k, org, { comment }) => ({
      org,
      repo: CATALOGUE_REPO,
      commentId: comment(`edit-${k}`),
      body: `Comment ${k} edited by port-api-catalogue`,
    }),
    effects: (k, _runId, g, { comment }) =>
      inRepo(g.comments).some((c) => c.id === comment(`edit-${k}`) && c.body === `Comment ${k} edited by port-api-catalogue`) ? 1 : 0,
  },
  {
    // delete_pr_comment: its own comment (a person's) gone. A second DELETE would answer 404,
    // which the run must read as its own earlier delete (SUCCESS), not "comment not found".
    type: 'delete_pr_comment',
    openedFirst: () => ['delete-notes'],
    commentsFirst: (n) => range(n, (k) => ({ key: `delete-${k}`, on: 'delete-notes' })),
    props: (k, org, { comment }) => ({ org, repo: CATALOGUE_REPO, commentId: comment(`delete-${k}`) }),
    effects: (k, _runId, g, { comment }) => (inRepo(g.comments).some((c) => c.id === comment(`delete-${k}`)) ? 0 : 1),
  },
];
