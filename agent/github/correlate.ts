/** The fields of a workflow run the correlation needs. */
export interface RunCandidate {
  id: number;
  display_title: string;
  head_branch: string | null;
  created_at: string;
  event: string;
  html_url: string;
  /** Login of who dispatched it (the agent's own actor, or a person). */
  actor?: string;
  /** The workflow file it is a run of (`.github/workflows/deploy.yml`) and the workflow's id: own-run.ts. */
  path?: string;
  workflow_id?: number;
}

export type Correlation =
  | { kind: 'found'; run: RunCandidate; by: 'run-name' | 'newest-after-dispatch' }
  | { kind: 'none' }
  | { kind: 'ambiguous'; runs: RunCandidate[] };

const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, '');

/**
 * Finds the run a dispatch created on GHES < 3.21 (github-enterprise.md): first by the Port run
 * id shown in `display_title` through the workflow's run-name (exact); else, only when the
 * dispatch was serialized for its workflow, the single new run on the ref that was not there
 * before, dispatched by the agent's own actor. Two candidates are never chosen between silently.
 */
export function correlateRun(
  candidates: RunCandidate[],
  opts: { portRunId: string; ref: string; knownBefore: ReadonlySet<number> | undefined; notBeforeMs: number; actor?: string },
): Correlation {
  const titled = candidates.filter((r) => r.display_title.includes(opts.portRunId));
  if (titled.length === 1) return { kind: 'found', run: titled[0]!, by: 'run-name' };
  if (titled.length > 1) return { kind: 'ambiguous', runs: titled };
  if (!opts.knownBefore) return { kind: 'none' };
  const fresh = candidates.filter(
    (r) =>
      r.event === 'workflow_dispatch' &&
      // The list is filtered by actor already; this holds if a server ignored the filter.
      (opts.actor === undefined || r.actor === undefined || r.actor.toLowerCase() === opts.actor.toLowerCase()) &&
      !opts.knownBefore!.has(r.id) &&
      (r.head_branch === null || r.head_branch === branchOf(opts.ref)) &&
      Date.parse(r.created_at) >= opts.notBeforeMs,
  );
  if (fresh.length === 1) return { kind: 'found', run: fresh[0]!, by: 'newest-after-dispatch' };
  if (fresh.length > 1) return { kind: 'ambiguous', runs: fresh };
  return { kind: 'none' };
}

const PORT_RUN_ID_IN_TITLE = /\b(?:r|wfnr)_[A-Za-z0-9]{6,}/;

/**
 * Whether the workflow's run-name shows Port run ids: if its recent runs do, a run whose title
 * lacks ours was not created for us, so "not found" is conclusive and dispatching is safe.
 */
export function runNameShowsRunIds(runs: Pick<RunCandidate, 'display_title'>[]): boolean {
  return runs.some((r) => PORT_RUN_ID_IN_TITLE.test(r.display_title));
}
