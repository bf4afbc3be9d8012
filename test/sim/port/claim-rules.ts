// Pure decisions of Port's claim protocol for integration runs, as Ocean and port-agent speak it
// (port-integration-actions.md): claim-pending hands out up to `limit` runs of one installation
// and hides them from other claims for `visibilityTimeoutMs`; ack confirms a run for good (it is
// never handed out again); a second ack answers 409. Both kinds of runs follow the same rules;
// only their bodies differ.
import type { Checked } from './run-rules.js';
import type { SimPortRun } from './types.js';

export interface ClaimRequest {
  installationId: string;
  limit: number;
  visibilityTimeoutMs: number;
  /** Action identifiers (action runs) or node uids (workflow-node runs) not to hand out. */
  exclude: string[];
}

const refuse = (message: string, status = 422, error = 'invalid_request') => ({ ok: false as const, status, error, message });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The claim body. Ocean sends installationId, limit, visibilityTimeoutMs and optional exclude
 * (ocean port_ocean/clients/port/mixins/actions.py, workflow_nodes.py); port-agent also sends
 * `invocationMethod` (app/port_client.py). Ocean bounds visibilityTimeoutMs to 1..600000 and its
 * buffer (the claim limit) to 1..1000, "aligned with Port's claim-pending limit"
 * (port_ocean/config/settings.py); INFERRED: Port refuses values outside those bounds.
 */
export function checkClaimBody(body: unknown): Checked<ClaimRequest> {
  if (!isObject(body)) return refuse('body must be an object');
  const extra = Object.keys(body).find(
    (k) => !['installationId', 'limit', 'visibilityTimeoutMs', 'exclude', 'invocationMethod'].includes(k),
  );
  if (extra) return refuse(`body/${extra} is not allowed: body must NOT have additional properties`);
  if (typeof body.installationId !== 'string' || body.installationId === '')
    return refuse("body must have required property 'installationId'");
  if (!Number.isInteger(body.limit) || (body.limit as number) < 1 || (body.limit as number) > 1000)
    return refuse('body/limit must be an integer within 1..1000');
  const v = body.visibilityTimeoutMs ?? 60_000;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 600_000)
    return refuse('body/visibilityTimeoutMs must be an integer within 1..600000');
  const exclude = body.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((e) => typeof e !== 'string')) return refuse('body/exclude must be an array of strings');
  return {
    ok: true,
    value: {
      installationId: body.installationId,
      limit: body.limit as number,
      visibilityTimeoutMs: v as number,
      exclude: exclude as string[],
    },
  };
}

/** The key a claim's `exclude` names: the action identifier of an action run, the node uid of a node run. */
export function excludeKey(run: SimPortRun): string {
  return run.kind === 'workflow-node' ? (run.nodeUid ?? run.id) : run.actionIdentifier;
}

/** Runs a claim may hand out now: pending, of this installation and kind, not claimed by someone else, not excluded; oldest first. */
export function claimable(runs: SimPortRun[], kind: SimPortRun['kind'], req: ClaimRequest, now: number): SimPortRun[] {
  return runs
    .filter((r) => r.kind === kind && r.status === 'IN_PROGRESS' && r.installationId === req.installationId && r.pendingExecution === true)
    .filter((r) => (r.claimedUntil ?? 0) <= now && !req.exclude.includes(excludeKey(r)))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .slice(0, req.limit);
}

export function applyClaim(run: SimPortRun, now: number, visibilityTimeoutMs: number): void {
  run.claimedUntil = now + visibilityTimeoutMs;
  run.claims = (run.claims ?? 0) + 1;
}

/**
 * The run ids of an ack body: Ocean sends {"runId"} for action runs and {"nodeRunIdentifier"}
 * for node runs; port-agent sends {"runIds": […]} for action runs (answered {"ackedCount"}).
 */
export function checkAckBody(body: unknown, kind: SimPortRun['kind']): Checked<{ ids: string[]; batch: boolean }> {
  if (!isObject(body)) return refuse('body must be an object');
  if (kind === 'workflow-node') {
    if (typeof body.nodeRunIdentifier !== 'string') return refuse("body must have required property 'nodeRunIdentifier'");
    return { ok: true, value: { ids: [body.nodeRunIdentifier], batch: false } };
  }
  if (typeof body.runId === 'string') return { ok: true, value: { ids: [body.runId], batch: false } };
  if (Array.isArray(body.runIds) && body.runIds.every((x) => typeof x === 'string'))
    return { ok: true, value: { ids: body.runIds, batch: true } };
  return refuse("body must have required property 'runId'");
}

/** Acknowledges a run once; a second acknowledgement is a conflict (409: another worker has it). */
export function applyAck(run: SimPortRun, at: string): 'acked' | 'conflict' {
  if (run.pendingExecution !== true) return 'conflict';
  run.pendingExecution = false;
  run.acks = (run.acks ?? 0) + 1;
  run.updatedAt = at;
  return 'acked';
}
