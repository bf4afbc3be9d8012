import { createPublicKey, verify, type KeyObject } from 'node:crypto';

// Messages are GitHub's own, as users report them (tibdex/github-app-token#102, probot#967,
// lcobucci/jwt#582 for iat; auth-app.js#698 and actions/create-github-app-token#178 for exp):
// @octokit/auth-app recognises the three clock-related ones and, on /app routes only, retries
// with the skew measured from the response's Date header.
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
  iatFuture: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  issuer: "'Issuer' claim ('iss') must be an Integer",
  unknownApp: 'Integration not found',
} as const;

/**
 * GitHub's "Generating a JSON Web Token (JWT) for a GitHub App" (docs.github.com, every GHES
 * version): `iat` is "the time that the JWT was created" (set it 60 s in the past "to protect
 * against clock drift"), and `exp` "must be no more than 10 minutes into the future". GitHub
 * enforces both against its own clock with no leeway: a JWT whose exp lies even a second beyond
 * 10 minutes is refused (auth-app.js#698, Link-/gh-token#17), as is one issued in the future.
 * So an agent whose clock is more than 30 s ahead of the appliance's fails with auth-app's
 * defaults (iat = now - 30 s, exp = iat + 600 s).
 */
const MAX_LIFETIME_S = 600;

export type JwtResult = { ok: true; appId: number } | { ok: false; message: string };

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

function decodePart(p: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Pure apart from the crypto: verifies an App JWT (RS256) at `nowMs`. */
export function verifyAppJwt(token: string, publicKey: KeyObject | string, appId: number, nowMs: number): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, message: JWT_MESSAGES.undecodable };
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h);
  const payload = decodePart(p);
  if (!header || !payload || header.alg !== 'RS256') return { ok: false, message: JWT_MESSAGES.undecodable };
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const good = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  if (!good) return { ok: false, message: JWT_MESSAGES.undecodable };
  const iss = typeof payload.iss === 'string' ? Number(payload.iss) : payload.iss;
  if (typeof iss !== 'number' || !Number.isInteger(iss)) return { ok: false, message: JWT_MESSAGES.issuer };
  if (iss !== appId) return { ok: false, message: JWT_MESSAGES.unknownApp };
  const { iat, exp } = payload;
  const now = Math.floor(nowMs / 1000);
  // exp is checked before iat: a clock more than 30 s ahead fails both with auth-app's JWT, and
  // users report "exp is too far in the future" for it (auth-app.js#698).
  if (typeof exp !== 'number' || exp <= now) return { ok: false, message: JWT_MESSAGES.expired };
  if (exp > now + MAX_LIFETIME_S) return { ok: false, message: JWT_MESSAGES.tooFar };
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now) return { ok: false, message: JWT_MESSAGES.iatFuture };
  return { ok: true, appId: iss };
}
