import { randomBytes } from 'node:crypto';

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

export interface TokenStore {
  issue(): IssuedToken;
  /** True only for a token this store issued that has not expired yet. */
  isValid(token: string): boolean;
  /** Every token issued so far stops working (Port revoked them, e.g. a rotated secret). */
  revokeAll(): void;
  /** The `isMachine` claim of a valid token. */
  isMachine(token: string): boolean;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

// Port's tokens are JWTs, and Ocean reads their `isMachine` claim to refuse personal credentials
// for actions (ocean port_ocean/clients/port/authentication.py). The signature part is random:
// the agent must never trust a claim for its expiry (it uses expiresIn) and cannot verify one.
export function createTokenStore(opts: { ttlS: number; now: () => number; orgId?: string; isMachine?: boolean }): TokenStore {
  const expiries = new Map<string, number>();
  const machine = opts.isMachine ?? true;
  return {
    issue() {
      const iat = Math.floor(opts.now() / 1000);
      const payload = {
        orgId: opts.orgId ?? 'org_sim',
        isMachine: machine,
        iat,
        exp: iat + opts.ttlS,
        jti: randomBytes(8).toString('hex'),
      };
      const accessToken = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.${randomBytes(24).toString('base64url')}`;
      expiries.set(accessToken, opts.now() + opts.ttlS * 1000);
      return { accessToken, expiresIn: opts.ttlS };
    },
    revokeAll() {
      expiries.clear();
    },
    isValid(token) {
      const expiry = expiries.get(token);
      if (expiry === undefined) return false;
      if (opts.now() >= expiry) {
        expiries.delete(token);
        return false;
      }
      return true;
    },
    isMachine: () => machine,
  };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
