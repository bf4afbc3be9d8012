import { createPublicKey, verify, type KeyObject } from 'node:crypto';

// Messages are GitHub's own: @octokit/auth-app recognises the two clock-related ones
// and corrects its clock skew from the response's Date header before retrying.
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
  iatFuture: "'Issued at' claim ('iat') must be an Integer representing a time in the past",
  issuer: "'Issuer' claim ('iss') must be an Integer",
  unknownApp: 'Integration not found',
} as const;

const SKEW_S = 60;
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
  if (typeof iat !== 'number' || iat > now + SKEW_S) return { ok: false, message: JWT_MESSAGES.iatFuture };
  if (typeof exp !== 'number' || exp <= now - SKEW_S) return { ok: false, message: JWT_MESSAGES.expired };
  if (exp - iat > MAX_LIFETIME_S || exp > now + MAX_LIFETIME_S + SKEW_S) return { ok: false, message: JWT_MESSAGES.tooFar };
  return { ok: true, appId: iss };
}
