import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { request as baseRequest } from '@octokit/request';
import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import type { FetchFn } from '../util/http-fetch.js';
import { Semaphore } from '../util/semaphore.js';
import { AppInstallations } from './app-installations.js';
import { jwtOnServerClock } from './app-jwt.js';
import { classifyGithubError } from './classify-error.js';
import { type ClockSkew, createClockSkew, measuringSkew } from './clock-skew.js';
import type { Gh, Installation } from './gh.js';
import { instrumentRequests } from './request-metrics.js';
import { createTokenCache } from './token-cache.js';

export type GithubAuth = { kind: 'app'; appId: string; privateKey: string; installationId: number } | { kind: 'token'; token: string };

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
  /**
   * Called when `failed` (a client from forOwner/onceForOwner) got a 401 or 404: true when a
   * new installation client now serves `owner`, so the request is worth repeating once.
   * Throws the look-up's error (e.g. the App is no longer installed there).
   */
  renew(owner: string, failed: Gh, status: number): Promise<boolean>;
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
  /** Measured from every GHES response; App JWTs are made on GHES's clock. */
  skew?: ClockSkew;
}): GithubClients {
  const host = new URL(deps.apiUrl).host;
  const skew = deps.skew ?? createClockSkew();
  const fetch = redirectsRefusedAsErrors(measuringSkew(deps.fetch, skew));
  const limiter = new Semaphore(deps.maxConcurrency);
  const log = deps.logger.child({ component: 'github' });
  const octokitLog = {
    debug: (m: string) => log.debug(m),
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string) => log.error(m),
  };
  const base = { baseUrl: deps.apiUrl, userAgent: 'ghes-agent', request: { fetch }, log: octokitLog };
  const Client = Octokit.plugin(retry).defaults({
    ...base,
    retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451], retries: 2 },
  });
  const OnceClient = Octokit.defaults(base);
  /** A retrying client and a plugin-retry-free one sharing its authentication (and token cache). */
  const pair = (gh: Gh) => ({ gh, once: instrument(new OnceClient({ authStrategy: () => gh.auth })) });

  const instrument = (gh: Gh): Gh => instrumentRequests(gh, { limiter, metrics: deps.metrics });

  const requestWithFetch = baseRequest.defaults({ baseUrl: deps.apiUrl, request: { fetch }, headers: { 'user-agent': 'ghes-agent' } });

  if (deps.auth.kind === 'token') {
    const clients = pair(instrument(new Client({ auth: deps.auth.token })));
    return {
      forOwner: () => Promise.resolve(clients.gh),
      onceForOwner: () => Promise.resolve(clients.once),
      app: clients.gh,
      host,
      kind: 'token',
      renew: () => Promise.resolve(false),
    };
  }

  const { appId, privateKey, installationId } = deps.auth;
  // Every JWT (the installation-token POST's too) on GHES's clock: see clock-skew.ts. Before the
  // first one, an unauthenticated GET /meta tells the clock (a 401 would too: every answer is dated).
  const createJwt = jwtOnServerClock(privateKey, skew, { measure: () => requestWithFetch('GET /meta') });
  const serverNow = () => Date.now() + skew.offsetMs();
  const app = instrument(new Client({ authStrategy: createAppAuth, auth: { appId, createJwt, request: requestWithFetch } }));
  // A client per installation, each with its own token cache: a fresh one after a 401 means a new token.
  const installationClient = (id: number): Installation => ({
    id,
    ...pair(
      instrument(
        new Client({
          authStrategy: createAppAuth,
          auth: { appId, createJwt, installationId: id, request: requestWithFetch, cache: createTokenCache({ serverNow }) },
        }),
      ),
    ),
  });
  async function lookup(owner: string): Promise<Installation> {
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

  const installations = new AppInstallations({ make: installationClient, lookup, log, fixedId: installationId });
  return {
    host,
    app,
    kind: 'app',
    forOwner: (owner) => installations.installationFor(owner).then((c) => c.gh),
    onceForOwner: (owner) => installations.installationFor(owner).then((c) => c.once),
    renew: (owner, failed, status) => installations.renew(owner, failed, status),
  };
}

/**
 * A redirect http-fetch did not follow (to another origin: every GHES request carries the App's
 * or the token's credentials; from https to http; past MAX_REDIRECTS; without a Location) is an
 * error here, naming it. Octokit takes any 3xx but 304 for a success (@octokit/request's fetch-wrapper throws from
 * 400 only), so a dispatch POST answered "307 elsewhere" would pass for a dispatch. GHES's own
 * rename redirects stay on its origin and are followed before this sees them. The job-log
 * request's 302 is read through another fetch (noRedirectFetch, given per request), not this one.
 */
export function redirectsRefusedAsErrors(fetch: FetchFn): FetchFn {
  return async (url, init) => {
    const res = await fetch(url, init);
    if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
    await res.body.dump().catch(() => undefined);
    const why = res.redirectRefused ?? 'without a Location to follow';
    throw new AgentError('server', `GHES answered ${res.status}, a redirect ${why}. Check github.url (and any proxy in between).`, {
      status: res.status,
      retriable: false,
    });
  };
}
