// Pure helpers shared by the pull-request and issue routes: reading a JSON body's fields and
// GitHub's list ordering (sort = created | updated | comments, direction = asc | desc).
import type { IssueRecord } from '../tracker-state.js';

export const asRecord = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const optString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const optBool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** A string array, or null when the value is present but not one (a 422 for the caller). */
export function optStrings(v: unknown): string[] | undefined | null {
  if (v === undefined) return undefined;
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

/**
 * GitHub's order for issue and pull-request lists: `sort` created (default) | updated |
 * comments (pulls also popularity, long-running: the simulator orders those by creation);
 * `direction` defaults to desc (ghes-3.19.json, issues/list-for-repo and pulls/list).
 */
export function sortIssues(rows: IssueRecord[], sort: string, direction: string | null, comments: (i: IssueRecord) => number): IssueRecord[] {
  const key = (i: IssueRecord): number => (sort === 'updated' ? i.updatedAtMs : sort === 'comments' ? comments(i) : i.createdAtMs);
  const sign = direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => sign * (key(a) - key(b) || a.number - b.number));
}
