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
}

// Tokens are opaque random strings, as Port's are to its clients: the agent must
// not be able to parse an expiry out of them, only use expiresIn.
export function createTokenStore(opts: { ttlS: number; now: () => number }): TokenStore {
  const expiries = new Map<string, number>();
  return {
    issue() {
      const accessToken = randomBytes(24).toString('base64url');
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
  };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
