import type { Logger } from '../observability/logger.js';
import type { Gh, Installation } from './gh.js';

/**
 * The GitHub App's installations, one client pair each, in one place: the one configured
 * (github.installationId), or one looked up per owner and cached by its lower-cased name (GitHub's
 * owner names are case-insensitive). A failed look-up is not cached: the App may be installed a
 * minute later. Built by createGithubClients (github-client.ts), which knows how to make a client
 * (`make`) and how to look an owner's installation up (`lookup`).
 */
export class AppInstallations {
  private fixed: Installation | undefined;
  private readonly byOwner = new Map<string, Promise<Installation>>();

  constructor(
    private readonly deps: {
      make: (id: number) => Installation;
      lookup: (owner: string) => Promise<Installation>;
      log: Logger;
      fixedId?: number;
    },
  ) {
    this.fixed = deps.fixedId ? deps.make(deps.fixedId) : undefined;
  }

  installationFor(owner: string): Promise<Installation> {
    if (this.fixed) return Promise.resolve(this.fixed);
    const key = owner.toLowerCase();
    let client = this.byOwner.get(key);
    if (!client) {
      client = this.deps.lookup(owner);
      this.byOwner.set(key, client);
      // A failed lookup is not cached: the App may be installed a minute later.
      client.catch(() => this.byOwner.delete(key));
    }
    return client;
  }

  /**
   * After the App was reinstalled (a new installation id; the old id's tokens are revoked: 401,
   * and its token POST 404s) or a token was revoked early, the cached client is useless until a
   * restart. Drops it and looks the installation up again: true when the request is worth
   * repeating — a new installation, or (after a 401) a new token. A 404 with the same
   * installation is a real 404. Concurrent failures of one client share one look-up.
   */
  async renew(owner: string, failed: Gh, status: number): Promise<boolean> {
    if (this.fixed) {
      if (status !== 401 || (this.fixed.gh !== failed && this.fixed.once !== failed)) return status === 401;
      this.fixed = this.deps.make(this.fixed.id);
      return true;
    }
    const key = owner.toLowerCase();
    const current = await this.byOwner.get(key)?.catch(() => undefined);
    if (current && current.gh !== failed && current.once !== failed) return true; // renewed meanwhile
    this.byOwner.delete(key);
    const fresh = await this.installationFor(owner);
    const renewed = status === 401 || fresh.id !== current?.id;
    if (renewed)
      this.deps.log.warn(
        `GitHub App installation on ${owner}: ${fresh.id !== current?.id ? `now ${fresh.id} (was ${current?.id ?? 'unknown'}; reinstalled?)` : 'token refused (401), a new one is used'}`,
        { owner, installationId: fresh.id },
      );
    return renewed;
  }
}
