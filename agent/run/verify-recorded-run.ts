/**
 * Whether a GitHub run recorded somewhere the agent does not control is the invocation's own run
 * (issue 23, "resume and adoption obey the same rules as a first dispatch"). Pure: the reads
 * (Port's record, the repository, the run) are made by the processor and passed in.
 *
 * Who can record a run: a Port user with write access to runs can set any run's `link` and
 * `externalRunId` (Port's API takes both on PATCH /v1/actions/runs/{id}), and anyone with write
 * access to a repository can dispatch a run whose run-name shows a Port run id. Followed blindly,
 * either would make the agent read run N of any repository its App can see, post its jobs,
 * reviewers and failed-step log to Port, and cancel it when the Port run ends. What stops them:
 * a recorded run is followed only when
 * - its `externalRunId` (`gh_<ownerId>_<repoId>_<runId>`, Port's GitHub integration's shape) names
 *   the invocation repository's owner and repository ids;
 * - its link is on this agent's GHES (the origin of github.url or github.apiUrl);
 * - the run GHES returns is in the invocation's repository (its `repository.id` and owner id), of
 *   the invocation's workflow (`path` `.github/workflows/<file>`, or `workflow_id` for a numeric
 *   workflow), dispatched by the agent's own actor (`actor.login`: the App's `<slug>[bot]` or the
 *   token's user, github-api.ts actor()), its run-name names no other Port run, and it is not older
 *   than the Port run (by more than an hour of clock slack).
 * Field meanings: GitHub's "workflow-run" schema (node_modules/@octokit/openapi, GHES 3.19).
 */
import type { WorkflowRun } from '../github/run-list-api.js';
import { isRunOfWorkflow } from '../github/workflow-of-run.js';
import { type VerifiedRun, verifiedRecorded } from './verified-run.js';

/** What Port's record says about the GitHub run: its id and, from an externalRunId, its repository's ids. */
export interface RecordedReference {
  ghRunId: number;
  ids?: { ownerId: number; repoId: number };
}

export type RecordedReading = { kind: 'none' } | { kind: 'refused'; reason: string } | { kind: 'recorded'; ref: RecordedReference };

export interface Invocation {
  /** The Port run id (r_… or wfnr_…). */
  runId: string;
  org: string;
  repo: string;
  /** A workflow file name (deploy.yml) or a numeric workflow id, as decode-message.ts admits them. */
  workflow: string;
}

export type Verdict = { kind: 'accepted'; run: VerifiedRun } | { kind: 'refused'; reason: string };

