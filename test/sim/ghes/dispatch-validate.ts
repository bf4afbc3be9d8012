// Pure decision for POST .../actions/workflows/{id}/dispatches, in the order GitHub
// checks: request schema (permitted keys, inputs size), then the ref, then the
// workflow's declared inputs at that ref. Messages are GitHub's where a public source
// shows them (reference file); the ones marked SIM are this simulator's wording.
import { atLeast } from './version.js';
import type { RepoRecord, WorkflowRecord } from './state.js';

export const MAX_INPUTS_PAYLOAD = 65_535;

export type DispatchDecision =
  | {
      ok: true;
      ref: string;
      headBranch: string;
      resolvedRef: string;
      inputs: Record<string, string>;
      rawInputs: Record<string, unknown>;
      returnRunDetails: boolean;
    }
  | { ok: false; status: number; message: string };

export function maxInputs(version: string): number {
  return atLeast(version, '3.21.0') ? 25 : 10;
}

/**
 * The ref a dispatch runs on: `name` (the run's head_branch) and the fully qualified `ref`, or
 * null ("No ref found for: X"). GitHub's OpenAPI description says "The reference can be a branch
 * or tag name"; fully qualified refs/heads/… and refs/tags/… are accepted too (clients send them:
 * benc-uk/workflow-dispatch defaults to GITHUB_REF, documented as fully formed; OpenAdminOS#78
 * dispatches refs/tags/<tag>). A short name that is both a branch and a tag: GitHub does not
 * document which it runs; SIM: the tag, as git resolves it (gitrevisions: refs/tags/<name> before
 * refs/heads/<name>), the case a client that sends short names must not fall into.
 */
export function resolveRef(repo: RepoRecord, ref: string): { name: string; ref: string } | null {
  if (ref.startsWith('refs/heads/')) {
    const b = ref.slice('refs/heads/'.length);
    return repo.branches.has(b) ? { name: b, ref } : null;
  }
  if (ref.startsWith('refs/tags/')) {
    const t = ref.slice('refs/tags/'.length);
    return repo.tags.has(t) ? { name: t, ref } : null;
  }
  if (repo.tags.has(ref)) return { name: ref, ref: `refs/tags/${ref}` };
  if (repo.branches.has(ref)) return { name: ref, ref: `refs/heads/${ref}` };
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function validateDispatch(version: string, repo: RepoRecord, wf: WorkflowRecord, body: unknown): DispatchDecision {
  const fail = (status: number, message: string): DispatchDecision => ({ ok: false, status, message });
  if (!isObject(body)) return fail(400, 'Problems parsing JSON');
  const permitted = new Set(['ref', 'inputs']);
  if (atLeast(version, '3.21.0')) permitted.add('return_run_details');
  for (const k of Object.keys(body)) {
    if (!permitted.has(k)) return fail(400, `"${k}" is not a permitted key.`);
  }
  if (typeof body.ref !== 'string' || body.ref === '') return fail(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
  const rrd = body.return_run_details;
  if (rrd !== undefined && typeof rrd !== 'boolean')
    return fail(422, "Invalid request.\n\nFor 'properties/return_run_details', \"" + String(rrd) + '" is not a boolean.');
  const raw = body.inputs ?? {};
  if (!isObject(raw)) return fail(422, "Invalid request.\n\nFor 'properties/inputs', the value is not an object.");
  const max = maxInputs(version);
  const count = Object.keys(raw).length;
  // SIM wording: the limit is documented, GitHub's exact message is not.
  if (count > max) return fail(422, `Invalid request.\n\nFor 'properties/inputs', ${count} properties is more than the maximum of ${max}.`);
  if (JSON.stringify(raw).length > MAX_INPUTS_PAYLOAD) {
    return fail(422, `Invalid request.\n\nInputs payload exceeds the maximum size of ${MAX_INPUTS_PAYLOAD} characters.`);
  }

  if (wf.spec.state === 'disabled_manually') return fail(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow");
  const resolved = resolveRef(repo, body.ref);
  if (resolved === null) return fail(422, `No ref found for: ${body.ref}`);

  const declared = wf.spec.inputs ?? {};
  const unexpected = Object.keys(raw).filter((k) => !(k in declared));
  if (unexpected.length > 0) return fail(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
  const inputs: Record<string, string> = {};
  for (const [name, v] of Object.entries(raw)) {
    // SIM wording: inputs are strings on the wire (numbers/booleans tolerated).
    if (v !== null && typeof v === 'object') return fail(422, `Invalid value for input '${name}': expected a string`);
    inputs[name] = v === null ? '' : String(v);
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (inputs[name] === undefined) {
      if (spec.required && spec.default === undefined) return fail(422, `Required input '${name}' not provided`);
      if (spec.default !== undefined) inputs[name] = spec.default;
      else if (spec.type === 'boolean') inputs[name] = 'false';
    }
    const value = inputs[name];
    if (spec.type === 'choice' && value !== undefined && spec.options && !spec.options.includes(value)) {
      return fail(422, `Provided value '${value}' for input '${name}' not in the list of allowed values`);
    }
  }
  return {
    ok: true,
    ref: body.ref,
    headBranch: resolved.name,
    resolvedRef: resolved.ref,
    inputs,
    rawInputs: raw,
    returnRunDetails: rrd === true,
  };
}
