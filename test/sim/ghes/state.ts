import { createHash } from 'node:crypto';
import type { SimClock } from './clock.js';
import { type Cut, type FullScript, fillScript, phaseWithCut, type PhaseAt } from './lifecycle.js';
import { createTrackerState, type TrackerState } from './tracker-state.js';
import type { DispatchRecord, RepoSpec, TokenAccess, WorkflowSpec } from './types.js';

export interface Account {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export interface RepoRecord {
  id: number;
  owner: Account;
  name: string;
  defaultBranch: string;
  branches: Set<string>;
  tags: Set<string>;
  createdAtMs: number;
  workflows: WorkflowRecord[];
  /** The repository's Issues feature (has_issues): off, its issue routes answer 410 Gone. */
  hasIssues: boolean;
}

export interface WorkflowRecord {
  id: number;
  spec: WorkflowSpec;
  /** '.github/workflows/deploy.yml' */
  path: string;
  fileName: string;
  name: string;
  createdAtMs: number;
  runCount: number;
}

export interface Attempt {
  number: number;
  startedAtMs: number;
  script: FullScript;
  /** Set once a cancel (or force-cancel) took effect. */
  cut?: Cut;
}

export interface RunRecord {
  id: number;
  repo: RepoRecord;
  workflow: WorkflowRecord;
  runNumber: number;
  dispatch: DispatchRecord;
  inputs: Record<string, string>;
  actor: Account;
  headBranch: string;
  headSha: string;
  displayTitle: string;
  createdAtMs: number;
  attempts: Attempt[];
  checkSuiteId: number;
}

export interface InstallationRecord {
  id: number;
  account: Account;
  repositories: 'all' | string[];
  createdAtMs: number;
  /**
   * What the owner accepted when installing: an App's later permission changes wait for each
   * installation's approval, so one installation can hold less than the App asks for.
   */
  permissions?: Record<string, string>;
}

export type CredentialRecord =
  | { kind: 'pat'; token: string; access: TokenAccess; login: string }
  | { kind: 'installation'; token: string; installationId: number; expiresAtMs: number };

export interface SimState {
  version: string;
  repos: Map<string, RepoRecord>;
  accounts: Map<string, Account>;
  installations: Map<number, InstallationRecord>;
  credentials: Map<string, CredentialRecord>;
  runs: Map<number, RunRecord>;
  /** A repository's runs in creation order (the same order as `runs`): a list request reads these, not every run. */
  runsOf(repo: RepoRecord): readonly RunRecord[];
  dispatches: DispatchRecord[];
  /** Pull requests, issues, comments, reviews and custom properties (tracker-state.ts). */
  tracker: TrackerState;
  nextId(): number;
  account(login: string, type: Account['type']): Account;
  addRepo(spec: RepoSpec): RepoRecord;
  findRepo(owner: string, name: string): RepoRecord | undefined;
  addWorkflow(owner: string, repo: string, wf: WorkflowSpec): WorkflowRecord;
  findWorkflow(repo: RepoRecord, idOrFile: string): WorkflowRecord | undefined;
  addInstallation(account: string, repositories: 'all' | string[], permissions?: Record<string, string>): InstallationRecord;
  /** Uninstalling revokes every token of the installation. */
  removeInstallation(id: number): void;
  createRun(args: Omit<RunRecord, 'id' | 'runNumber' | 'attempts' | 'checkSuiteId' | 'headSha'> & { startAtMs: number }): RunRecord;
  /** Adds an attempt starting now; the scripted outcome is asked again. */
  rerun(run: RunRecord): void;
  /** Where the latest attempt stands now. */
  phase(run: RunRecord): PhaseAt & { attempt: Attempt };
}

const key = (owner: string, name: string): string => `${owner.toLowerCase()}/${name.toLowerCase()}`;

/** A stable fake commit sha per repo and ref. */
export function refSha(repo: RepoRecord, ref: string): string {
  return createHash('sha1').update(`${repo.owner.login}/${repo.name}@${ref}`).digest('hex');
}

function scriptFor(wf: WorkflowRecord, d: DispatchRecord, attempt: number): FullScript {
  const s = wf.spec.script;
  return fillScript(typeof s === 'function' ? s(d, attempt) : s);
}

export function createState(clock: SimClock, version: string): SimState {
  // Ids start high so that they never collide with small literals in tests.
  let seq = 1000;
  const nextId = (): number => ++seq;
  const accounts = new Map<string, Account>();
  const repos = new Map<string, RepoRecord>();
  const runs = new Map<number, RunRecord>();
  // Test equipment must not be the bench's bottleneck: with 20,000 runs over 50 repositories, a
  // list request that scanned every run cost the simulator more than the agent's request did.
  const byRepo = new Map<RepoRecord, RunRecord[]>();

  const account = (login: string, type: Account['type']): Account => {
    let a = accounts.get(login.toLowerCase());
    if (!a) {
      a = { login, id: nextId(), type };
      accounts.set(login.toLowerCase(), a);
    }
    return a;
  };

  const findRepo = (owner: string, name: string): RepoRecord | undefined => repos.get(key(owner, name));

  const state: SimState = {
    version,
    repos,
    accounts,
    installations: new Map(),
    credentials: new Map(),
    runs,
    runsOf: (repo) => byRepo.get(repo) ?? [],
    dispatches: [],
    tracker: createTrackerState(nextId),
    nextId,
    account,
    findRepo,
    addRepo(spec) {
      const defaultBranch = spec.defaultBranch ?? 'main';
      const existing = findRepo(spec.owner, spec.name);
      const rec: RepoRecord = {
        id: existing?.id ?? nextId(),
        owner: account(spec.owner, 'Organization'),
        name: spec.name,
        defaultBranch,
        branches: new Set([defaultBranch, ...(spec.branches ?? [])]),
        tags: new Set(spec.tags ?? []),
        createdAtMs: existing?.createdAtMs ?? clock.now(),
        workflows: existing?.workflows ?? [],
        hasIssues: spec.hasIssues ?? true,
      };
      repos.set(key(spec.owner, spec.name), rec);
      return rec;
    },
    addWorkflow(owner, repoName, wf) {
      const repo = findRepo(owner, repoName);
      if (!repo) throw new Error(`addWorkflow: unknown repository ${owner}/${repoName}`);
      const fileName = wf.path.split('/').pop() ?? wf.path;
      const rec: WorkflowRecord = {
        id: nextId(),
        spec: wf,
        path: wf.path.startsWith('.github/') ? wf.path : `.github/workflows/${wf.path}`,
        fileName,
        name: wf.name ?? fileName,
        createdAtMs: clock.now(),
        runCount: 0,
      };
      repo.workflows = repo.workflows.filter((w) => w.fileName !== fileName);
      repo.workflows.push(rec);
      return rec;
    },
    findWorkflow(repo, idOrFile) {
      return repo.workflows.find((w) => String(w.id) === idOrFile || w.fileName === idOrFile || w.path === idOrFile);
    },
    addInstallation(login, repositories, permissions) {
      const rec: InstallationRecord = {
        id: nextId(),
        account: account(login, 'Organization'),
        repositories,
        createdAtMs: clock.now(),
        ...(permissions ? { permissions } : {}),
      };
      state.installations.set(rec.id, rec);
      return rec;
    },
    removeInstallation(id) {
      state.installations.delete(id);
      for (const [token, cred] of state.credentials)
        if (cred.kind === 'installation' && cred.installationId === id) state.credentials.delete(token);
    },
    createRun(args) {
      const { startAtMs, ...rest } = args;
      args.workflow.runCount += 1;
      const run: RunRecord = {
        ...rest,
        id: nextId(),
        runNumber: args.workflow.runCount,
        headSha: refSha(args.repo, args.headBranch),
        checkSuiteId: nextId(),
        attempts: [{ number: 1, startedAtMs: startAtMs, script: scriptFor(args.workflow, args.dispatch, 1) }],
      };
      runs.set(run.id, run);
      const list = byRepo.get(run.repo);
      if (list) list.push(run);
      else byRepo.set(run.repo, [run]);
      return run;
    },
    rerun(run) {
      const n = run.attempts.length + 1;
      run.attempts.push({ number: n, startedAtMs: clock.now(), script: scriptFor(run.workflow, run.dispatch, n) });
    },
    phase(run) {
      const attempt = run.attempts[run.attempts.length - 1]!;
      return { ...phaseWithCut(attempt.script, clock.simElapsedSince(attempt.startedAtMs), attempt.cut), attempt };
    },
  };
  return state;
}
