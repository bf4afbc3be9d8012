import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { request as baseRequest } from '@octokit/request';
import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, statusClass } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import type { FetchFn } from '../util/http-fetch.js';
import { Semaphore } from '../util/semaphore.js';
import { classifyGithubError } from './classify-error.js';

export type GithubAuth = { kind: 'app'; appId: string; privateKey: string; installationId: number } | { kind: 'token'; token: string };

export type Gh = InstanceType<typeof Octokit>;

export interface GithubClients {
  /** A client authenticated for this owner (the App's installation on it, or the token). */
  forOwner(owner: string): Promise<Gh>;
  /**
   * The same, without plugin-retry, for requests that must never be repeated blindly (the
   * dispatch POST). plugin-retry schedules every request through a new Bottleneck limiter whose
   * timer hops add about 4.5 ms to each call, a third of a dispatch's latency, for a request it
   * would not retry anyway.
   */
  onceForOwner(owner: string): Promise<Gh>;
  /** A client that uses the App JWT (or the token) for app-level calls such as GET /meta. */
  app: Gh;
  /** 'app' clients authenticate app-level calls with the JWT, which only /app routes accept. */
  kind: GithubAuth['kind'];
  host: string;
}

/**
 * Composes the Octokit class once: plugin-retry for quick retries of idempotent requests (429
 * is left to our own backoff, which honours retry-after), one semaphore per GHES host bounding
 * concurrency, and a hook that records every request in the metrics and the rate-limit gauge.
 * Dispatch POSTs are sent with `retries: 0`: a blind retry could start a second run.
 */
export function createGithubClients(deps: {
  apiUrl: string;
  auth: GithubAuth;
  fetch: FetchFn;
  maxConcurrency: number;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}): GithubClients {
  const host = new URL(deps.apiUrl).host;
  const limiter = new Semaphore(deps.maxConcurrency);
  const log = deps.logger.child({ component: 'github' });
  const octokitLog = {
    debug: (m: string) => log.debug(m),
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string) => log.error(m),
  };
  const base = { baseUrl: deps.apiUrl, userAgent: 'ghes-agent', request: { fetch: deps.fetch }, log: octokitLog };
  const Client = Octokit.plugin(retry).defaults({ ...base, retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451], retries: 2 } });
  const OnceClient = Octokit.defaults(base);
  /** A retrying client and a plugin-retry-free one sharing its authentication (and token cache). */
  const pair = (gh: Gh) => ({ gh, once: instrument(new OnceClient({ authStrategy: () => gh.auth })) });

  function instrument(gh: Gh): Gh {
    gh.hook.wrap('request', async (request, options) => {
      const route = String(options.url).split('?')[0]!;
      const method = String(options.method);
      const start = performance.now();
      let status: number | undefined;
      let headers: Record<string, string | undefined> | undefined;
      try {
        // Installation tokens are created inside another request's hook (auth-app), while that
        // request already holds a slot: limiting them too deadlocks once every slot waits for a token.
        const res = route.endsWith('/access_tokens') ? await request(options) : await limiter.run(async () => request(options));
        status = res.status;
        headers = res.headers as Record<string, string | undefined>;
        return res;
      } catch (err) {
        status = (err as { status?: number }).status;
        headers = (err as { response?: { headers?: Record<string, string | undefined> } }).response?.headers;
        throw err;
      } finally {
        deps.metrics.githubRequests.inc({ route, method, status_class: statusClass(status) });
        deps.metrics.githubRequestDuration.observe({ route, method }, (performance.now() - start) / 1000);
        const remaining = headers?.['x-ratelimit-remaining'];
        if (remaining !== undefined) deps.metrics.githubRateLimitRemaining.set({ resource: headers?.['x-ratelimit-resource'] ?? 'core' }, Number(remaining));
      }
    });
    return gh;
  }

  const requestWithFetch = baseRequest.defaults({ baseUrl: deps.apiUrl, request: { fetch: deps.fetch }, headers: { 'user-agent': 'ghes-agent' } });

  if (deps.auth.kind === 'token') {
    const clients = pair(instrument(new Client({ auth: deps.auth.token })));
    return { forOwner: async () => clients.gh, onceForOwner: async () => clients.once, app: clients.gh, host, kind: 'token' };
  }

  const { appId, privateKey, installationId } = deps.auth;
  const app = instrument(new Client({ authStrategy: createAppAuth, auth: { appId, privateKey, request: requestWithFetch } }));
  const installations = new Map<string, Promise<{ gh: Gh; once: Gh }>>();
  const installationClient = (id: number) =>
    pair(instrument(new Client({ authStrategy: createAppAuth, auth: { appId, privateKey, installationId: id, request: requestWithFetch } })));
  const fixed = installationId ? installationClient(installationId) : undefined;

  async function lookup(owner: string): Promise<{ gh: Gh; once: Gh }> {
    try {
      const res = await app.request('GET /orgs/{org}/installation', { org: owner });
      return installationClient(res.data.id);
    } catch (err) {
      if ((err as { status?: number }).status === 404) {
        try {
          const res = await app.request('GET /users/{username}/installation', { username: owner });
          return installationClient(res.data.id);
        } catch (err2) {
          if ((err2 as { status?: number }).status === 404) {
            throw new AgentError(
              'not_found',
              `The GitHub App (id ${appId}) is not installed on "${owner}". Install it on that organization (GHES → Settings → GitHub Apps → Install) with Actions: read & write and Metadata: read.`,
              { status: 404 },
            );
          }
          throw classifyGithubError(err2, `looking up the App installation on ${owner}`, host, deps.clock.now());
        }
      }
      throw classifyGithubError(err, `looking up the App installation on ${owner}`, host, deps.clock.now());
    }
  }

  return {
    host,
    app,
    kind: 'app',
    forOwner: (owner) => installationFor(owner).then((c) => c.gh),
    onceForOwner: (owner) => installationFor(owner).then((c) => c.once),
  };

  function installationFor(owner: string): Promise<{ gh: Gh; once: Gh }> {
    if (fixed) return Promise.resolve(fixed);
    const key = owner.toLowerCase();
    let client = installations.get(key);
    if (!client) {
      client = lookup(owner);
      installations.set(key, client);
      // A failed lookup is not cached: the App may be installed a minute later.
      client.catch(() => installations.delete(key));
    }
    return client;
  }
}
