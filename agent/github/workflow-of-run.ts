import type { RunCandidate } from './correlate.js';

/**
 * Whether a GitHub run is a run of the invocation's workflow: the one rule for a run found by its
 * run-name (own-run.ts) and a run recorded in Port (run/verify-recorded-run.ts). Both decide
 * whether the agent may follow, report and cancel a run, so a looser rule in either would let a
 * run of another workflow pass for the agent's own.
 *
 * The invocation names its workflow by file name (`deploy.yml`) or numeric id (decode-message.ts
 * admits `[A-Za-z0-9._ -]+.ya?ml` or digits). GitHub's `workflow-run` schema (OpenAPI, ghes-3.19)
 * gives `workflow_id` ("The ID of the parent workflow") and `path` ("The full path of the
 * workflow", example `octocat/octo-repo/.github/workflows/ci.yml@main`; GHES answers the shorter
 * `.github/workflows/ci.yml` for a dispatched run). Both path forms are read:
 * - owner and repository compare without case: the REST API documents both as "not case sensitive";
 * - the file compares exactly, case included. Git paths on GHES are case-sensitive, so
 *   `deploy.yml` and `Deploy.yml` can be two workflows of one repository; GitHub resolves a
 *   workflow by file name with its case (a badge of `Mser.yml` for `mser.yml` is "repo or
 *   workflow not found": badges/shields#8753; the GHES simulator's findWorkflow does the same), so
 *   a dispatch of `deploy.yml` never starts a run of `Deploy.yml` and no own run is missed;
 * - `.yml` and `.yaml` are different files (GitHub answers 404 for the other: oprypin/nightly.link#3);
 * - only `.github/workflows/` itself: GitHub reads no workflow from its subdirectories, and a
 *   dynamic workflow (`dynamic/pages/pages-build-deployment`) is no dispatched file;
 * - a numeric workflow compares with `workflow_id` as the digits GitHub prints (no leading zeros).
 * `undefined` when the run does not say (no `path`, or no `workflow_id` for a numeric workflow):
 * the callers never take such a run as the invocation's. Pure.
 */
export function isRunOfWorkflow(
  run: Pick<RunCandidate, 'path' | 'workflow_id'>,
  invocation: { org: string; repo: string; workflow: string },
): boolean | undefined {
  if (/^\d+$/.test(invocation.workflow)) return run.workflow_id === undefined ? undefined : String(run.workflow_id) === invocation.workflow;
  if (run.path === undefined || run.path === '') return undefined;
  const m = WORKFLOW_PATH.exec(run.path);
  if (!m) return false;
  const [, owner, repo, file] = m;
  if (owner !== undefined && !(sameName(owner, invocation.org) && sameName(repo!, invocation.repo))) return false;
  return file === `.github/workflows/${invocation.workflow}`;
}

/** `[<owner>/<repo>/].github/workflows/<file>[@<ref>]`: a file name holds no `/` or `@` (decode-message.ts), a ref may hold both. */
const WORKFLOW_PATH = /^(?:([^/]+)\/([^/]+)\/)?(\.github\/workflows\/[^/@]+)(?:@.*)?$/;

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
