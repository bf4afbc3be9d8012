import type { DecodedRun } from './run-request.js';

export type DecodeResult =
  | { kind: 'run'; run: DecodedRun }
  /** Not for this agent (another invocation type or an event we do not act on): commit and move on. */
  | { kind: 'skip'; reason: string; runId?: string }
  /** Meant for us but unusable: report FAILURE when it carries a run id. */
  | { kind: 'invalid'; reason: string; runId?: string; /** Set when a resource bound refused it (a metric label). */ limit?: 'message_bytes' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RUN_ID = /^(r|wfnr)_[A-Za-z0-9_-]{1,128}$/;
// GitHub's own rules for owner and repository names, so a bad message cannot build odd URLs.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const WORKFLOW = /^(?:\d{1,20}|[A-Za-z0-9._ -]{1,255}\.ya?ml)$/;

/**
 * Decodes one Kafka message value defensively: any JSON may arrive, and nothing here throws.
 * The envelope is the documented one (port-protocol.md); the exact schema of `.github.runs`
 * is not published, so every field is checked for its type before use.
 */
export function decodeMessage(value: Buffer | null, maxBytes: number): DecodeResult {
  if (!value || value.length === 0) return { kind: 'skip', reason: 'empty message (tombstone)' };
  // Not parsed at all: the bound exists so that an oversized message costs nothing more.
  if (value.length > maxBytes) return { kind: 'invalid', reason: `message of ${value.length} bytes exceeds kafka.maxMessageBytes (${maxBytes})`, limit: 'message_bytes' };
  let msg: unknown;
  try {
    msg = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'message is not JSON' };
  }
  if (!isObject(msg)) return { kind: 'invalid', reason: 'message is not a JSON object' };

  const context = isObject(msg.context) ? msg.context : undefined;
  const rawRunId = context?.runId;
  const runId = typeof rawRunId === 'string' && RUN_ID.test(rawRunId) ? rawRunId : undefined;
  const payload = isObject(msg.payload) ? msg.payload : undefined;
  const action = payload && isObject(payload.action) ? payload.action : undefined;
  const method = action && isObject(action.invocationMethod) ? action.invocationMethod : undefined;

  if (!method) return { kind: 'invalid', reason: 'message has no payload.action.invocationMethod', runId };
  if (method.type !== 'GITHUB') {
    return { kind: 'skip', reason: `invocation type ${show(method.type)} is not GITHUB`, runId };
  }
  if (msg.status !== undefined && msg.status !== 'TRIGGERED') {
    return { kind: 'skip', reason: `run status ${show(msg.status)} is not TRIGGERED`, runId };
  }
  // JSON.parse copes with any depth but JSON.stringify (signature check, inputs) recurses and
  // would throw a RangeError on a few thousand levels: refuse such a message here, once.
  if (deeperThan(msg, MAX_DEPTH)) return { kind: 'invalid', reason: `message is nested deeper than ${MAX_DEPTH} levels`, runId };
  if (!runId) {
    return { kind: 'invalid', reason: rawRunId === undefined ? 'message has no context.runId' : 'context.runId is not a Port run id (r_… or wfnr_…)' };
  }

  const problems: string[] = [];
  const field = (name: string, re: RegExp, what: string): string => {
    const v = method[name];
    if (typeof v === 'number' && name === 'workflow' && Number.isSafeInteger(v) && v > 0) return String(v);
    if (typeof v !== 'string' || !re.test(v)) {
      problems.push(`invocationMethod.${name} ${v === undefined ? 'is missing' : `is not ${what}`}`);
      return '';
    }
    return v;
  };
  const org = field('org', OWNER, 'a GitHub organization name');
  const repo = field('repo', REPO, 'a repository name');
  const workflow = field('workflow', WORKFLOW, 'a workflow file name (e.g. deploy.yml) or id');
  let workflowInputs: Record<string, unknown> = {};
  if (method.workflowInputs !== undefined && method.workflowInputs !== null) {
    if (isObject(method.workflowInputs)) workflowInputs = method.workflowInputs;
    else problems.push('invocationMethod.workflowInputs is not an object');
  }
  let reportWorkflowStatus = true;
  if (method.reportWorkflowStatus !== undefined) {
    if (typeof method.reportWorkflowStatus === 'boolean') reportWorkflowStatus = method.reportWorkflowStatus;
    else problems.push('invocationMethod.reportWorkflowStatus is not a boolean');
  }
  if (problems.length) return { kind: 'invalid', reason: problems.join('; '), runId };

  const headers = isObject(msg.headers) ? msg.headers : undefined;
  const sig = headers?.['X-Port-Signature'];
  const ts = headers?.['X-Port-Timestamp'];
  const signature =
    typeof sig === 'string' && (typeof ts === 'string' || typeof ts === 'number') ? { value: sig, timestamp: String(ts) } : undefined;

  return {
    kind: 'run',
    run: {
      runId,
      runKind: runId.startsWith('wfnr_') ? 'workflow-node' : 'action',
      org,
      repo,
      workflow,
      workflowInputs,
      reportWorkflowStatus,
      portPayload: method.omitPayload === false ? legacyPayload(msg, method.omitUserInputs === true) : undefined,
      signature,
      message: msg,
    },
  };
}

/** A scalar as JSON, anything else by its kind: stringifying an attacker's nested value could throw. */
function show(v: unknown): string {
  if (v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v)) return String(JSON.stringify(v)).slice(0, 100);
  return Array.isArray(v) ? 'a list' : `an ${typeof v}`;
}

/** Far more than Port's envelope and any sensible entity need. */
export const MAX_DEPTH = 64;

/** Iterative, so the check itself cannot overflow the stack. */
function deeperThan(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** The legacy `port_payload` input: the message without its signature headers. */
function legacyPayload(msg: Record<string, unknown>, omitUserInputs: boolean): string {
  const { headers: _headers, ...rest } = msg;
  if (omitUserInputs && isObject(rest.payload)) {
    const { properties: _p, ...payload } = rest.payload;
    return JSON.stringify({ ...rest, payload });
  }
  return JSON.stringify(rest);
}
