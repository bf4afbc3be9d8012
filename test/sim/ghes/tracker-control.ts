// GhesSim.tracker: what tests see of pull requests, issues, comments, reviews and custom
// properties, and the knobs GitHub's own state gives (a merge conflict, someone else's issue or
// comment, an organization's property definitions).
import type { SimContext } from './context.js';
import type { RepoRecord } from './state.js';
import type { IssueRecord, PropertyDef, PullFacts } from './tracker-state.js';
import type { SimComment, SimIssue, SimPull, SimReview, SimTracker } from './types.js';

export function createTrackerControl(ctx: SimContext): SimTracker {
  const { state, clock } = ctx;
  const t = state.tracker;
  const repoOf = (owner: string, name: string): RepoRecord => {
    const repo = state.findRepo(owner, name);
    if (!repo) throw new Error(`unknown repository ${owner}/${name}`);
    return repo;
  };
  const all = (): IssueRecord[] => [...state.repos.values()].flatMap((r) => t.issuesOf(r));
  const issueView = (i: IssueRecord): SimIssue => ({
    owner: i.repo.owner.login,
    repo: i.repo.name,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    stateReason: i.stateReason,
    labels: [...i.labels],
    assignees: [...i.assignees],
    user: i.user.login,
    isPull: i.pull !== undefined,
  });
  return {
    pulls: () =>
      all()
        .filter((i) => i.pull)
        .map((i): SimPull => ({ ...issueView(i), head: i.pull!.head, base: i.pull!.base, draft: i.pull!.draft, merged: i.pull!.mergedAtMs !== null, mergeState: i.pull!.mergeState })),
    issues: () => all().filter((i) => !i.pull).map(issueView),
    comments: () =>
      [...t.comments.values()].map((c): SimComment => ({ id: c.id, owner: c.issue.repo.owner.login, repo: c.issue.repo.name, issueNumber: c.issue.number, body: c.body, user: c.user.login })),
    reviews: () => t.reviews.map((v): SimReview => ({ id: v.id, owner: v.pull.repo.owner.login, repo: v.pull.repo.name, pullNumber: v.pull.number, state: v.state, body: v.body, user: v.user.login })),
    setMergeState(owner, name, number, s: PullFacts['mergeState']) {
      const i = t.issue(repoOf(owner, name), number);
      if (!i?.pull) throw new Error(`no pull request ${owner}/${name}#${number}`);
      i.pull.mergeState = s;
    },
    addIssue(owner, name, o) {
      const i = t.addIssue({
        repo: repoOf(owner, name),
        title: o.title,
        body: o.body ?? null,
        user: state.account(o.user ?? 'sim-user', 'User'),
        labels: o.labels ?? [],
        assignees: [],
        createdAtMs: clock.now(),
      });
      return i.number;
    },
    addComment(owner, name, number, o) {
      const issue = t.issue(repoOf(owner, name), number);
      if (!issue) throw new Error(`no issue ${owner}/${name}#${number}`);
      const now = clock.now();
      const id = state.nextId();
      t.comments.set(id, { id, issue, body: o.body, user: state.account(o.user ?? 'sim-user', 'User'), createdAtMs: now, updatedAtMs: now });
      return id;
    },
    defineProperty(org, def) {
      const full: PropertyDef = { required: false, defaultValue: null, allowedValues: null, ...def };
      const defs = (t.propertyDefs.get(org.toLowerCase()) ?? []).filter((d) => d.name !== def.name);
      t.propertyDefs.set(org.toLowerCase(), [...defs, full]);
    },
    propertyValues(owner, name) {
      // Unset values are deleted from the map (apply in routes/properties.ts), so none is null.
      return Object.fromEntries([...(t.propertyValues.get(repoOf(owner, name)) ?? [])].filter((e): e is [string, string | string[]] => e[1] !== null));
    },
  };
}
