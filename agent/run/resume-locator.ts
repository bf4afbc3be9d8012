import type { GithubApi } from '../github/github-api.js';
import type { WorkflowRun } from '../github/run-list-api.js';
import { everyPage } from '../github/every-page.js';
import { type Mismatch, type RunOwner, ownership } from '../github/own-run.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, retry } from '../util/backoff.js';

/**
 * Issue 15: a restart (or a partition moving between replicas) hands thousands of runs to a
 * replica at once. Asking Port about each costs a request per run against Port's per-organization
 * limit; yet for a run whose GitHub run is going on, GHES already says all the agent needs: the
 * run exists (it was dispatched: never dispatch again), its id, its link, and its age. One paged
 * list of a repository's runs answers that for every run resumed there at once, through the
 * run-name, which shows the Port run id (`port_run_id`).
 *
 * Only a found, unfinished GitHub run is taken as the answer. Anything else — no run shows the
 * id, the run already completed (Port may or may not have its final status), the list failed —
 * falls back to the ordinary path that reads Port's record first. So the locator can make a
 * resumption cheaper, never different: a run it misses costs the Port read it would have cost.
 *
 * Who could trigger this: anyone who can dispatch a workflow in the repository can start a run
 * whose run-name shows a Port run id (issue 23), hoping the agent tracks it, reports it to Port
 * and cancels it when the Port run ends. What stops them: a run counts only when it is of the
 * agent's own login and of the invocation's workflow (own-run.ts), checked per lookup since one
 * repository's list serves the runs of all its workflows. A planted run is then not seen at all:
 * the run takes the Port path, and a previous owner's real run is still found there or here.
 * With the agent's login unknown, nothing is taken from the list (every run reads Port).
 */
export interface LocatedRun {
  runId: number;
  htmlUrl: string;
  createdAt: string;
  status: string;
  /** From the list entry's `repository`, when it shows them (GitHub's workflow-run shape always does). */
  repoId?: number;
  ownerId?: number;
  /** The list entry itself: the processor verifies it is the agent's run of this workflow before following it (verify-recorded-run.ts). */
  entry: WorkflowRun;
}

export interface ResumeLocator {
  /**
   * The agent's GitHub run of `run.workflow` whose run-name shows this Port run id, created after
   * `createdAfterMs` (local clock), when it is not completed.
   */
  locate(
    run: { runId: string; org: string; repo: string; workflow: string },
    createdAfterMs: number,
    signal: AbortSignal,
  ): Promise<LocatedRun | undefined>;
}

/** Port run ids in a run-name (display_title): r_… for action runs, wfnr_… for workflow-node runs. */
const PORT_RUN_ID = /\b(?:r|wfnr)_[A-Za-z0-9_-]+/g;

/**
 * The runs a page of GitHub runs shows for Port run ids: id → run, leaving out ids shown by more
 * than one run (ambiguous: the ordinary path reports it) and completed runs. Pure. Only the
 * agent's runs of one workflow are to be given (`ownRuns`): any run shows what it likes.
 */
export function indexByPortRunId(runs: WorkflowRun[]): Map<string, LocatedRun> {
  const seen = new Map<string, LocatedRun | null>();
  for (const r of runs) {
    for (const id of new Set(r.display_title.match(PORT_RUN_ID) ?? [])) {
      seen.set(
        id,
        seen.has(id)
          ? null
          : {
              runId: r.id,
              htmlUrl: r.html_url,
              createdAt: r.created_at,
              status: r.status,
              repoId: r.repository_id,
              ownerId: r.repository_owner_id,
              entry: r,
            },
      );
    }
  }
  const index = new Map<string, LocatedRun>();
  for (const [id, run] of seen) if (run && run.status !== 'completed') index.set(id, run);
  return index;
}

/** Port run id → the runs whose run-name shows it. Pure. */
function showing(runs: WorkflowRun[]): Map<string, WorkflowRun[]> {
  const shown = new Map<string, WorkflowRun[]>();
  for (const r of runs) for (const id of new Set(r.display_title.match(PORT_RUN_ID) ?? [])) shown.set(id, [...(shown.get(id) ?? []), r]);
  return shown;
}

/**
 * The runs of `runs` that are the agent's own, of `owner.workflow` (own-run.ts): what the index
 * of one lookup is built from. Pure.
 */
export function ownRuns(runs: WorkflowRun[], owner: RunOwner): WorkflowRun[] {
  return runs.filter((r) => ownership(r, owner).kind === 'own');
}

/**
 * Whether a Kafka message may have been handled before by another replica (or an earlier life of
 * this one): it was written before this replica got its partition. A message written after
 * that has had no other owner; asking GHES about it first would only add a request. Producer
 * clocks that disagree with ours only move a message to the other, equally safe, path. Pure.
 */
export function mayBeRedelivered(writtenAtMs: number, heldSinceMs: number | undefined): boolean {
  return heldSinceMs !== undefined && writtenAtMs > 0 && writtenAtMs < heldSinceMs;
}

/** Slack for clocks on the created_at window, beyond GHES's measured offset. */
const SLACK_MS = 5 * 60_000;

/**
 * One list per repository for all the runs resumed there within `gatherMs`: the lookups that
 * arrive while a list is being read wait for the next one. A list answers every lookup whose
 * window it covers (its `created>=` reaches back to it).
 */
