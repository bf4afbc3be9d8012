// JSON shapes of pull requests, issues, comments, reviews and custom properties as GitHub's
// OpenAPI description defines them (components/schemas of ghes-3.19.json: pull-request,
// pull-request-simple, issue, issue-comment, issue-search-result-item, pull-request-review,
// pull-request-merge-result, custom-property, custom-property-value,
// org-repo-custom-property-values). Pure functions of the model and the server's URLs;
// schema.test.ts checks them against the description.
import { refSha, type Account, type RepoRecord } from './state.js';
import { fullRepoShape, iso, nodeId, userShape, type ShapeCtx } from './shapes.js';
import type { CommentRecord, IssueRecord, PropertyDef, PropertyValue, ReviewRecord } from './tracker-state.js';

const full = (r: RepoRecord): string => `${r.owner.login}/${r.name}`;
const repoApi = (c: ShapeCtx, r: RepoRecord): string => `${c.api}/repos/${full(r)}`;

/** GitHub's html_url of an issue, or of a pull request (every pull request is an issue too). */
export const issueHtml = (c: ShapeCtx, i: IssueRecord): string => `${c.origin}/${full(i.repo)}/${i.pull ? 'pull' : 'issues'}/${i.number}`;

function labelShape(c: ShapeCtx, r: RepoRecord, name: string): Record<string, unknown> {
  // Labels are modelled by name only; a stable id per repository and name.
  const id = parseInt(refSha(r, `label:${name}`).slice(0, 8), 16);
  return { id, node_id: nodeId('LA_', id), url: `${repoApi(c, r)}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false };
}

const assigneeShapes = (c: ShapeCtx, logins: string[], account: (l: string) => Account): Record<string, unknown>[] => logins.map((l) => userShape(c, account(l)));

/** 'OWNER' for the organization itself, else 'MEMBER' (the simulator's users are members). */
const association = (i: { repo: RepoRecord }, u: Account): string => (u.login === i.repo.owner.login ? 'OWNER' : u.type === 'Bot' ? 'NONE' : 'MEMBER');

export function issueShape(c: ShapeCtx, i: IssueRecord, account: (l: string) => Account, comments: number): Record<string, unknown> {
  const api = `${repoApi(c, i.repo)}/issues/${i.number}`;
  const assignees = assigneeShapes(c, i.assignees, account);
  const shape: Record<string, unknown> = {
    id: i.id,
    node_id: nodeId(i.pull ? 'PR_' : 'I_', i.id),
    url: api,
    repository_url: repoApi(c, i.repo),
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: issueHtml(c, i),
    number: i.number,
    state: i.state,
    state_reason: i.stateReason,
    title: i.title,
    body: i.body,
    user: userShape(c, i.user),
    labels: i.labels.map((l) => labelShape(c, i.repo, l)),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments,
    closed_at: i.closedAtMs === null ? null : iso(i.closedAtMs),
    created_at: iso(i.createdAtMs),
    updated_at: iso(i.updatedAtMs),
    closed_by: i.closedBy ? userShape(c, i.closedBy) : null,
    author_association: association(i, i.user),
    timeline_url: `${api}/timeline`,
  };
  if (i.pull) {
    const p = `${repoApi(c, i.repo)}/pulls/${i.number}`;
    shape.pull_request = { url: p, html_url: issueHtml(c, i), diff_url: `${issueHtml(c, i)}.diff`, patch_url: `${issueHtml(c, i)}.patch`, merged_at: i.pull.mergedAtMs === null ? null : iso(i.pull.mergedAtMs) };
    shape.draft = i.pull.draft;
  }
  return shape;
}

/** issue-search-result-item: an issue plus its search score. */
export function searchItemShape(c: ShapeCtx, i: IssueRecord, account: (l: string) => Account, comments: number): Record<string, unknown> {
  const { closed_by: _closedBy, ...rest } = issueShape(c, i, account, comments);
  return { ...rest, score: 1 };
}

function branchShape(c: ShapeCtx, r: RepoRecord, ref: string, sha: string): Record<string, unknown> {
  const { organization: _o, network_count: _n, subscribers_count: _s, ...repo } = fullRepoShape(c, r);
  return { label: `${r.owner.login}:${ref}`, ref, sha, user: userShape(c, r.owner), repo };
}

/** pull-request-simple (the list's items). */
export function pullSimpleShape(c: ShapeCtx, i: IssueRecord, account: (l: string) => Account): Record<string, unknown> {
  const p = i.pull!;
  const api = `${repoApi(c, i.repo)}/pulls/${i.number}`;
  const issueApi = `${repoApi(c, i.repo)}/issues/${i.number}`;
  const html = issueHtml(c, i);
  const assignees = assigneeShapes(c, i.assignees, account);
  return {
    url: api,
    id: i.id,
    node_id: nodeId('PR_', i.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueApi,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${repoApi(c, i.repo)}/pulls/comments{/number}`,
    comments_url: `${issueApi}/comments`,
    statuses_url: `${repoApi(c, i.repo)}/statuses/${p.headSha}`,
    number: i.number,
    state: i.state,
    locked: false,
    title: i.title,
    user: userShape(c, i.user),
    body: i.body,
    labels: i.labels.map((l) => labelShape(c, i.repo, l)),
    milestone: null,
    active_lock_reason: null,
    created_at: iso(i.createdAtMs),
    updated_at: iso(i.updatedAtMs),
    closed_at: i.closedAtMs === null ? null : iso(i.closedAtMs),
    merged_at: p.mergedAtMs === null ? null : iso(p.mergedAtMs),
    merge_commit_sha: p.mergeCommitSha,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: [],
    requested_teams: [],
    head: branchShape(c, i.repo, p.head, p.headSha),
    base: branchShape(c, i.repo, p.base, refSha(i.repo, p.base)),
    _links: {
      self: { href: api },
      html: { href: html },
      issue: { href: issueApi },
      comments: { href: `${issueApi}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${repoApi(c, i.repo)}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: `${repoApi(c, i.repo)}/statuses/${p.headSha}` },
    },
    author_association: association(i, i.user),
    auto_merge: null,
    draft: p.draft,
  };
}

/** pull-request (one pull request, and the answer to create and update). */
export function pullShape(c: ShapeCtx, i: IssueRecord, account: (l: string) => Account, comments: number): Record<string, unknown> {
  const p = i.pull!;
  const merged = p.mergedAtMs !== null;
  // GitHub computes mergeability in the background; a closed or merged one has none to report.
  const open = i.state === 'open';
  return {
    ...pullSimpleShape(c, i, account),
    merged,
    mergeable: open ? p.mergeState !== 'dirty' : null,
    rebaseable: open ? p.mergeState !== 'dirty' : null,
    mergeable_state: open ? p.mergeState : 'unknown',
    merged_by: p.mergedBy ? userShape(c, p.mergedBy) : null,
    comments,
    review_comments: 0,
    maintainer_can_modify: p.maintainerCanModify,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  };
}

export function commentShape(c: ShapeCtx, k: CommentRecord): Record<string, unknown> {
  const html = issueHtml(c, k.issue);
  return {
    id: k.id,
    node_id: nodeId('IC_', k.id),
    url: `${repoApi(c, k.issue.repo)}/issues/comments/${k.id}`,
    body: k.body,
    html_url: `${html}#issuecomment-${k.id}`,
    user: userShape(c, k.user),
    created_at: iso(k.createdAtMs),
    updated_at: iso(k.updatedAtMs),
    issue_url: `${repoApi(c, k.issue.repo)}/issues/${k.issue.number}`,
    author_association: association(k.issue, k.user),
  };
}

export function reviewShape(c: ShapeCtx, r: ReviewRecord): Record<string, unknown> {
  const html = `${issueHtml(c, r.pull)}#pullrequestreview-${r.id}`;
  const pr = `${repoApi(c, r.pull.repo)}/pulls/${r.pull.number}`;
  return {
    id: r.id,
    node_id: nodeId('PRR_', r.id),
    user: userShape(c, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: pr,
    _links: { html: { href: html }, pull_request: { href: pr } },
    submitted_at: iso(r.submittedAtMs),
    commit_id: r.commitId,
    author_association: association(r.pull, r.user),
  };
}

export function propertyDefShape(c: ShapeCtx, org: string, d: PropertyDef): Record<string, unknown> {
  return {
    property_name: d.name,
    url: `${c.api}/orgs/${org}/properties/schema/${encodeURIComponent(d.name)}`,
    source_type: 'organization',
    value_type: d.valueType,
    required: d.required,
    default_value: d.defaultValue,
    description: null,
    allowed_values: d.allowedValues,
    values_editable_by: 'org_actors',
  };
}

/**
 * A repository's values in definition order: "Gets all custom property values that are set for a
 * repository" (GitHub's OpenAPI description, repos/custom-properties-for-repos-get-repository-values).
 */
export function propertyValuesShape(defs: readonly PropertyDef[], values: ReadonlyMap<string, PropertyValue> | undefined): Array<{ property_name: string; value: PropertyValue }> {
  return defs.filter((d) => values?.get(d.name) != null).map((d) => ({ property_name: d.name, value: values!.get(d.name)! }));
}