const EXTERNAL_RUN_ID = /^gh_(\d+)_(\d+)_(\d+)$/;
const RUN_LINK = /\/actions\/runs\/(\d+)(?:[/?#]|$)/;
/** Port run ids in a run-name: r_… (action runs), wfnr_… (workflow-node runs). */
const PORT_RUN_ID = /\b(?:r|wfnr)_[A-Za-z0-9_-]+/g;

/** Clocks that disagree: GHES's created_at against Port's createdAt and the Kafka timestamp. */
const CLOCK_SLACK_MS = 3600_000;

const safeId = (digits: string): number | undefined => {
  const n = Number(digits);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/**
 * The GitHub run Port's record names, or why it cannot be taken: a link to a run on another host,
 * an id that does not fit a number, or a link and an externalRunId that name different runs.
 * `ghesOrigins`: the origins of this agent's GHES (lower case, as URL.origin gives them).
 */
export function readRecordedRun(
  record: { externalRunId?: string | null; link?: string | string[] | null },
  ghesOrigins: readonly string[],
): RecordedReading {
  let ref: RecordedReference | undefined;
  const ext = EXTERNAL_RUN_ID.exec(record.externalRunId ?? '');
  if (ext) {
    const [ownerId, repoId, ghRunId] = [safeId(ext[1]!), safeId(ext[2]!), safeId(ext[3]!)];
    if (ownerId === undefined || repoId === undefined || ghRunId === undefined)
      return { kind: 'refused', reason: `the recorded externalRunId ${record.externalRunId} is not a GitHub run id` };
    ref = { ghRunId, ids: { ownerId, repoId } };
  }
  const links = Array.isArray(record.link) ? record.link : record.link ? [record.link] : [];
  for (const link of links) {
    const m = RUN_LINK.exec(link);
    if (!m) continue; // not a run link (Port's own pages, a dashboard): nothing recorded by it
    let origin: string;
    try {
      origin = new URL(link).origin.toLowerCase();
    } catch {
      return { kind: 'refused', reason: 'the recorded run link is not a URL' };
    }
    if (!ghesOrigins.includes(origin))
      return { kind: 'refused', reason: `the recorded run link is on ${origin}, not on this agent's GHES (${ghesOrigins.join(', ')})` };
    const ghRunId = safeId(m[1]!);
    if (ghRunId === undefined) return { kind: 'refused', reason: 'the recorded run link names no GitHub run id' };
    if (ref && ref.ghRunId !== ghRunId)
      return { kind: 'refused', reason: `the recorded link names GitHub run ${ghRunId} and the externalRunId run ${ref.ghRunId}` };
    ref ??= { ghRunId };
  }
  return ref ? { kind: 'recorded', ref } : { kind: 'none' };
}

/** Why an externalRunId's ids are not the invocation repository's (checked before the run is read), or undefined. */
export function recordedIdsMismatch(ref: RecordedReference, inv: Invocation, repo: { id: number; ownerId: number }): string | undefined {
  if (!ref.ids || (ref.ids.ownerId === repo.ownerId && ref.ids.repoId === repo.id)) return undefined;
  return `the recorded externalRunId names repository ${ref.ids.repoId} of owner ${ref.ids.ownerId}, not ${inv.org}/${inv.repo} (repository ${repo.id} of owner ${repo.ownerId})`;
}

/**
 * The decision on a recorded run GHES returned (`observed`, from GET …/actions/runs/{id} of the
 * invocation's repository or an entry of its run list), for the invocation whose repository GHES
 * says has `repo`'s ids. `actor`: the agent's own login; unknown, nothing can be verified.
 */
export function verifyRecordedRun(
  expected: {
    invocation: Invocation;
    repo: { id: number; ownerId: number };
    actor: string | undefined;
    recorded?: RecordedReference;
    /** The Port run existed from then on (epoch ms: its record's createdAt, its message's timestamp): its GitHub run cannot be older. */
    createdAfterMs?: number;
  },
  observed: WorkflowRun,
): Verdict {
  const inv = expected.invocation;
  const refuse = (why: string): Verdict => ({ kind: 'refused', reason: `GitHub run ${observed.id} is not this run's: ${why}` });
  if (expected.recorded) {
    const mismatch = recordedIdsMismatch(expected.recorded, inv, expected.repo);
    if (mismatch) return { kind: 'refused', reason: mismatch };
    if (expected.recorded.ghRunId !== observed.id) return refuse(`Port's record names run ${expected.recorded.ghRunId}`);
  }
  if (observed.repository_id !== expected.repo.id || observed.repository_owner_id !== expected.repo.ownerId) {
    return refuse(
      `it belongs to repository ${observed.repository_id ?? 'unknown'} of owner ${observed.repository_owner_id ?? 'unknown'}, not ${inv.org}/${inv.repo}`,
    );
  }
  // One rule with the run-name path (github/workflow-of-run.ts); a run that does not say which workflow it is of is refused.
  if (isRunOfWorkflow(observed, inv) !== true)
    return refuse(
      /^\d+$/.test(inv.workflow)
        ? `it is a run of workflow ${observed.workflow_id ?? 'unknown'}, not of workflow ${inv.workflow}`
        : `it is a run of ${observed.path ?? 'an unnamed workflow'}, not of .github/workflows/${inv.workflow}`,
    );
  if (!expected.actor)
    return refuse(
      "the agent's own GitHub login is unknown (GHES named no App slug or token user), so no run can be shown to be the agent's",
    );
  if (observed.actor?.toLowerCase() !== expected.actor.toLowerCase())
    return refuse(`it was started by ${observed.actor ?? 'an unknown actor'}, not by this agent (${expected.actor})`);
  // A run made for an earlier Port run (another user's, of the same workflow) is older than this
  // one; an hour of slack covers clocks that disagree (GHES stamps created_at, Port createdAt).
  const created = Date.parse(observed.created_at);
  if (expected.createdAfterMs !== undefined && Number.isFinite(created) && created < expected.createdAfterMs - CLOCK_SLACK_MS) {
    return refuse(
      `it was created at ${observed.created_at}, before this Port run existed (${new Date(expected.createdAfterMs).toISOString()})`,
    );
  }
  const named = new Set(observed.display_title.match(PORT_RUN_ID) ?? []);
  if (named.size > 0 && !named.has(inv.runId)) return refuse(`its run-name names Port run ${[...named].join(', ')}`);
  return {
    kind: 'accepted',
    run: verifiedRecorded({ portRunId: inv.runId, org: inv.org, repo: inv.repo, ghRunId: observed.id, htmlUrl: observed.html_url }),
  };
}

/** The origins (scheme, host, port; lower case) a run link may have: those of github.url and github.apiUrl. */
export function ghesOriginsOf(urls: readonly string[]): string[] {
  const origins = new Set<string>();
  for (const url of urls) {
    if (!url) continue;
    try {
      origins.add(new URL(url).origin.toLowerCase());
    } catch {
      // The configuration loader refuses such a URL; nothing to allow.
    }
  }
  return [...origins];
}
