/**
 * The installation-token cache handed to @octokit/auth-app (its `cache` option: get/set of
 * "token|createdAt|expiresAt|…" strings). auth-app's own keeps a token 59 minutes whatever GHES
 * said; this one keeps it until shortly before the `expires_at` GHES gave it, read on GHES's
 * clock, so renewal follows the server (a token lifetime other than an hour, a skewed clock).
 */
export function createTokenCache(opts: { serverNow: () => number; maxEntries?: number }) {
  const entries = new Map<string, { value: string; renewAtMs: number }>();
  const max = opts.maxEntries ?? 1000;
  return {
    get(key: string): string | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (opts.serverNow() >= e.renewAtMs) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    /** Called by auth-app right after GHES created the token. */
    set(key: string, value: string): void {
      const expiresMs = Date.parse(value.split('|')[2] ?? '');
      const now = opts.serverNow();
      const lifetimeMs = Number.isFinite(expiresMs) ? expiresMs - now : FALLBACK_LIFETIME_MS;
      const renewAtMs = now + lifetimeMs - Math.min(RENEW_BEFORE_MS, Math.max(0, lifetimeMs / 12));
      entries.delete(key);
      entries.set(key, { value, renewAtMs });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
  };
}

/** An hour-long token is renewed five minutes before it expires (a shorter one, a twelfth of its life before). */
const RENEW_BEFORE_MS = 5 * 60_000;
/** auth-app's own assumption when GHES gives no expiry: 59 minutes. */
const FALLBACK_LIFETIME_MS = 59 * 60_000 + RENEW_BEFORE_MS;
