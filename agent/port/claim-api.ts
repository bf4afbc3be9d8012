import { AgentError } from '../errors.js';
import type { RunRequest } from '../types/run-request.js';
import type { PortHttp } from './port-http.js';

export type RunKind = RunRequest['runKind'];

/** The most runs Port's run lists answer with (its API description: limit 1-1000), and no cursor beyond. */
const LIST_LIMIT = 1000;

/** Routes and header of the claim protocol (settings portApi.routes.*, portApi.reservedHeader). */
export interface ClaimRoutes {
  claimActionRuns: string;
  ackActionRun: string;
  claimNodeRuns: string;
  ackNodeRun: string;
  nodeRuns: string;
}

export interface ClaimRequest {
  installationId: string;
  limit: number;
  visibilityTimeoutMs: number;
  /** Action identifiers (action runs) or node uids (node runs) to leave in Port's queue. */
  exclude: string[];
}

export type AckResult = 'acked' | 'conflict';

export interface ClaimApi {
  /** The runs Port hands out (raw, decoded by decode-claimed-run.ts). */
  claim(kind: RunKind, req: ClaimRequest): Promise<unknown[]>;
  /** 'conflict': Port says the run is already acknowledged (409), or gone (404). */
  ack(kind: RunKind, runId: string): Promise<AckResult>;
  /**
   * The runs of the installation Port still shows in progress (raw), to find orphans; of one
   * action only with `action`. `truncated`: Port's answer held as many runs as it shows at most
   * (1,000, of the whole organization), so some may be missing.
   */
  listActive(kind: RunKind, installationId: string, opts?: { action?: string }): Promise<unknown[] & { truncated?: boolean }>;
}

/**
 * Port's pull protocol for integration runs, as Ocean and port-agent speak it
 * (port-integration-actions.md):
 * - claim: POST {claim route} {installationId, limit, visibilityTimeoutMs, exclude?} with the
 *   reserved header → {"runs": […]} or {"nodeRuns": […]} (ocean mixins/actions.py,
 *   workflow_nodes.py);
 * - ack: PATCH {ack route} {"runId"} or {"nodeRunIdentifier"}; 409 = another worker has it;
 * - orphans: GET /v1/actions/runs?version=v2&active=true&limit=1000 (Port's API description:
 *   active = "only running action runs"; no installation filter, so the runs are filtered here by
 *   the `installationId` the run object carries), and the node-run list filtered by installationId
 *   and status (INFERRED, a setting).
 * A 404 or 403 from a claim route is not retried: it means the route or header moved, the
 * installation is unknown, or the token may not claim, and the message says which setting to check.
 */
