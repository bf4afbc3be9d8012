import type { GithubClients } from './github-client.js';

/** A pull request or an issue as the executors report it: Ocean's result messages carry number and html_url. */
export interface Made {
  /** The pull request's or issue's number (for a comment: the number of the pull request it is on). */
  number: number;
  htmlUrl: string;
  /** A comment's id. */
  id?: number;
}

/** The fields of `PATCH /repos/{owner}/{repo}/issues/{issue_number}` the executors send (ghes-3.17.json issues/update). */
export interface IssuePatch {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  state_reason?: 'completed' | 'not_planned' | 'duplicate';
  duplicate_issue_id?: number;
  labels?: string[];
  assignees?: string[];
  milestone?: number | null;
}

/** What the write factories share: the clients, and how a failure becomes the agent's error (content-api.ts). */
export interface WritesContext {
  clients: GithubClients;
  /** A failed request as an AgentError naming `what` (classify-error.ts with CONTENT_HINTS), thrown. */
  fail: (what: string) => (err: unknown) => never;
}

/** A pull request's or issue's number and html_url from GHES's answer. */
export const made = (data: unknown): Made => {
  const d = data as { number?: unknown; html_url?: unknown };
  if (typeof d?.number !== 'number' || typeof d.html_url !== 'string') throw new Error('GHES answered without number and html_url');
  return { number: d.number, htmlUrl: d.html_url };
};

/** A comment's or review's id and html_url from GHES's answer, on pull request or issue `number`. */
export const comment = (number: number, data: unknown): Made => {
  const d = data as { id?: unknown; html_url?: unknown };
  if (typeof d?.id !== 'number' || typeof d.html_url !== 'string') throw new Error('GHES answered without id and html_url');
  return { number, id: d.id, htmlUrl: d.html_url };
};

/** A login compared as GitHub does (case-insensitively); no creator known: any. */
export const sameLogin = (login: string | undefined, creator: string | undefined): boolean =>
  creator === undefined || login?.toLowerCase() === creator.toLowerCase();