export function createResumeLocator(deps: {
  api: Pick<GithubApi, 'listRepoRuns'>;
  clock: Clock;
  logger: Logger;
  /** The agent's own login (`<slug>[bot]` or the token's user); undefined when GHES did not say: then no run is taken from a list. */
  actor?: string;
  /** Called for each run that shows a Port run id looked for but is not the agent's (ghes_agent_run_name_mismatches_total). */
  onRunNameMismatch?: (why: Mismatch) => void;
  serverOffsetMs?: () => number;
  gatherMs?: number;
  reuseMs?: number;
  maxPages?: number;
}): ResumeLocator {
  const gatherMs = deps.gatherMs ?? 200;
  const reuseMs = deps.reuseMs ?? 30_000;
  const log = deps.logger.child({ component: 'resume-locator' });
  type Waiter = { runId: string; workflow: string; sinceMs: number; resolve: (r: LocatedRun | undefined) => void };
  const repos = new Map<string, { owner: string; repo: string; waiting: Waiter[]; busy: boolean }>();
  /**
   * One listed repository: its runs, and per workflow the index of the agent's runs of that
   * workflow (built on the first lookup of the workflow: a repository's list serves all its
   * workflows, and a run of one must never answer a lookup for another).
   */
  type Listed = {
    owner: string;
    repo: string;
    runs: WorkflowRun[];
    byWorkflow: Map<string, Map<string, LocatedRun>>;
    shown?: Map<string, WorkflowRun[]>;
  };
  /**
   * The last list of each repository, reused for `reuseMs` by lookups whose window it covers: a
   * backlog found at start-up (thousands of messages written while the agent was down) costs a
   * list per repository now and then, not one per gathering. A run it shows exists (never
   * dispatch again); one it does not show takes the Port path, as without the locator.
   */
  const lists = new Map<string, { atMs: number; sinceMs: number; listed: Listed }>();

  function lookup(listed: Listed, runId: string, workflow: string): LocatedRun | undefined {
    const wf = workflow.toLowerCase();
    let index = listed.byWorkflow.get(wf);
    if (!index) {
      index = indexByPortRunId(ownRuns(listed.runs, { actor: deps.actor, org: listed.owner, repo: listed.repo, workflow }));
      listed.byWorkflow.set(wf, index);
    }
    const found = index.get(runId);
    if (!found) notePlanted(listed, runId, workflow);
    return found;
  }

  /**
   * A run that shows the id but is not the agent's (own-run.ts) is said, not taken. Which runs
   * show which id is mapped once per list, on its first miss: a backlog of messages whose runs
   * never started misses for every one of them.
   */
  function notePlanted(listed: Listed, runId: string, workflow: string): void {
    listed.shown ??= showing(listed.runs);
    const owner: RunOwner = { actor: deps.actor, org: listed.owner, repo: listed.repo, workflow };
    for (const r of listed.shown.get(runId) ?? []) {
      const o = ownership(r, owner);
      if (o.kind === 'own') continue;
      deps.onRunNameMismatch?.(o.why);
      log.warn(`run ${r.html_url} shows Port run id ${runId} but is not taken: ${o.reason}; the run is resumed from Port's record`, {
        runId,
        ghRunId: r.id,
      });
    }
  }

  async function drain(key: string): Promise<void> {
    const rs = repos.get(key)!;
    rs.busy = true;
    try {
      while (rs.waiting.length > 0) {
        await deps.clock.sleep(gatherMs).catch(() => undefined);
        const batch = rs.waiting.splice(0);
        const sinceMs = Math.min(...batch.map((w) => w.sinceMs)) + (deps.serverOffsetMs?.() ?? 0) - SLACK_MS;
        let listed: Listed | undefined;
        try {
          const runs = await everyPage(async (page, perPage) => {
            const res = await retry(
              () => deps.api.listRepoRuns(rs.owner, rs.repo, { createdSince: new Date(sinceMs).toISOString(), perPage, page }),
              {
                clock: deps.clock,
                maxAttempts: 3,
                capMs: 5_000,
              },
            );
            return res.notModified ? undefined : res.page.runs;
          }, deps.maxPages);
          listed = { owner: rs.owner, repo: rs.repo, runs, byWorkflow: new Map() };
          for (const [k, l] of lists) if (deps.clock.now() - l.atMs >= reuseMs) lists.delete(k);
          lists.set(key, { atMs: deps.clock.now(), sinceMs, listed });
        } catch (err) {
          // Nothing is lost: every waiting run takes the ordinary path (Port's record).
          log.warn(`listing ${key}'s runs to resume ${batch.length} run(s) failed; they are resumed from Port's records`, {
            error: (err as Error).message,
          });
        }
        for (const w of batch) w.resolve(listed ? lookup(listed, w.runId, w.workflow) : undefined);
      }
    } finally {
      rs.busy = false;
      if (rs.waiting.length === 0) repos.delete(key);
      else void drain(key);
    }
  }

  return {
    locate(run, createdAfterMs, signal) {
      if (signal.aborted) return Promise.resolve(undefined);
      const key = `${run.org}/${run.repo}`.toLowerCase();
      const last = lists.get(key);
      if (last && deps.clock.now() - last.atMs < reuseMs && last.sinceMs <= createdAfterMs + (deps.serverOffsetMs?.() ?? 0) - SLACK_MS) {
        return Promise.resolve(lookup(last.listed, run.runId, run.workflow));
      }
      if (last && deps.clock.now() - last.atMs >= reuseMs) lists.delete(key);
      let rs = repos.get(key);
      if (!rs) {
        rs = { owner: run.org, repo: run.repo, waiting: [], busy: false };
        repos.set(key, rs);
      }
      const p = new Promise<LocatedRun | undefined>((resolve) =>
        rs.waiting.push({ runId: run.runId, workflow: run.workflow, sinceMs: createdAfterMs, resolve }),
      );
      if (!rs.busy) void drain(key);
      return p;
    },
  };
}
