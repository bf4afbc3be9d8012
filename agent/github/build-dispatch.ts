import { AgentError } from '../errors.js';
import type { RunRequest } from '../types/run-request.js';

export interface DispatchRequest {
  ref: string;
  inputs: Record<string, string>;
  /** The input the agent added with the Port run id (dropped again if the workflow refuses it). */
  runIdInput: string | undefined;
}

/** GitHub's documented limits: inputs are strings on the wire, 65,535 characters in all. */
export const MAX_INPUTS_PAYLOAD = 65_535;

/** 10 inputs up to GHES 3.20, 25 from 3.21 (GitHub's OpenAPI descriptions). */
export function maxInputsFor(version: [number, number]): number {
  return version[0] > 3 || (version[0] === 3 && version[1] >= 21) ? 25 : 10;
}

/**
 * Builds the dispatch body from Port's workflowInputs, pure: `ref` is taken out (default: the
 * repository's default branch), non-strings are JSON-stringified as Port's own integration
 * does, and GitHub's limits are checked here so the user gets a message that says what to
 * change instead of a bare 422.
 */
export function buildDispatch(run: RunRequest, opts: { defaultBranch: string; maxInputs: number; runIdInput: string }): DispatchRequest {
  const { ref: rawRef, ...rest } = run.workflowInputs;
  let ref = opts.defaultBranch;
  if (rawRef !== undefined && rawRef !== null && rawRef !== '') {
    if (typeof rawRef !== 'string' || /\s|\.\.|[~^:?*[\\]/.test(rawRef)) {
      throw new AgentError(
        'inputs',
        `workflowInputs.ref must be a branch, tag or refs/… name, got ${typeof rawRef === 'string' ? JSON.stringify(rawRef.slice(0, 100)) : `a ${Array.isArray(rawRef) ? 'list' : typeof rawRef}`}`,
      );
    }
    ref = rawRef;
  }
  // fromEntries defines keys, so an input named __proto__ is passed on, not turned into a prototype.
  const inputs: Record<string, string> = Object.fromEntries(
    Object.entries(rest)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, typeof value === 'string' ? value : stringifyInput(key, value)]),
  );
  if (run.portPayload !== undefined && inputs.port_payload === undefined) inputs.port_payload = run.portPayload;

  const userCount = Object.keys(inputs).length;
  if (userCount > opts.maxInputs) {
    throw new AgentError(
      'inputs',
      `the action sends ${userCount} workflow inputs but this GitHub Enterprise Server accepts at most ${opts.maxInputs}. ` +
        `Combine inputs into one JSON input (for example port_context) or remove some in the action's workflowInputs.`,
    );
  }
  let runIdInput: string | undefined;
  // The run id input lets a workflow's run-name show it; it is an aid, never a reason to fail.
  if (opts.runIdInput && inputs[opts.runIdInput] === undefined && userCount < opts.maxInputs) {
    inputs[opts.runIdInput] = run.runId;
    runIdInput = opts.runIdInput;
  }
  const size = payloadSize(inputs);
  if (size > MAX_INPUTS_PAYLOAD) {
    const biggest = Object.entries(inputs).sort((a, b) => b[1].length - a[1].length)[0]!;
    throw new AgentError(
      'inputs',
      `the workflow inputs total ${size} characters, over GitHub's limit of ${MAX_INPUTS_PAYLOAD}; the largest is "${biggest[0]}" (${biggest[1].length} characters). ` +
        `Send less data (for example an entity identifier instead of the whole entity).`,
    );
  }
  return { ref, inputs, runIdInput };
}

/** Non-string inputs become JSON, as Port's own integration sends them; what JSON cannot hold is the user's to fix. */
function stringifyInput(key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new AgentError(
      'inputs',
      `workflow input "${key.slice(0, 100)}" cannot be sent as JSON (${(err as Error).message}); send a flatter value`,
    );
  }
  // undefined for functions and symbols, which JSON from Kafka never holds; refused rather than sent as nothing.
  if (text === undefined) throw new AgentError('inputs', `workflow input "${key.slice(0, 100)}" has no JSON form`);
  return text;
}

export function payloadSize(inputs: Record<string, string>): number {
  return JSON.stringify(inputs).length;
}
