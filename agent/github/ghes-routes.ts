// Which GHES versions have the REST routes Port's GitHub Ocean executors use, and the routes the
// agent needs to find what a first attempt made. Data only: computed from GitHub's OpenAPI
// descriptions (@octokit/openapi generated/ghes-3.NN.json and api.github.com.json) by
// test/tools/ghes-routes.ts, and test/unit/ghes-routes.test.ts fails when this table and the
// files disagree. Regenerate with `node --import tsx test/tools/ghes-routes.ts` after updating
// @octokit/openapi.
import type { Version } from './ghes-version.js';

export interface RouteAvailability {
  /**
   * The first GHES version whose description has the route ('3.17' = the oldest description
   * @octokit/openapi ships, so "3.17 or earlier"); null when no GHES description has it.
   */
  firstGhes: string | null;
  /** api.github.com's description has it (false: an undocumented or preview route). */
  dotcom: boolean;
}

export const GHES_ROUTES = {
  // dispatch_workflow (ocean integrations/github/github/actions/dispatch_workflow_executor.py)
  'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches': { firstGhes: '3.17', dotcom: true },
  // Pull requests (create/update/close/merge/review_pull_request_executor.py). GET by number and
  // the list (filtered by head "owner:branch" and base) find what a first attempt made.
  'POST /repos/{owner}/{repo}/pulls': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/pulls': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/pulls/{pull_number}': { firstGhes: '3.17', dotcom: true },
  'PATCH /repos/{owner}/{repo}/pulls/{pull_number}': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/pulls/{pull_number}/merge': { firstGhes: '3.17', dotcom: true },
  'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': { firstGhes: '3.17', dotcom: true },
  'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews': { firstGhes: '3.17', dotcom: true },
  // Issues (create/edit/close_issue_executor.py); the list (creator, state, since) and search
  // (a marker in the body) find a first attempt's issue.
  'POST /repos/{owner}/{repo}/issues': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/issues': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/issues/{issue_number}': { firstGhes: '3.17', dotcom: true },
  'PATCH /repos/{owner}/{repo}/issues/{issue_number}': { firstGhes: '3.17', dotcom: true },
  'GET /search/issues': { firstGhes: '3.17', dotcom: true },
  // Pull-request comments: Ocean uses the issue-comment API for them
  // (abstract_pr_comment_executor.py: "PR comment actions, which use GitHub's issue comments API").
  'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/issues/comments/{comment_id}': { firstGhes: '3.17', dotcom: true },
  'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': { firstGhes: '3.17', dotcom: true },
  'DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}': { firstGhes: '3.17', dotcom: true },
  // External custom properties: Ocean writes installation-scoped values
  // (external_custom_properties/*_executor.py, utils.external_property_values_endpoint). No
  // description, GHES or api.github.com, documents these four routes.
  'PATCH /orgs/{org}/properties/installations/values': { firstGhes: null, dotcom: false },
  'PUT /orgs/{org}/properties/installations/values': { firstGhes: null, dotcom: false },
  'PATCH /orgs/{org}/properties/installations/values/{property_name}': { firstGhes: null, dotcom: false },
  'DELETE /orgs/{org}/properties/installations/values/{property_name}': { firstGhes: null, dotcom: false },
  // The documented custom-property routes GHES has (organization-defined properties).
  'GET /orgs/{org}/properties/schema': { firstGhes: '3.17', dotcom: true },
  'GET /orgs/{org}/properties/values': { firstGhes: '3.17', dotcom: true },
  'PATCH /orgs/{org}/properties/values': { firstGhes: '3.17', dotcom: true },
  'GET /repos/{owner}/{repo}/properties/values': { firstGhes: '3.17', dotcom: true },
  'PATCH /repos/{owner}/{repo}/properties/values': { firstGhes: '3.17', dotcom: true },
} as const satisfies Record<string, RouteAvailability>;

export type GhesRouteKey = keyof typeof GHES_ROUTES;

/**
 * The routes each of Ocean's action types writes with (its executor file under
 * port-labs/ocean integrations/github/github/actions/). Registries differ between Ocean
 * versions; the executor files are the source for each type's route.
 */
export const ACTION_ROUTES: Record<string, readonly GhesRouteKey[]> = {
  dispatch_workflow: ['POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches'],
  create_pull_request: ['POST /repos/{owner}/{repo}/pulls'],
  update_pull_request: ['PATCH /repos/{owner}/{repo}/pulls/{pull_number}'],
  close_pull_request: ['PATCH /repos/{owner}/{repo}/pulls/{pull_number}'],
  merge_pull_request: ['PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge'],
  review_pull_request: ['POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
  create_pr_comment: ['POST /repos/{owner}/{repo}/issues/{issue_number}/comments'],
  edit_pr_comment: ['PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}'],
  delete_pr_comment: ['DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}'],
  create_issue: ['POST /repos/{owner}/{repo}/issues'],
  edit_issue: ['PATCH /repos/{owner}/{repo}/issues/{issue_number}'],
  close_issue: ['PATCH /repos/{owner}/{repo}/issues/{issue_number}'],
  update_repo_external_custom_properties: ['PATCH /orgs/{org}/properties/installations/values'],
  replace_repositories_external_custom_properties: ['PUT /orgs/{org}/properties/installations/values'],
  bulk_update_external_custom_property_values: ['PATCH /orgs/{org}/properties/installations/values/{property_name}'],
  bulk_delete_external_custom_property_values: ['DELETE /orgs/{org}/properties/installations/values/{property_name}'],
};

/**
 * Pure: may this GHES version run that action type? `needs` is the first GHES version having
 * every route the type writes with, or null when no GHES version documents one of them.
 */
export function actionAvailability(action: string, version: Version): { ok: true } | { ok: false; needs: string | null } | { ok: false; unknown: true } {
  const routes = ACTION_ROUTES[action];
  if (!routes) return { ok: false, unknown: true };
  let needs: [number, number] = [0, 0];
  for (const r of routes) {
    const first = GHES_ROUTES[r].firstGhes;
    if (first === null) return { ok: false, needs: null };
    const [maj, min] = first.split('.').map(Number) as [number, number];
    if (maj > needs[0] || (maj === needs[0] && min > needs[1])) needs = [maj, min];
  }
  const ok = version[0] > needs[0] || (version[0] === needs[0] && version[1] >= needs[1]);
  return ok ? { ok: true } : { ok: false, needs: `${needs[0]}.${needs[1]}` };
}
