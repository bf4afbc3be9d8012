import type { RunRequest } from '../types/run-request.js';
import type { RunKind } from './claim-api.js';
import { type ActionRequest, OCEAN_ACTION_TYPES } from '../types/run-request.js';
import { MAX_DEPTH, OWNER, REPO, decodeGithubInvocation, deeperThan } from './decode-message.js';
import { nodeRunRecord } from './node-runs.js';
import type { PortRun } from '../types/port-run.js';

export type ClaimedRun =
  /** A dispatch_workflow run to hand to the processor, with Port's record of it (the claim answer is the run record). */
  | { kind: 'run'; run: RunRequest; record: PortRun | undefined; fairnessKey: string; createdAtMs: number }
  /** Ours, but unusable: acknowledge it and report FAILURE with the reason (Ocean fails runs it has no executor for). */
  | { kind: 'refuse'; runId: string; reason: string; fairnessKey: string; outcome: 'invalid' | 'unsupported' }
  /** Not even an id to acknowledge: logged and counted, left to Port. */
  | { kind: 'ignore'; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ACTION_ID = /^r_[A-Za-z0-9_-]{1,128}$/;
const NODE_ID = /^wfnr_[A-Za-z0-9_-]{1,128}$/;
/** Ocean's GitHub workflow executor's ACTION_NAME: decoded here as a GITHUB invocation; the other types' properties by their executors. */
export const DISPATCH_WORKFLOW = 'dispatch_workflow';

/**
 * Decodes one run handed out by a claim. Action runs are run records whose `payload` is the
 * invocation method: {type: INTEGRATION_ACTION, installationId, integrationActionType,
 * integrationActionExecutionProperties: {org, repo, workflow, workflowInputs,
 * reportWorkflowStatus}} (port-docs templates/_backend-types-json.md; ocean core/models.py
 * ActionRun). Node runs carry the same properties in `config` (claims) or `node.config`
 * (look-ups with include=nodeConfig), with `integrationInvocationType` (ocean
 * WorkflowIntegrationActionConfig). Defensive like the Kafka decoder: nothing here throws.
 */
export function decodeClaimedRun(raw: unknown, kind: RunKind): ClaimedRun {
  if (!isObject(raw)) return { kind: 'ignore', reason: 'claimed run is not a JSON object' };
  const id = kind === 'action' ? raw.id : raw.identifier;
  if (typeof id !== 'string' || !(kind === 'action' ? ACTION_ID : NODE_ID).test(id)) {
    return { kind: 'ignore', reason: `claimed ${kind === 'action' ? 'run has no id r_…' : 'node run has no identifier wfnr_…'}` };
  }
  let method: Record<string, unknown> | undefined;
  let actionType: unknown;
  let fairnessKey: string;
  let record: PortRun | undefined;
  if (kind === 'action') {
    method = isObject(raw.payload) ? raw.payload : undefined;
    actionType = method?.integrationActionType;
    fairnessKey = isObject(raw.action) && typeof raw.action.identifier === 'string' ? raw.action.identifier : id;
    record = {
      id,
      status: typeof raw.status === 'string' ? raw.status : 'IN_PROGRESS',
      statusLabel: typeof raw.statusLabel === 'string' ? raw.statusLabel : null,
      link: typeof raw.link === 'string' || Array.isArray(raw.link) ? (raw.link as string | string[]) : null,
      externalRunId: typeof raw.externalRunId === 'string' ? raw.externalRunId : null,
      updatedAt: typeof raw.updatedAt === 'string' ? raw.updatedAt : undefined,
      createdAt: typeof raw.createdAt === 'string' ? raw.createdAt : undefined,
      installationId: typeof raw.installationId === 'string' ? raw.installationId : undefined,
      pendingExecution: typeof raw.pendingExecution === 'boolean' ? raw.pendingExecution : undefined,
    };
  } else {
    method = isObject(raw.config) ? raw.config : isObject(raw.node) && isObject(raw.node.config) ? raw.node.config : undefined;
    actionType = method?.integrationInvocationType;
    fairnessKey = typeof raw.nodeUid === 'string' ? raw.nodeUid : id;
    record = nodeRunRecord(raw);
  }
  const refuse = (reason: string, outcome: 'invalid' | 'unsupported' = 'invalid'): ClaimedRun => ({
    kind: 'refuse',
    runId: id,
    reason,
    fairnessKey,
    outcome,
  });
  if (!method) return refuse(kind === 'action' ? 'run has no payload (invocation method)' : 'node run has no config');
  if (method.type !== 'INTEGRATION_ACTION') return refuse(`invocation type ${JSON.stringify(method.type)} is not INTEGRATION_ACTION`);
  if (typeof actionType !== 'string' || !OCEAN_ACTION_TYPES.includes(actionType)) {
    return refuse(
      `ghes-agent executes Port's GitHub Ocean action types (${OCEAN_ACTION_TYPES.join(', ')}); this ${kind === 'action' ? 'action' : 'node'} asks for ${JSON.stringify(actionType)}, which no executor here handles`,
      'unsupported',
    );
  }
  const props = method.integrationActionExecutionProperties;
  if (!isObject(props)) return refuse('integrationActionExecutionProperties is missing');
  if (deeperThan(props, MAX_DEPTH)) return refuse(`integrationActionExecutionProperties is nested deeper than ${MAX_DEPTH} levels`);
  const createdAtMs = Date.parse(record?.createdAt ?? '');
  const runRecord = typeof raw.updatedAt === 'string' ? record : undefined;
  if (actionType !== DISPATCH_WORKFLOW) {
    // Issue 24: Ocean's other types. Only the org and repo are read here (the organization
    // routing and the policy need them before anything else); the rest of the properties is
    // decoded by the type's executor (agent/actions/), which refuses what it cannot use.
    const problems = [
      ...(typeof props.org === 'string' && OWNER.test(props.org)
        ? []
        : ['integrationActionExecutionProperties.org is not a GitHub organization name']),
      ...(typeof props.repo === 'string' && REPO.test(props.repo)
        ? []
        : ['integrationActionExecutionProperties.repo is not a repository name']),
    ];
    if (problems.length) return refuse(`invalid run: ${problems.join('; ')}`);
    const action: ActionRequest = { type: actionType, props };
    return {
      kind: 'run',
      run: {
        runId: id,
        runKind: kind,
        org: props.org as string,
        repo: props.repo as string,
        workflow: '',
        workflowInputs: {},
        reportWorkflowStatus: true,
        portPayload: undefined,
        action,
      },
      record: runRecord,
      fairnessKey,
      createdAtMs: Number.isFinite(createdAtMs) ? createdAtMs : 0,
    };
  }
  // The same fields as a GITHUB invocation on Kafka, checked by the same rules.
  const read = decodeGithubInvocation(props, 'integrationActionExecutionProperties');
  if (!read.ok) return refuse(`invalid run: ${read.problems.join('; ')}`);
  return {
    kind: 'run',
    run: { runId: id, runKind: kind, ...read.value, portPayload: undefined },
    // INFERRED: a claim answer is the whole run record (port-agent's claimed runs carry the
    // record's own fields). Only one that shows it (an updatedAt) stands in for a read of the
    // run; otherwise the processor reads the run before deciding whether it was dispatched.
    record: runRecord,
    fairnessKey,
    createdAtMs: Number.isFinite(createdAtMs) ? createdAtMs : 0,
  };
}
