/**
 * One preflight check: a name, the part of the agent it belongs to (a disabled part skips its
 * checks), the checks whose success it needs, and a function that says pass or fail with what
 * to fix. Checks share what they learnt through the context's `facts`, so each asks its
 * dependency once.
 */
export type Part = 'github' | 'port' | 'kafka' | 'port-api';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckOutcome {
  status: CheckStatus;
  /** What was found, in a sentence. */
  message: string;
  /** For a failure: what to change, naming the setting. */
  fix?: string;
}

export interface Check<C> {
  id: string;
  part: Part;
  /** Ids of checks that must have passed first; otherwise this one is skipped. */
  needs?: string[];
  /** A check that needs no request (it reads facts gathered before) answers at once. */
  run(ctx: C): CheckOutcome | Promise<CheckOutcome>;
}

export const pass = (message: string): CheckOutcome => ({ status: 'pass', message });
export const fail = (message: string, fix?: string): CheckOutcome => ({ status: 'fail', message, fix });
