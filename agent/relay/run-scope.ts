/**
 * A Port run may be written through the relay only by the workflow run Port's record names (issue
 * 26): its `externalRunId` (`gh_<ownerId>_<repoId>_<runId>`, what the agent and Port's GitHub
 * integration write at dispatch) or its link (`…/actions/runs/<runId>` on this agent's GHES) must
 * name the token's `run_id`, and the token's repository. Reading the record: run/verify-recorded-run.ts
 * readRecordedRun (the same rules that decide whether the agent resumes a recorded run).
 *
 * Who could try: any workflow on GHES with an OIDC token, naming a Port run id it learnt (the run
 * id travels in the port_run_id input and the run-name). What stops it: its token's run_id and
 * repository are GHES's, signed; they match only the run the agent dispatched for that Port run.
 *
 * A workflow-node run is read the way Ocean reads one, by its externalRunId (port/port-client.ts):
 * the token names its GitHub run, so the externalRunId the agent wrote at the dispatch is known
 * here (run/external-run-id.ts), and the client takes from Port's answer only the node run the
 * request names. A token of another run finds no node run, or another one, which is "not found".
 */
import type { PortRun, RunReadHint } from '../types/port-run.js';
import { externalRunId } from '../run/external-run-id.js';
import { type RecordedReference, readRecordedRun } from '../run/verify-recorded-run.js';
import type { WorkflowIdentity } from './workflow-identity.js';

export type RunScopeVerdict = { allowed: true } | { allowed: false; reason: string };

/** The decision on a recorded reference (from readRecordedRun) and the link it came from. Pure. */
export function decideRunScope(
  portRunId: string,
  ref: RecordedReference,
  links: readonly string[],
  who: WorkflowIdentity,
): RunScopeVerdict {
  const refuse = (why: string): RunScopeVerdict => ({
    allowed: false,
    reason: `Port run ${portRunId} belongs to another workflow run: ${why}`,
  });
  if (ref.ghRunId !== who.runId) return refuse(`Port's record names GitHub run ${ref.ghRunId}, the token is of run ${who.runId}`);
  if (ref.ids) {
    if (ref.ids.repoId !== who.repositoryId || ref.ids.ownerId !== who.ownerId)
      return refuse(`Port's record names repository ${ref.ids.repoId} of owner ${ref.ids.ownerId}, the token is of ${who.repository}`);
    return { allowed: true };
  }
  // A link alone: run ids are unique on a GHES instance, and the link must also be in the token's repository.
  const inRepo = links.some((l) => {
    try {
      return new URL(l).pathname.toLowerCase().startsWith(`/${who.repository.toLowerCase()}/actions/runs/${who.runId}`);
    } catch {
      return false;
    }
  });
  return inRepo ? { allowed: true } : refuse(`Port's run link is not in ${who.repository}`);
}

export interface RunScope {
  check(portRunId: string, who: WorkflowIdentity): Promise<RunScopeVerdict | 'not_found'>;
}

/**
 * One Port read per run, its reading kept for the run's life (`ttlMs`, bounded to `maxEntries`):
 * a workflow that logs a hundred lines costs one read. A record that names no GitHub run yet is
 * not kept (the agent writes the link right after the dispatch, possibly after the workflow's
 * first step ran), so a later request reads it again.
 */
export function createRunScope(deps: {
  /** `hint.externalRunId`: the one the caller's token names (a node run is read by it; action runs by id). */
  getRun: (runId: string, hint?: RunReadHint) => Promise<PortRun | undefined>;
  ghesOrigins: readonly string[];
  now: () => number;
  ttlMs?: number;
  maxEntries?: number;
}): RunScope {
  const ttlMs = deps.ttlMs ?? 6 * 3600_000;
  const maxEntries = deps.maxEntries ?? 10_000;
  const cache = new Map<string, { ref: RecordedReference; links: string[]; at: number }>();
  const pending = new Map<string, Promise<{ ref: RecordedReference; links: string[] } | { refused: string } | 'none' | 'not_found'>>();

  async function reading(portRunId: string, who: WorkflowIdentity) {
    const hit = cache.get(portRunId);
    if (hit && deps.now() - hit.at < ttlMs) return hit;
    // What the agent wrote at the dispatch of the token's own run. The read depends on it, so
    // requests share a read only when they name the same one: a token of another run must not
    // make a concurrent caller's read come back "not found".
    const hint = { externalRunId: externalRunId(who.ownerId, who.repositoryId, who.runId) };
    const key = `${portRunId} ${hint.externalRunId}`;
    let p = pending.get(key);
    if (!p) {
      p = (async () => {
        const run = await deps.getRun(portRunId, hint);
        if (!run) return 'not_found' as const;
        const read = readRecordedRun(run, deps.ghesOrigins);
        if (read.kind === 'none') return 'none' as const;
        if (read.kind === 'refused') return { refused: read.reason };
        const links = Array.isArray(run.link) ? run.link : run.link ? [run.link] : [];
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
        const entry = { ref: read.ref, links, at: deps.now() };
        cache.set(portRunId, entry);
        return entry;
      })().finally(() => pending.delete(key));
      pending.set(key, p);
    }
    return p;
  }

  return {
    async check(portRunId, who) {
      const r = await reading(portRunId, who);
      if (r === 'not_found') return 'not_found';
      if (r === 'none')
        return {
          allowed: false,
          reason: `Port run ${portRunId} names no GitHub run yet (no link or externalRunId): only the workflow run it names may write it`,
        };
      if ('refused' in r) return { allowed: false, reason: `Port run ${portRunId}: ${r.refused}` };
      return decideRunScope(portRunId, r.ref, r.links, who);
    },
  };
}
