import type { RunRequest } from '../types/run-request.js';

/**
 * The names (never the values) of a refused message's keys, for its log line: Port has not
 * published the `.github.runs` schema, so the first real message that does not fit must be
 * diagnosable from the log alone.
 */
export interface MessageKeys {
  messageKeys: string[];
  payloadKeys?: string[];
  invocationMethodKeys?: string[];
}

/** A run as decoded from a Kafka message, with what its signature check needs; only the RunRequest outlives that check. */
export interface DecodedRun extends RunRequest {
  signature: { value: string; timestamp: string } | undefined;
  /** The parsed message, for signature verification. */
  message: Record<string, unknown>;
}

export type DecodeResult =
  | { kind: 'run'; run: DecodedRun }
  /** Not for this agent (another invocation type or an event we do not act on): commit and move on. */
  | { kind: 'skip'; reason: string; runId?: string; keys?: MessageKeys }
  /** Meant for us but unusable: report FAILURE when it carries a run id. */
  | {
      kind: 'invalid';
      reason: string;
      runId?: string;
      keys?: MessageKeys;
      /** Set when a resource bound refused it (a metric label). */ limit?: 'message_bytes';
    };

/** The GITHUB invocation's own fields, validated; what every intake hands to the dispatch. */
export interface GithubInvocationFields {
  org: string;
  repo: string;
  workflow: string;
  workflowInputs: Record<string, unknown>;
  reportWorkflowStatus: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RUN_ID = /^(r|wfnr)_[A-Za-z0-9_-]{1,128}$/;
// GitHub's own rules for owner and repository names, so a bad message cannot build odd URLs.
export const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
export const REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
const WORKFLOW = /^(?:\d{1,20}|[A-Za-z0-9._ -]{1,255}\.ya?ml)$/;

/** A Kafka message value as JSON, before any of its fields is read (parseMessage). */
export type ParseResult = Extract<DecodeResult, { kind: 'skip' | 'invalid' }> | { kind: 'parsed'; msg: Record<string, unknown> };

/**
 * Decodes one Kafka message value defensively: any JSON may arrive, and nothing here throws.
 * The envelope is the documented one (port-protocol.md); the exact schema of `.github.runs`
 * is not published, so every field is checked for its type before use.
 */
export function decodeMessage(value: Buffer | null, maxBytes: number): DecodeResult {
  const parsed = parseMessage(value, maxBytes);
  return parsed.kind === 'parsed' ? decodeParsedMessage(parsed.msg) : parsed;
}

/**
 * The first step of decoding, and all that is done before the signature check: bound, parse,
 * and require a JSON object. No field is read (issue 23: only a verified message is decoded).
 */
export function parseMessage(value: Buffer | null, maxBytes: number): ParseResult {
  if (!value || value.length === 0) return { kind: 'skip', reason: 'empty message (tombstone)' };
  // Not parsed at all: the bound exists so that an oversized message costs nothing more.
  if (value.length > maxBytes)
    return {
      kind: 'invalid',
      reason: `message of ${value.length} bytes exceeds kafka.maxMessageBytes (${maxBytes})`,
      limit: 'message_bytes',
    };
  let msg: unknown;
  try {
    msg = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'invalid', reason: 'message is not JSON' };
  }
  if (!isObject(msg)) return { kind: 'invalid', reason: 'message is not a JSON object' };
  return { kind: 'parsed', msg };
}

/** X-Port-Signature and X-Port-Timestamp of a parsed message (port-protocol.md), when both are there. */
export function signatureOf(msg: Record<string, unknown>): { value: string; timestamp: string } | undefined {
  const headers = isObject(msg.headers) ? msg.headers : undefined;
  const sig = headers?.['X-Port-Signature'];
  const ts = headers?.['X-Port-Timestamp'];
  return typeof sig === 'string' && (typeof ts === 'string' || typeof ts === 'number') ? { value: sig, timestamp: String(ts) } : undefined;
}

