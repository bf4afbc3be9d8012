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
      const type = spec.invocation?.type;
      if (type !== 'GITHUB' && type !== 'INTEGRATION_ACTION') throw new Error('invocation.type must be GITHUB or INTEGRATION_ACTION');
      if (type === 'INTEGRATION_ACTION' && typeof spec.invocation.installationId !== 'string')
        throw new Error('an INTEGRATION_ACTION invocation needs installationId');
      const kind = spec.kind ?? (spec.runId?.startsWith('wfnr_') ? 'workflow-node' : 'action');
      const id = spec.runId ?? randomRunId(kind === 'workflow-node' ? 'wfnr_' : 'r_');
      if (runs.has(id)) throw new Error(`run ${id} already exists`);
      const at = new Date(opts.now()).toISOString();
      const actionIdentifier = spec.actionIdentifier ?? 'run_workflow';
      const run: SimPortRun = {
        id,
        kind,
        status: 'IN_PROGRESS',
        actionIdentifier,
        blueprint: spec.blueprint,
        invocation: spec.invocation,
        createdAt: at,
        updatedAt: at,
        logs: [],
        history: [],
        statusWrites: 0,
      };
      if (kind === 'workflow-node') run.nodeUid = spec.nodeUid ?? `node_${actionIdentifier}`;
      // Runs of the Ocean backend wait for their installation to claim and acknowledge them.
      if (spec.invocation.type === 'INTEGRATION_ACTION') {
        run.installationId = spec.invocation.installationId;
        run.pendingExecution = true;
        run.claims = 0;
        run.acks = 0;
      }
      runs.set(id, run);
      return run;
    },
    get: (id) => runs.get(id),
    list: () => [...runs.values()],
  };
}