export function createClaimApi(deps: {
  http: PortHttp;
  routes: ClaimRoutes;
  reservedHeader: string;
  /** Told when Port handed out more runs than asked (the rest was dropped: cutClaimAnswer). */
  onExcess?: (kind: RunKind, asked: number, answered: number) => void;
}): ClaimApi {
  const { http, routes } = deps;
  const headers = { [deps.reservedHeader]: 'true' };
  const claimRoute = (kind: RunKind) => (kind === 'action' ? routes.claimActionRuns : routes.claimNodeRuns);

  return {
    async claim(kind, req) {
      const operation = kind === 'action' ? 'claim_runs' : 'claim_node_runs';
      const body: Record<string, unknown> = {
        installationId: req.installationId,
        limit: req.limit,
        visibilityTimeoutMs: req.visibilityTimeoutMs,
      };
      if (req.exclude.length > 0) body.exclude = req.exclude;
      const res = await http.call(operation, 'POST', claimRoute(kind), { body, headers });
      if (res.status === 404 || res.status === 403) {
        const text = (await res.text().catch(() => '')).slice(0, 500);
        throw new AgentError(
          res.status === 404 ? 'not_found' : 'forbidden',
          explainClaimRefusal(kind, res.status, claimRoute(kind), req.installationId, deps.reservedHeader, text),
          { status: res.status },
        );
      }
      if (!res.ok) await http.fail(operation, res);
      const answer = (await res.json()) as Record<string, unknown>;
      const runs = answer[kind === 'action' ? 'runs' : 'nodeRuns'];
      if (!Array.isArray(runs))
        throw new AgentError('port', `Port's ${claimRoute(kind)} answered without "${kind === 'action' ? 'runs' : 'nodeRuns'}"`, {
          retriable: true,
        });
      const held = cutClaimAnswer(runs, req.limit);
      if (held.length < runs.length) deps.onExcess?.(kind, req.limit, runs.length);
      return held;
    },
    async ack(kind, runId) {
      const operation = kind === 'action' ? 'ack_run' : 'ack_node_run';
      const body = kind === 'action' ? { runId } : { nodeRunIdentifier: runId };
      const res = await http.call(operation, 'PATCH', kind === 'action' ? routes.ackActionRun : routes.ackNodeRun, { body, headers });
      if (res.status === 409 || res.status === 404) {
        await res.text().catch(() => '');
        return 'conflict';
      }
      if (!res.ok) await http.fail(operation, res);
      await res.text().catch(() => '');
      return 'acked';
    },
    async listActive(kind, installationId, opts = {}) {
      const operation = kind === 'action' ? 'list_runs' : 'list_node_runs';
      const path =
        kind === 'action'
          ? `/v1/actions/runs?version=v2&active=true&limit=${LIST_LIMIT}${opts.action ? `&action=${encodeURIComponent(opts.action)}` : ''}`
          : `${routes.nodeRuns}?${new URLSearchParams({ installationId, status: 'IN_PROGRESS', include: 'nodeConfig', limit: String(LIST_LIMIT) })}`;
      const res = await http.call(operation, 'GET', path, kind === 'action' ? {} : { headers });
      if (!res.ok) await http.fail(operation, res);
      const answer = (await res.json()) as Record<string, unknown>;
      const runs = answer[kind === 'action' ? 'runs' : 'nodeRuns'];
      const all = Array.isArray(runs) ? runs : [];
      return Object.assign(
        all.filter((r) => (r as { installationId?: unknown })?.installationId === installationId),
        { truncated: all.length >= LIST_LIMIT },
      );
    },
  };
}

/**
 * The runs of a claim answer the agent holds: the first `limit`, as many as it asked for (issue
 * 23). Who could answer more: Port (a bug), or whoever answers for it (a proxy, a hostile
 * endpoint behind port.apiUrl). Held, they would go past limits.maxInflightRuns and the dispatch
 * stage's room, which the limit was computed from. What stops it: the rest is dropped here,
 * neither held nor acknowledged nor written, so Port offers each again once the claim's
 * visibility timeout passes, to whichever replica claims next; nothing is lost.
 */
export function cutClaimAnswer(runs: unknown[], limit: number): unknown[] {
  return runs.length > limit ? runs.slice(0, Math.max(0, limit)) : runs;
}

/** What a 404 or 403 from a claim route means, and what to check: stops the start with exit 2. */
export function explainClaimRefusal(
  kind: RunKind,
  status: number,
  route: string,
  installationId: string,
  header: string,
  body: string,
): string {
  const what = kind === 'action' ? 'action runs' : 'workflow-node runs';
  const setting = kind === 'action' ? 'portApi.routes.claimActionRuns' : 'portApi.routes.claimNodeRuns';
  const nodeHint =
    kind === 'workflow-node' ? ' If your organization does not use Port Workflows, set portApi.workflowNodeRuns: false.' : '';
  if (status === 403) {
    return (
      `Port refused to hand out ${what} (403 from POST ${route}: ${body || 'forbidden'}). Port serves integration runs to machine (organization) credentials only: ` +
      `use the organization's client id and secret (Port → Settings → Credentials), not a personal or service-account one, for port.clientId.${nodeHint}`
    );
  }
  return (
    `Port answered 404 to POST ${route} (${body || 'not found'}). Either installation "${installationId}" is unknown to Port (portApi.installationId; with ` +
    `portApi.integrationMode: existing it must name an installation shown in Port → Data sources), or Port moved the route or renamed its reserved header ` +
    `(${setting}, portApi.reservedHeader, now "${header}"; see docs/https-intake.md "Which Port backend?").${nodeHint}`
  );
}
