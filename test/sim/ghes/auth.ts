import type { KeyObject } from 'node:crypto';
import { looksLikeJwt, verifyAppJwt } from './jwt.js';
import type { InstallationRecord, RepoRecord, SimState } from './state.js';
import type { AuthKind, TokenAccess } from './types.js';

export type Principal =
  | { kind: 'none' }
  | { kind: 'jwt'; appId: number }
  | { kind: 'installation'; token: string; installation: InstallationRecord }
  | { kind: 'pat'; token: string; access: TokenAccess; login: string };

export type AuthResult = { ok: true; principal: Principal } | { ok: false; kind: AuthKind; message: string };

export interface AuthDeps {
  state: SimState;
  appId: number;
  publicKey: KeyObject;
  now(): number;
}

export const BAD_CREDENTIALS = 'Bad credentials';

/** Reads `Authorization: token X` / `Bearer X`; a JWT-shaped bearer is an App JWT. */
export function authenticate(header: string | undefined, deps: AuthDeps): AuthResult {
  if (!header) return { ok: true, principal: { kind: 'none' } };
  const m = /^(token|bearer)\s+(\S+)\s*$/i.exec(header);
  if (!m) return { ok: false, kind: 'none', message: BAD_CREDENTIALS };
  const token = m[2]!;
  if (looksLikeJwt(token)) {
    const r = verifyAppJwt(token, deps.publicKey, deps.appId, deps.now());
    return r.ok ? { ok: true, principal: { kind: 'jwt', appId: r.appId } } : { ok: false, kind: 'jwt', message: r.message };
  }
  const cred = deps.state.credentials.get(token);
  if (!cred) return { ok: false, kind: token.startsWith('ghs_') ? 'installation' : 'pat', message: BAD_CREDENTIALS };
  if (cred.kind === 'pat') return { ok: true, principal: { kind: 'pat', token, access: cred.access, login: cred.login } };
  const installation = deps.state.installations.get(cred.installationId);
  if (!installation || cred.expiresAtMs <= deps.now()) return { ok: false, kind: 'installation', message: BAD_CREDENTIALS };
  return { ok: true, principal: { kind: 'installation', token, installation } };
}

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export function canAccessRepo(p: Principal, repo: RepoRecord): boolean {
  const owner = repo.owner.login;
  const full = `${owner}/${repo.name}`;
  if (p.kind === 'pat') {
    const a = p.access;
    return a.all === true || (a.orgs ?? []).some((o) => eq(o, owner)) || (a.repos ?? []).some((r) => eq(r, full));
  }
  if (p.kind === 'installation') {
    const i = p.installation;
    if (!eq(i.account.login, owner)) return false;
    return i.repositories === 'all' || i.repositories.some((r) => eq(r, repo.name) || eq(r, full));
  }
  return false;
}

export function forbiddenMessage(p: Principal): string {
  return p.kind === 'pat' ? 'Resource not accessible by personal access token' : 'Resource not accessible by integration';
}
