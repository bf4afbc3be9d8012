import { randomBytes } from 'node:crypto';
import type { CreateRunSpec, SimPortRun } from './types.js';

export interface RunStore {
  create(spec: CreateRunSpec): SimPortRun;
  get(id: string): SimPortRun | undefined;
  list(): SimPortRun[];
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Port-looking ids: a prefix and 16 alphanumerics (r_jE5FhDURh4Uen2Qr). */
export function randomRunId(prefix: string): string {
  const bytes = randomBytes(16);
  let id = prefix;
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}

export function createRunStore(opts: { now: () => number }): RunStore {
  const runs = new Map<string, SimPortRun>();
  return {
    create(spec) {
      if (spec.invocation?.type !== 'GITHUB') throw new Error('invocation.type must be GITHUB');
      const id = spec.runId ?? randomRunId(spec.kind === 'workflow-node' ? 'wfnr_' : 'r_');
      if (runs.has(id)) throw new Error(`run ${id} already exists`);
      const at = new Date(opts.now()).toISOString();
      const run: SimPortRun = {
        id,
        status: 'IN_PROGRESS',
        actionIdentifier: spec.actionIdentifier ?? 'run_workflow',
        blueprint: spec.blueprint,
        invocation: spec.invocation,
        createdAt: at,
        updatedAt: at,
        logs: [],
        history: [],
        statusWrites: 0,
      };
      runs.set(id, run);
      return run;
    },
    get: (id) => runs.get(id),
    list: () => [...runs.values()],
  };
}
