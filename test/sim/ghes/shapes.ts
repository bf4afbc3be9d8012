// JSON shapes as GitHub's OpenAPI description defines them (components/schemas of
// ghes-3.19.json): simple-user, full-repository, minimal-repository, workflow,
// workflow-run, job, installation, integration, installation-token. Pure functions of
// the model and the server's URLs.
import type { JobView } from './jobs.js';
import type { SimClock } from './clock.js';
import type { Account, InstallationRecord, RepoRecord, RunRecord, WorkflowRecord } from './state.js';

export interface ShapeCtx {
  /** 'http://127.0.0.1:PORT/api/v3' */
  api: string;
  /** 'http://127.0.0.1:PORT' */
  origin: string;
  clock: SimClock;
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const nodeId = (prefix: string, id: number): string => Buffer.from(`${prefix}${id}`).toString('base64').replace(/=+$/, '');

export const APP_PERMISSIONS = { actions: 'write', contents: 'read', metadata: 'read' } as const;
export const APP_EVENTS = ['workflow_run'];

export function userShape(c: ShapeCtx, a: Account): Record<string, unknown> {
  const u = `${c.api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type === 'Organization' ? 'O_' : 'U_', a.id),
    avatar_url: `${c.origin}/avatars/u/${a.id}`,
    gravatar_id: '',
    url: u,
    html_url: `${c.origin}/${a.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: a.type,
    site_admin: false,
  };
}

export function minimalRepoShape(c: ShapeCtx, r: RepoRecord): Record<string, unknown> {
  const full = `${r.owner.login}/${r.name}`;
  const u = `${c.api}/repos/${full}`;
  const host = new URL(c.origin).host;
  return {
    id: r.id,
    node_id: nodeId('R_', r.id),
    name: r.name,
    full_name: full,
    owner: userShape(c, r.owner),
    private: true,
    html_url: `${c.origin}/${full}`,
    description: null,
    fork: false,
    url: u,
    archive_url: `${u}/{archive_format}{/ref}`,
    assignees_url: `${u}/assignees{/user}`,
    blobs_url: `${u}/git/blobs{/sha}`,
    branches_url: `${u}/branches{/branch}`,
    collaborators_url: `${u}/collaborators{/collaborator}`,
    comments_url: `${u}/comments{/number}`,
    commits_url: `${u}/commits{/sha}`,
    compare_url: `${u}/compare/{base}...{head}`,
    contents_url: `${u}/contents/{+path}`,
    contributors_url: `${u}/contributors`,
    deployments_url: `${u}/deployments`,
    downloads_url: `${u}/downloads`,
    events_url: `${u}/events`,
    forks_url: `${u}/forks`,
    git_commits_url: `${u}/git/commits{/sha}`,
    git_refs_url: `${u}/git/refs{/sha}`,
    git_tags_url: `${u}/git/tags{/sha}`,
    git_url: `git://${host}/${full}.git`,
    issue_comment_url: `${u}/issues/comments{/number}`,
    issue_events_url: `${u}/issues/events{/number}`,
    issues_url: `${u}/issues{/number}`,
    keys_url: `${u}/keys{/key_id}`,
    labels_url: `${u}/labels{/name}`,
    languages_url: `${u}/languages`,
    merges_url: `${u}/merges`,
    milestones_url: `${u}/milestones{/number}`,
    notifications_url: `${u}/notifications{?since,all,participating}`,
    pulls_url: `${u}/pulls{/number}`,
    releases_url: `${u}/releases{/id}`,
    ssh_url: `git@${host}:${full}.git`,
    stargazers_url: `${u}/stargazers`,
    statuses_url: `${u}/statuses/{sha}`,
    subscribers_url: `${u}/subscribers`,
    subscription_url: `${u}/subscription`,
    tags_url: `${u}/tags`,
    teams_url: `${u}/teams`,
    trees_url: `${u}/git/trees{/sha}`,
    hooks_url: `${u}/hooks`,
  };
}

export function fullRepoShape(c: ShapeCtx, r: RepoRecord): Record<string, unknown> {
  const full = `${r.owner.login}/${r.name}`;
  return {
    ...minimalRepoShape(c, r),
    clone_url: `${c.origin}/${full}.git`,
    mirror_url: null,
    svn_url: `${c.origin}/${full}`,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: r.defaultBranch,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: r.hasIssues,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    pushed_at: iso(r.createdAtMs),
    created_at: iso(r.createdAtMs),
    updated_at: iso(r.createdAtMs),
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    organization: userShape(c, r.owner),
    forks: 0,
    open_issues: 0,
    watchers: 0,
    network_count: 0,
    subscribers_count: 0,
  };
}

export function workflowShape(c: ShapeCtx, r: RepoRecord, w: WorkflowRecord): Record<string, unknown> {
  const full = `${r.owner.login}/${r.name}`;
  return {
    id: w.id,
    node_id: nodeId('W_', w.id),
    name: w.name,
    path: w.path,
    state: w.spec.state ?? 'active',
    created_at: iso(w.createdAtMs),
    updated_at: iso(w.createdAtMs),
    url: `${c.api}/repos/${full}/actions/workflows/${w.id}`,
    html_url: `${c.origin}/${full}/blob/${r.defaultBranch}/${w.path}`,
    badge_url: `${c.origin}/${full}/workflows/${encodeURIComponent(w.name)}/badge.svg`,
  };
}

/** The run as of now, for its latest attempt. */
export function runShape(c: ShapeCtx, run: RunRecord, phase: RunPhaseView): Record<string, unknown> {
  const r = run.repo;
  const full = `${r.owner.login}/${r.name}`;
  const u = `${c.api}/repos/${full}/actions/runs/${run.id}`;
  const attempt = phase.attempt.number;
  const commitAt = iso(run.createdAtMs);
  return {
    id: run.id,
    name: run.workflow.name,
    node_id: nodeId('WFR_', run.id),
    check_suite_id: run.checkSuiteId,
    check_suite_node_id: nodeId('CS_', run.checkSuiteId),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.workflow.path,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    event: 'workflow_dispatch',
    status: phase.status,
    conclusion: phase.conclusion,
    workflow_id: run.workflow.id,
    url: u,
    html_url: `${c.origin}/${full}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: iso(run.createdAtMs),
    updated_at: iso(phase.updatedAtMs),
    actor: userShape(c, run.actor),
    run_attempt: attempt,
    referenced_workflows: [],
    run_started_at: iso(phase.attempt.startedAtMs),
    triggering_actor: userShape(c, run.actor),
    jobs_url: `${u}/jobs`,
    logs_url: `${u}/logs`,
    check_suite_url: `${c.api}/repos/${full}/check-suites/${run.checkSuiteId}`,
    artifacts_url: `${u}/artifacts`,
    cancel_url: `${u}/cancel`,
    rerun_url: `${u}/rerun`,
    previous_attempt_url: attempt > 1 ? `${u}/attempts/${attempt - 1}` : null,
    workflow_url: `${c.api}/repos/${full}/actions/workflows/${run.workflow.id}`,
    head_commit: {
      id: run.headSha,
      tree_id: run.headSha.split('').reverse().join(''),
      message: `Commit on ${run.headBranch}`,
      timestamp: commitAt,
      author: { name: 'Sim Author', email: 'sim@example.com' },
      committer: { name: 'Sim Author', email: 'sim@example.com' },
    },
    repository: minimalRepoShape(c, r),
    head_repository: minimalRepoShape(c, r),
  };
}

export interface RunPhaseView {
  status: string;
  conclusion: string | null;
  updatedAtMs: number;
  startedAtMs: number | null;
  completedAtMs: number | null;
  attempt: { number: number; startedAtMs: number };
}

// Job conclusions are a narrower enum than run conclusions; a run that never started
// (startup_failure) or went stale has no job, as on GitHub.
export const JOB_CONCLUSIONS = new Set(['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required']);

export function jobShape(c: ShapeCtx, run: RunRecord, attempt: number, job: JobView): Record<string, unknown> {
  const r = run.repo;
  const full = `${r.owner.login}/${r.name}`;
  const running = job.startedAtMs !== null;
  return {
    id: job.id,
    run_id: run.id,
    run_url: `${c.api}/repos/${full}/actions/runs/${run.id}`,
    run_attempt: attempt,
    node_id: nodeId('CR_', job.id),
    head_sha: run.headSha,
    url: `${c.api}/repos/${full}/actions/jobs/${job.id}`,
    html_url: `${c.origin}/${full}/actions/runs/${run.id}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: iso(job.createdAtMs),
    started_at: iso(job.startedAtMs ?? job.createdAtMs),
    completed_at: job.completedAtMs === null ? null : iso(job.completedAtMs),
    name: job.name,
    steps: job.steps.map((st) => ({
      name: st.name,
      status: st.status,
      conclusion: st.conclusion,
      number: st.number,
      started_at: st.startedAtMs === null ? null : iso(st.startedAtMs),
      completed_at: st.completedAtMs === null ? null : iso(st.completedAtMs),
    })),
    check_run_url: `${c.api}/repos/${full}/check-runs/${job.id}`,
    labels: ['self-hosted'],
    runner_id: running ? 1 : null,
    runner_name: running ? 'sim-runner-1' : null,
    runner_group_id: running ? 1 : null,
    runner_group_name: running ? 'Default' : null,
    workflow_name: run.workflow.name,
    head_branch: run.headBranch,
  };
}

export interface AppInfo {
  appId: number;
  slug: string;
  owner: Account;
  createdAtMs: number;
}

export function appShape(c: ShapeCtx, app: AppInfo, installationsCount: number): Record<string, unknown> {
  return {
    id: app.appId,
    slug: app.slug,
    node_id: nodeId('A_', app.appId),
    client_id: `Iv1.sim${app.appId}`,
    owner: userShape(c, app.owner),
    name: app.slug,
    description: 'GHES simulator test app',
    external_url: `${c.origin}/apps/${app.slug}`,
    html_url: `${c.origin}/github-apps/${app.slug}`,
    created_at: iso(app.createdAtMs),
    updated_at: iso(app.createdAtMs),
    permissions: { ...APP_PERMISSIONS },
    events: APP_EVENTS,
    installations_count: installationsCount,
  };
}

export function installationShape(c: ShapeCtx, app: AppInfo, i: InstallationRecord): Record<string, unknown> {
  return {
    id: i.id,
    account: userShape(c, i.account),
    repository_selection: i.repositories === 'all' ? 'all' : 'selected',
    access_tokens_url: `${c.api}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${c.api}/installation/repositories`,
    html_url: `${c.origin}/organizations/${i.account.login}/settings/installations/${i.id}`,
    app_id: app.appId,
    client_id: `Iv1.sim${app.appId}`,
    target_id: i.account.id,
    target_type: i.account.type,
    permissions: { ...(i.permissions ?? APP_PERMISSIONS) },
    events: APP_EVENTS,
    created_at: iso(i.createdAtMs),
    updated_at: iso(i.createdAtMs),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    app_slug: app.slug,
    suspended_by: null,
    suspended_at: null,
  };
}

/** GET /user for a personal access token: private-user (the caller's own profile). */
export function authenticatedUserShape(c: ShapeCtx, a: Account, createdAtMs: number): Record<string, unknown> {
  return {
    ...userShape(c, a),
    user_view_type: 'private',
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: iso(createdAtMs),
    updated_at: iso(createdAtMs),
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: false,
  };
}
