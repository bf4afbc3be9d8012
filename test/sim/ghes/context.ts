import type { KeyObject } from 'node:crypto';
import type { Principal } from './auth.js';
import type { SimClock } from './clock.js';
import type { ApiResponse } from './router.js';
import type { AppInfo, ShapeCtx } from './shapes.js';
import type { Account, RepoRecord, SimState } from './state.js';
import type { DispatchRecord } from './types.js';
import { canAccessRepo, forbiddenMessage } from './auth.js';
import { docsBase } from './version.js';

/** Everything the route handlers share; built once per simulator instance. */
export interface SimContext {
  state: SimState;
  clock: SimClock;
  /** Filled in once the server listens and its port is known. */
  shape: ShapeCtx;
  app: AppInfo & { publicKey: KeyObject; privateKeyPem: string };
  /** Changeable at run time (GhesSim.setRunTiming). */
  runAppearDelayMs: number;
  listLagMs: number;
  pollIntervalS: number;
  searchCap: number;
  /** How long a new issue or pull request stays out of search results (GitHub indexes asynchronously). */
  searchLagMs: number;
  tokenTtlMs: number;
  dispatchListeners: Set<(d: DispatchRecord) => void>;
}

export function fail(ctx: SimContext, status: number, message: string, headers?: Record<string, string>): ApiResponse {
  // GitHub's newer error bodies also carry the status as a string; basic-error declares
  // it, validation-error (422) does not, so 422 bodies leave it out.
  const body: Record<string, unknown> = { message, documentation_url: docsBase(ctx.state.version) };
  if (status !== 422) body.status = String(status);
  return { status, body, headers };
}

export const notFound = (ctx: SimContext): ApiResponse => fail(ctx, 404, 'Not Found');

/** Looks a repository up and checks the caller may see it: 404, then 403. */
export function repoFor(ctx: SimContext, p: Principal, owner: string, name: string): { repo: RepoRecord } | { res: ApiResponse } {
  const repo = ctx.state.findRepo(owner, name);
  if (!repo) return { res: notFound(ctx) };
  if (!canAccessRepo(p, repo)) return { res: fail(ctx, 403, forbiddenMessage(p)) };
  return { repo };
}

/** The user a run is attributed to: the App's bot for installation tokens, else the PAT owner. */
export function actorFor(ctx: SimContext, p: Principal): Account | null {
  if (p.kind === 'installation') return ctx.state.account(`${ctx.app.slug}[bot]`, 'Bot');
  if (p.kind === 'pat') return ctx.state.account(p.login, 'User');
  return null;
}

/** One entry of validation-error's `errors` (GitHub's OpenAPI description, "Validation Failed"). */
export interface ValidationItem {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

/** GitHub's 422 for a request that fails validation: "Validation Failed" and what failed. */
export function validationFailed(ctx: SimContext, errors: ValidationItem[]): ApiResponse {
  return { status: 422, body: { message: 'Validation Failed', errors, documentation_url: docsBase(ctx.state.version) } };
}

/**
 * Does the caller hold `permission` at `level` ('read' < 'write')? An installation installed with
 * explicit permissions holds those only (an owner may not have approved a new one); the
 * simulator's default installation holds every permission its routes need. A PAT reaching the
 * repository holds them (the simulator models classic `repo` scope).
 */
export function grants(p: Principal, permission: string, level: 'read' | 'write'): boolean {
  if (p.kind !== 'installation' || !p.installation.permissions) return p.kind === 'pat' || p.kind === 'installation';
  const held = p.installation.permissions[permission];
  return held === 'write' || (held === 'read' && level === 'read');
}

/** repoFor, then the permission: GitHub answers 403 "Resource not accessible by integration". */
export function repoWith(ctx: SimContext, p: Principal, owner: string, name: string, permission: string, level: 'read' | 'write'): { repo: RepoRecord } | { res: ApiResponse } {
  const f = repoFor(ctx, p, owner, name);
  if ('res' in f) return f;
  return grants(p, permission, level) ? f : { res: fail(ctx, 403, forbiddenMessage(p)) };
}
