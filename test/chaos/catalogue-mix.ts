// The action types the `port-api-catalogue` scenario mixes, one entry per type: how to make its
// run (the execution properties Ocean's executor for it reads, and what GHES must hold first) and
// how to count what it made on GHES for one Port run. Another type is one more entry here.
//
// Counting reads the GHES simulator's state only, never the agent's records: pull requests by
// head and base, issues and comments by the marker the executors write into their bodies
// (agent/actions/create-issue.ts runMarker, used by create-pr-comment.ts too: `<!-- port-run: ID -->`,
// written out here so a change to the agent's marker cannot silently change what is counted),
// workflow runs by their port_run_id input. A count of 1 is the run's effect; 0 with a SUCCESS
// in Port is a run that claims what it did not do; 2 or more is a duplicate.
import type { DispatchRecord, SimComment, SimIssue, SimPull, SimRun } from '../sim/ghes/types.js';

export const CATALOGUE_REPO = 'catalogue';
export const CATALOGUE_WORKFLOW = 'catalogue.yml';

/** GHES's state once the scenario is over, read once for the verdict. */
export interface GhesView {
  pulls: SimPull[];
  issues: SimIssue[];
  comments: SimComment[];
  dispatches: DispatchRecord[];
  workflowRuns: SimRun[];
}

export interface MixEntry {
  /** The Port action type (integrationActionType), as Ocean's registry names it. */
  type: string;
  /** Branches of the repository the type's `n` runs need, besides main. */
  branches?(n: number): string[];
  /** Head branches of pull requests a person opens (base main) before the runs, for types that act on one. */
  openedFirst?(n: number): string[];
  /** The k-th run's integrationActionExecutionProperties (k counts the runs of this type); `pull(head)`: a prepared pull request's number. */
  props(k: number, org: string, pull: (head: string) => number): Record<string, unknown>;
  /** What GHES holds that the k-th run (Port run `runId`) made: 1 as expected, 0 nothing, 2+ a duplicate. */
  effects(k: number, runId: string, ghes: GhesView): number;
}

const marker = (runId: string) => `<!-- port-run: ${runId} -->`;
const inRepo = <T extends { repo: string }>(xs: T[]) => xs.filter((x) => x.repo === CATALOGUE_REPO);
const range = (n: number, f: (k: number) => string) => Array.from({ length: n }, (_, k) => f(k));
/** Comment runs share a few pull requests: comments are told apart by their marker, not by where they are. */
const TALK_PULLS = 5;

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
    props: (k, org, pull) => ({
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
    props: (k, org, pull) => ({ org, repo: CATALOGUE_REPO, prNumber: pull(`close-${k}`) }),
    effects: (k, _runId, g) => (inRepo(g.pulls).some((p) => p.head === `close-${k}` && p.state === 'closed') ? 1 : 0),
  },
];
