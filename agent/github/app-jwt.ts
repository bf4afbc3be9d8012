import githubAppJwt from 'universal-github-app-jwt';
import type { ClockSkew } from './clock-skew.js';

/**
 * auth-app's `createJwt` option: the App JWT made on GHES's clock (local time plus the measured
 * skew) instead of the host's, for every JWT auth-app needs — the installation-token POST
 * included, which auth-app itself never corrects. universal-github-app-jwt still backdates `iat`
 * by 30 s and sets `exp` 10 minutes after that. When auth-app passes its own `timeDifference`
 * (an /app route refused the JWT and it measured the skew from that answer) the fresher figure
 * wins.
 */
export function jwtOnServerClock(privateKey: string, skew: ClockSkew, opts: { now?: () => number; measure?: () => Promise<unknown> } = {}) {
  const now = opts.now ?? Date.now;
  let measuring: Promise<unknown> | undefined;
  return async (appId: string | number, timeDifference?: number): Promise<{ jwt: string; expiresAt: string }> => {
    // The first JWT waits for one answer from GHES (any answer has a Date header), so not even
    // the first App request is refused for the skew.
    if (!skew.measured() && opts.measure) await (measuring ??= opts.measure().catch(() => undefined));
    const offsetMs = timeDifference !== undefined ? timeDifference * 1000 : skew.offsetMs();
    const { token, expiration } = await githubAppJwt({ id: appId, privateKey, now: Math.floor((now() + offsetMs) / 1000) });
    return { jwt: token, expiresAt: new Date(expiration * 1000).toISOString() };
  };
}
