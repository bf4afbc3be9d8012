// Pull requests, issues, their comments and reviews, and custom-property values: the state
// behind routes/pulls.ts, issues.ts, comments.ts and properties.ts. GitHub numbers pull requests
// and issues from one sequence per repository, and every pull request is also an issue ("GitHub's
// REST API considers every pull request an issue", GitHub docs, "List repository issues"), so one
// record serves both, with `pull` set for a pull request.
import type { Account, RepoRecord } from './state.js';

export interface PullFacts {
  /** The head branch (in the same repository: the simulator models no forks). */
  head: string;
  base: string;
  draft: boolean;
  maintainerCanModify: boolean;
  mergedAtMs: number | null;
  mergedBy: Account | null;
  mergeCommitSha: string | null;
  /**
   * What GitHub's mergeability check says (set with GhesSim.setPullMergeable): 'clean', or
   * 'dirty' (a merge conflict: mergeable false) and 'blocked' (protection rules unmet); both
   * refuse PUT …/merge with 405 (GitHub docs: "Method Not Allowed if merge cannot be performed").
   */
  mergeState: 'clean' | 'dirty' | 'blocked';
  /** The head commit; a merge naming another `sha` is refused with 409. */
  headSha: string;
  /**
   * Until then GitHub's background job has not computed mergeability: `mergeable` is null
   * (GitHub docs, "Get a pull request": "If the value is null, then GitHub has started a
   * background job to compute the mergeability").
   */
  mergeableAtMs: number;
}

export interface IssueRecord {
  id: number;
  repo: RepoRecord;
  number: number;
  title: string;
  body: string | null;
  user: Account;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | 'duplicate' | null;
  labels: string[];
  assignees: string[];
  createdAtMs: number;
  updatedAtMs: number;
  closedAtMs: number | null;
  closedBy: Account | null;
  pull?: PullFacts;
}

export interface CommentRecord {
  id: number;
  issue: IssueRecord;
  body: string;
  user: Account;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface ReviewRecord {
  id: number;
  pull: IssueRecord;
  user: Account;
  body: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  submittedAtMs: number;
  commitId: string;
}

export interface PropertyDef {
  name: string;
  valueType: 'string' | 'single_select' | 'multi_select' | 'true_false';
  required: boolean;
  defaultValue: string | null;
  allowedValues: string[] | null;
}

export type PropertyValue = string | string[] | null;

export interface TrackerState {
  issuesOf(repo: RepoRecord): readonly IssueRecord[];
  issue(repo: RepoRecord, number: number): IssueRecord | undefined;
  addIssue(args: Omit<IssueRecord, 'id' | 'number' | 'updatedAtMs' | 'closedAtMs' | 'closedBy' | 'state' | 'stateReason'>): IssueRecord;
  comments: Map<number, CommentRecord>;
  commentsOf(issue: IssueRecord): CommentRecord[];
  reviews: ReviewRecord[];
  /** Organization property definitions, keyed by lower-case organization login. */
  propertyDefs: Map<string, PropertyDef[]>;
  /** A repository's property values (unset properties are absent). */
  propertyValues: Map<RepoRecord, Map<string, PropertyValue>>;
}

export function createTrackerState(nextId: () => number): TrackerState {
  const byRepo = new Map<RepoRecord, IssueRecord[]>();
  const comments = new Map<number, CommentRecord>();
  return {
    issuesOf: (repo) => byRepo.get(repo) ?? [],
    issue: (repo, number) => byRepo.get(repo)?.find((i) => i.number === number),
    addIssue(args) {
      const list = byRepo.get(args.repo) ?? [];
      byRepo.set(args.repo, list);
      const rec: IssueRecord = {
        ...args,
        id: nextId(),
        number: list.length + 1,
        state: 'open',
        stateReason: null,
        updatedAtMs: args.createdAtMs,
        closedAtMs: null,
        closedBy: null,
      };
      list.push(rec);
      return rec;
    },
    comments,
    commentsOf: (issue) => [...comments.values()].filter((c) => c.issue === issue).sort((a, b) => a.id - b.id),
    reviews: [],
    propertyDefs: new Map(),
    propertyValues: new Map(),
  };
}