/**
 * The Port run id a message claims to be about, read without trusting anything else in it: for
 * log lines of messages refused before decoding (a signature that does not hold), never to
 * write to the run.
 */
export function claimedRunId(msg: Record<string, unknown>): string | undefined {
  const runId = isObject(msg.context) ? msg.context.runId : undefined;
  return typeof runId === 'string' && RUN_ID.test(runId) ? runId : undefined;
}

/** The fields of a parsed message (parseMessage), once its signature was checked. Nothing here throws. */
export function decodeParsedMessage(msg: Record<string, unknown>): DecodeResult {
  const keys = messageKeys(msg);

  const context = isObject(msg.context) ? msg.context : undefined;
  const rawRunId = context?.runId;
  const runId = typeof rawRunId === 'string' && RUN_ID.test(rawRunId) ? rawRunId : undefined;
  const payload = isObject(msg.payload) ? msg.payload : undefined;
  const action = payload && isObject(payload.action) ? payload.action : undefined;
  const method = action && isObject(action.invocationMethod) ? action.invocationMethod : undefined;

  if (!method) return { kind: 'invalid', reason: 'message has no payload.action.invocationMethod', runId, keys };
  if (method.type !== 'GITHUB') {
    return { kind: 'skip', reason: `invocation type ${show(method.type)} is not GITHUB`, runId, keys };
  }
  if (msg.status !== undefined && msg.status !== 'TRIGGERED') {
    return { kind: 'skip', reason: `run status ${show(msg.status)} is not TRIGGERED`, runId, keys };
  }
  // JSON.parse copes with any depth but JSON.stringify (signature check, inputs) recurses and
  // would throw a RangeError on a few thousand levels: refuse such a message here, once.
  if (deeperThan(msg, MAX_DEPTH)) return { kind: 'invalid', reason: `message is nested deeper than ${MAX_DEPTH} levels`, runId, keys };
  if (!runId) {
    return {
      kind: 'invalid',
      reason: rawRunId === undefined ? 'message has no context.runId' : 'context.runId is not a Port run id (r_… or wfnr_…)',
      keys,
    };
  }

  const fields = decodeGithubInvocation(method, 'invocationMethod');
  const legacy = legacyInputs(msg, method, payload);
  const problems = [...(fields.ok ? [] : fields.problems), ...(legacy.ok ? [] : legacy.problems)];
  if (!fields.ok || !legacy.ok) return { kind: 'invalid', reason: problems.join('; '), runId, keys };

  const signature = signatureOf(msg);

  return {
    kind: 'run',
    run: {
      runId,
      runKind: runId.startsWith('wfnr_') ? 'workflow-node' : 'action',
      ...fields.value,
      // The action's own workflowInputs win over v1's user inputs of the same name.
      workflowInputs: { ...legacy.userInputs, ...fields.value.workflowInputs },
      portPayload: legacy.portPayload,
      signature,
      message: msg,
    },
  };
}

/**
 * Validates the fields of a GITHUB invocation, wherever it came from: `invocationMethod` of a
 * Kafka message, or another intake's equivalent object (`where` names it in the problems).
 * Pure and total: every problem is named, nothing throws.
 */
