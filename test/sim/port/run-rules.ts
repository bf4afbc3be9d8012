// Pure decisions on writes to a run, as Port's API documents them. The server
// applies the outcome; keeping them pure lets tests cover them without HTTP.
import type { RunLogEntry, RunStatus, SimPortRun, TerminalStatus } from './types.js';

export interface RunPatch {
  status?: TerminalStatus;
  statusLabel?: string;
  link?: string | string[];
  summary?: string;
  externalRunId?: string;
}

export interface LogWrite {
  message: string;
  terminationStatus?: TerminalStatus;
  statusLabel?: string;
}

export interface Refusal {
  ok: false;
  status: number;
  error: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | Refusal;

const TERMINAL: readonly string[] = ['SUCCESS', 'FAILURE'];
// The description's PATCH body (port-docs static/apispec.yaml): `message` is deprecated but allowed.
const PATCH_KEYS: readonly string[] = ['status', 'statusLabel', 'link', 'message', 'summary', 'externalRunId'];
const LOG_KEYS: readonly string[] = ['message', 'terminationStatus', 'statusLabel'];

function refuse(message: string, status = 422, error = 'invalid_request'): Refusal {
  return { ok: false, status, error, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function extraKey(body: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(body).find((k) => !allowed.includes(k));
}

function optionalString(body: Record<string, unknown>, key: string): Refusal | undefined {
  const v = body[key];
  if (v !== undefined && typeof v !== 'string') return refuse(`body/${key} must be a string`);
  return undefined;
}

export function checkPatchBody(body: unknown): Checked<RunPatch> {
  if (!isObject(body)) return refuse('body must be an object');
  const extra = extraKey(body, PATCH_KEYS);
  if (extra !== undefined) return refuse(`body/${extra} is not allowed: body must NOT have additional properties`);
  if (body.status !== undefined && !TERMINAL.includes(body.status as string)) {
    return refuse(`body/status must be one of ${TERMINAL.join(', ')}`);
  }
  for (const key of ['statusLabel', 'summary', 'externalRunId']) {
    const bad = optionalString(body, key);
    if (bad) return bad;
  }
  if (body.message !== undefined && !isObject(body.message)) return refuse('body/message must be an object');
  const link = body.link;
  if (link !== undefined && typeof link !== 'string' && !(Array.isArray(link) && link.every((l) => typeof l === 'string'))) {
    return refuse('body/link must be a string or an array of strings');
  }
  return { ok: true, value: body };
}

export function checkLogBody(body: unknown): Checked<LogWrite> {
  if (!isObject(body)) return refuse('body must be an object');
  const extra = extraKey(body, LOG_KEYS);
  if (extra !== undefined) return refuse(`body/${extra} is not allowed: body must NOT have additional properties`);
  if (typeof body.message !== 'string') return refuse('body/message is required and must be a string');
  if (body.terminationStatus !== undefined && !TERMINAL.includes(body.terminationStatus as string)) {
    return refuse(`body/terminationStatus must be one of ${TERMINAL.join(', ')}`);
  }
  const bad = optionalString(body, 'statusLabel');
  if (bad) return bad;
  return { ok: true, value: body as unknown as LogWrite };
}

export function isEnded(status: RunStatus): boolean {
  return status !== 'IN_PROGRESS';
}

// A terminal status can be set once: a second attempt is the double report the
// agent must never make, so it is refused (and counted by the caller).
export function checkTerminalWrite(run: Pick<SimPortRun, 'id' | 'status'>, wants: TerminalStatus | undefined): Refusal | undefined {
  if (wants === undefined || !isEnded(run.status)) return undefined;
  return refuse(`run ${run.id} already ended with status ${run.status}; its status can be set only once`, 422, 'run_already_ended');
}

/** Every PATCH updates `updatedAt`, an empty one too (INFERRED: Port stamps the run on each write). */
export function applyPatch(run: SimPortRun, patch: RunPatch, at: string): void {
  if (patch.statusLabel !== undefined) run.statusLabel = patch.statusLabel;
  if (patch.link !== undefined) run.link = patch.link;
  if (patch.summary !== undefined) run.summary = patch.summary;
  if (patch.externalRunId !== undefined) run.externalRunId = patch.externalRunId;
  if (patch.status !== undefined) {
    run.status = patch.status;
    run.endedAt = at;
  }
  run.updatedAt = at;
}

export function applyLog(run: SimPortRun, log: LogWrite, at: string, id: string): void {
  run.logs.push({ id, message: log.message, at, terminationStatus: log.terminationStatus, statusLabel: log.statusLabel });
  if (log.terminationStatus !== undefined) {
    run.status = log.terminationStatus;
    run.endedAt = at;
  }
  if (log.statusLabel !== undefined) run.statusLabel = log.statusLabel;
  // INFERRED: log lines are records of their own (runLog has its own id); only a log that changes
  // the run (status or label) updates the run's updatedAt. The stricter reading, so the agent's
  // leases (which rely on updatedAt) are tested without help from log lines.
  if (log.terminationStatus !== undefined || log.statusLabel !== undefined) run.updatedAt = at;
}

/**
 * The run as Port's API serves it, in the description's shape (port-docs static/apispec.yaml, the
 * `run` object of GET/PATCH /v1/actions/runs/{run_id} and GET /v1/actions/runs): `statusLabel` is
 * the only nullable field, so `link`, `summary`, `endedAt`, `blueprint` and `entity` are absent
 * until they have a value; `blueprint`/`entity`/`action` are objects; `payload` is the run's
 * invocation method. `externalRunId` is not in the description (its presence is not promised):
 * `withExternalRunId: false` serves the strict shape, so the agent's link fallback is exercised.
 */
export function runView(run: SimPortRun, opts: { withExternalRunId?: boolean } = {}): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: run.id,
    status: run.status,
    statusLabel: run.statusLabel ?? null,
    source: 'UI',
    requiredApproval: false,
    action: { identifier: run.actionIdentifier, title: run.actionIdentifier, icon: null, deleted: false },
    properties: {},
    payload: run.invocation,
    createdBy: 'user_sim',
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
  if (run.blueprint !== undefined) view.blueprint = { identifier: run.blueprint, title: run.blueprint };
  if (run.link !== undefined) view.link = run.link;
  if (run.summary !== undefined) view.summary = run.summary;
  if (run.endedAt !== undefined) view.endedAt = run.endedAt;
  if (run.externalRunId !== undefined && opts.withExternalRunId !== false) view.externalRunId = run.externalRunId;
  if (run.installationId !== undefined) {
    view.installationId = run.installationId;
    view.pendingExecution = run.pendingExecution ?? true;
    if (run.claimedUntil !== undefined) view.claimedUntil = new Date(run.claimedUntil).toISOString();
  }
  return view;
}

/** A log line as the description's runLog (id, runId, message, createdBy, createdAt). */
export function runLogView(run: SimPortRun, entry: RunLogEntry): Record<string, unknown> {
  return { id: entry.id, runId: run.id, message: entry.message, createdBy: 'client_sim', createdAt: entry.at };
}
