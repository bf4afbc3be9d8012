// The claim protocol of integration runs (port-integration-actions.md): POST
// /v1/actions/runs/claim-pending and PATCH /v1/actions/runs/ack for action runs, POST
// /v1/workflows/runs/claim-pending and PATCH /v1/workflows/runs/ack for workflow-node runs, each
// with the reserved header `x-port-reserved-usage: true` (ocean mixins/actions.py,
// workflow_nodes.py). Port's API reference lists the node routes with 200, 404, 409 and 500.
import { portError } from './http-io.js';
import { applyAck, applyClaim, checkAckBody, checkClaimBody, claimable } from './claim-rules.js';
import { nodeRunView } from './node-rules.js';
import type { RouteContext } from './route-context.js';
import { runView } from './run-rules.js';
import type { SimPortRun } from './types.js';

export const RESERVED_HEADER = 'x-port-reserved-usage';

const ROUTES: Record<string, { kind: SimPortRun['kind']; op: 'claim' | 'ack' }> = {
  '/v1/actions/runs/claim-pending': { kind: 'action', op: 'claim' },
  '/v1/actions/runs/ack': { kind: 'action', op: 'ack' },
  '/v1/workflows/runs/claim-pending': { kind: 'workflow-node', op: 'claim' },
  '/v1/workflows/runs/ack': { kind: 'workflow-node', op: 'ack' },
};

export function handleClaimRoutes(ctx: RouteContext): boolean {
  const spec = ROUTES[ctx.route];
  if (!spec) return false;
  if (ctx.method !== (spec.op === 'claim' ? 'POST' : 'PATCH')) return false;
  // INFERRED: the reserved routes are hidden from callers without the header (Ocean PR #2437
  // renamed it as a breaking change), and serve machine tokens only (Ocean refuses to process
  // actions with any other; port-docs setup-backend/github-ocean: "Personal tokens or service
  // account tokens are not supported").
  if (ctx.headers[RESERVED_HEADER] !== 'true') {
    ctx.reply(404, portError('not_found', `Route ${ctx.method} ${ctx.path} not found`));
    return true;
  }
  if (!ctx.isMachine) {
    ctx.reply(403, portError('forbidden', 'Integration runs can be claimed with machine (organization) credentials only'));
    return true;
  }
  if (ctx.bodyError) {
    ctx.refuse(ctx.bodyError);
    return true;
  }
  const at = new Date(ctx.now()).toISOString();

  if (spec.op === 'claim') {
    const checked = checkClaimBody(ctx.body);
    if (!checked.ok) {
      ctx.refuse(checked);
      return true;
    }
    const req = checked.value;
    if (!ctx.integrations.has(req.installationId)) {
      ctx.reply(404, portError('not_found', `Integration with installationId "${req.installationId}" was not found`));
      return true;
    }
    const now = ctx.now();
    const runs = claimable(ctx.runs.list(), spec.kind, req, now);
    for (const r of runs) applyClaim(r, now, req.visibilityTimeoutMs);
    // Claimed runs are the run records themselves (port-agent's tests: _id, id, payload,
    // pendingExecution, claimedUntil, installationId).
    if (spec.kind === 'action')
      ctx.reply(200, { ok: true, runs: runs.map((r) => runView(r, { withExternalRunId: ctx.options.servesExternalRunId })) });
    else ctx.reply(200, { ok: true, nodeRuns: runs.map((r) => nodeRunView(r)) });
    return true;
  }

  const checked = checkAckBody(ctx.body, spec.kind);
  if (!checked.ok) {
    ctx.refuse(checked);
    return true;
  }
  let acked = 0;
  for (const id of checked.value.ids) {
    const run = ctx.runs.get(id);
    if (!run || run.kind !== spec.kind || run.installationId === undefined) {
      if (!checked.value.batch) {
        ctx.reply(404, portError('not_found', `Run ${id} was not found`));
        return true;
      }
      continue;
    }
    if (applyAck(run, at) === 'conflict') {
      if (!checked.value.batch) {
        ctx.reply(409, portError('conflict', `Run ${id} was already acknowledged by another worker`));
        return true;
      }
      continue;
    }
    acked++;
  }
  if (checked.value.batch) ctx.reply(200, { ok: true, ackedCount: acked });
  else ctx.reply(200, spec.kind === 'action' ? { ok: true } : { ok: true, acked: true });
  return true;
}