export function decodeGithubInvocation(
  method: Record<string, unknown>,
  where: string,
): { ok: true; value: GithubInvocationFields } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const field = (name: string, re: RegExp, what: string): string => {
    const v = method[name];
    if (typeof v === 'number' && name === 'workflow' && Number.isSafeInteger(v) && v > 0) return String(v);
    if (typeof v !== 'string' || !re.test(v)) {
      problems.push(`${where}.${name} ${v === undefined ? 'is missing' : `is not ${what}`}`);
      return '';
    }
    return v;
  };
  const org = field('org', OWNER, 'a GitHub organization name');
  // `.` and `..` match GitHub's characters but are no names: URL normalisation would collapse
  // them (`/repos/acme/..` is `/repos`), so a request would reach another route than the one
  // the policy decided on. OWNER admits no dot at all.
  const repo = field('repo', REPO, 'a repository name');
  const workflow = field('workflow', WORKFLOW, 'a workflow file name (e.g. deploy.yml) or id');
  let workflowInputs: Record<string, unknown> = {};
  if (method.workflowInputs !== undefined && method.workflowInputs !== null) {
    if (isObject(method.workflowInputs)) workflowInputs = method.workflowInputs;
    else problems.push(`${where}.workflowInputs is not an object`);
  }
  // Port's action schema lets reportWorkflowStatus be a string (a jq template renders to one).
  const reportWorkflowStatus = flag(method.reportWorkflowStatus, true);
  if (reportWorkflowStatus === undefined) problems.push(`${where}.reportWorkflowStatus is not a boolean (true, false, "true" or "false")`);
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { org, repo, workflow, workflowInputs, reportWorkflowStatus: reportWorkflowStatus! } };
}

/** A boolean, or the strings "true"/"false" (any case, trimmed); absent gives the default; anything else undefined. */
function flag(v: unknown, dflt: boolean): boolean | undefined {
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}

/**
 * Port's v1 actions (the old `/blueprints/{id}/actions` routes) had two GITHUB invocation
 * flags that v2 replaced by `workflowInputs` (port-docs `migrate-actions-api-usage.md`, 2024):
 * - `omitPayload` (default false): when false, a `port_payload` input holds the action
 *   message as JSON;
 * - `omitUserInputs` (default false): when false, the action's user inputs
 *   (`payload.properties`) are sent as separate workflow inputs; when true they are only in
 *   `port_payload` (unless omitted too).
 * (port-docs `self-service-actions-deep-dive.md` as of 2023-2024, invocation method fields.)
 * A message carrying either key is a v1 action and gets those defaults; a v2 action carries
 * neither and is left exactly as its `workflowInputs` say.
 */
function legacyInputs(
  msg: Record<string, unknown>,
  method: Record<string, unknown>,
  payload: Record<string, unknown> | undefined,
): { ok: true; userInputs: Record<string, unknown>; portPayload: string | undefined } | { ok: false; problems: string[] } {
  if (!('omitPayload' in method) && !('omitUserInputs' in method)) return { ok: true, userInputs: {}, portPayload: undefined };
  // null as "not set": Port's old API stored unset flags as null.
  const omitPayload = flag(method.omitPayload ?? undefined, false);
  const omitUserInputs = flag(method.omitUserInputs ?? undefined, false);
  const problems: string[] = [];
  if (omitPayload === undefined) problems.push('invocationMethod.omitPayload is not a boolean');
  if (omitUserInputs === undefined) problems.push('invocationMethod.omitUserInputs is not a boolean');
  if (problems.length) return { ok: false, problems };
  const properties = payload && isObject(payload.properties) ? payload.properties : {};
  return {
    ok: true,
    userInputs: omitUserInputs ? {} : properties,
    portPayload: omitPayload ? undefined : legacyPayload(msg),
  };
}

/** The legacy `port_payload` input: the action message, without its signature headers. */
function legacyPayload(msg: Record<string, unknown>): string {
  const { headers: _headers, ...rest } = msg;
  return JSON.stringify(rest);
}

/** Names only, at most 40 of them, each cut to 64 characters: a key is data the sender chose. */
export function messageKeys(msg: Record<string, unknown>): MessageKeys {
  const names = (o: Record<string, unknown>) =>
    Object.keys(o)
      .slice(0, 40)
      .map((k) => k.slice(0, 64));
  const payload = isObject(msg.payload) ? msg.payload : undefined;
  const action = payload && isObject(payload.action) ? payload.action : undefined;
  const method = action && isObject(action.invocationMethod) ? action.invocationMethod : undefined;
  return {
    messageKeys: names(msg),
    ...(payload ? { payloadKeys: names(payload) } : {}),
    ...(method ? { invocationMethodKeys: names(method) } : {}),
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
export function deeperThan(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
