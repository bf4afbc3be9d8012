import { parseVersion, supportsRunDetails } from '../../github/ghes-version.js';
import { describeNetworkError } from '../../util/http-fetch.js';
import { clockSkew, skewTooLarge } from './clock-skew.js';
import type { CheckContext } from './context.js';
import { type Check, fail, pass } from './types.js';

type GhError = { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };

/** GHES reachable from here and its certificate trusted: one unauthenticated GET /meta. */
export const ghesReachable: Check<CheckContext> = {
  id: 'github.reachable',
  part: 'github',
  async run(ctx) {
    const { apiUrl, caFile, tlsInsecureSkipVerify } = ctx.config.github;
    const host = new URL(apiUrl).host;
    const sentAtMs = ctx.now();
    let res;
    try {
      res = await ctx.githubFetch(`${apiUrl}/meta`, { headers: { accept: 'application/vnd.github+json', 'user-agent': 'ghes-agent' } });
    } catch (err) {
      const why = describeNetworkError(err, host, 'github.caFile');
      return fail(
        `GHES at ${apiUrl}: ${why}`,
        /not trusted/.test(why)
          ? `give the CA bundle of ${host} as github.caFile (Helm: caBundle.pem)`
          : `check github.url, DNS, the proxy (HTTPS_PROXY/NO_PROXY) and egress to ${host}`,
      );
    }
    const receivedAtMs = ctx.now();
    const text = await res.text().catch(() => '');
    let version = res.headers.get('x-github-enterprise-version') ?? undefined;
    if (res.status === 200 && !version) {
      try {
        version = (JSON.parse(text) as { installed_version?: string }).installed_version;
      } catch {
        // not JSON: judged below
      }
    }
    ctx.facts.ghes = { status: res.status, version, date: res.headers.get('date') ?? undefined, sentAtMs, receivedAtMs };
    if (res.status === 404 || (res.status >= 200 && res.status < 300 && !/^\s*\{/.test(text))) {
      return fail(
        `${apiUrl}/meta answered ${res.status} and is not the GitHub REST API`,
        'github.url must be the GHES address (the API is <url>/api/v3); set github.apiUrl only when the API lives elsewhere',
      );
    }
    if (res.status >= 500)
      return fail(`GHES at ${apiUrl} answered ${res.status}`, 'GHES is up but failing: check its status page / its administrator');
    const tls = apiUrl.startsWith('http:')
      ? 'plain HTTP, no TLS'
      : tlsInsecureSkipVerify
        ? 'TLS NOT verified (github.tlsInsecureSkipVerify)'
        : `TLS verified${caFile ? ` with ${caFile}` : ''}`;
    return pass(`GHES at ${apiUrl} answered (HTTP ${res.status}, ${tls})`);
  },
};

/** The version GHES reports, and which way the agent finds the run a dispatch started. */
export const ghesVersion: Check<CheckContext> = {
  id: 'github.version',
  part: 'github',
  needs: ['github.reachable'],
  run(ctx) {
    const reported = ctx.facts.ghes?.version;
    const pinned = ctx.config.github.version;
    const v = parseVersion(reported) ?? parseVersion(pinned);
    if (reported && pinned && parseVersion(reported)?.join('.') !== parseVersion(pinned)?.join('.')) {
      return fail(
        `github.version says ${pinned} but GHES reports ${reported}`,
        'remove github.version (the agent detects the version) or correct it',
      );
    }
    if (!v) {
      return pass(
        'GHES did not report its version (no X-GitHub-Enterprise-Version, no installed_version): the agent assumes 3.19 behaviour (runs found by run-name); set github.version to be explicit',
      );
    }
    const label = `GHES ${v.join('.')}${reported ? '' : ' (from github.version)'}`;
    return supportsRunDetails(v)
      ? pass(`${label}: dispatches return the run id (return_run_details); up to 25 workflow inputs`)
      : pass(
          `${label}: before 3.21 the run a dispatch started is found by its run-name: give workflows a port_run_id input shown in run-name (docs/configuration.md "Workflows"); up to 10 workflow inputs`,
        );
  },
};

/** The clock against GHES's Date header. */
export const clockSkewCheck: Check<CheckContext> = {
  id: 'clock.skew',
  part: 'github',
  needs: ['github.reachable'],
  run(ctx) {
    const g = ctx.facts.ghes!;
    const skew = clockSkew(g.date, g.sentAtMs, g.receivedAtMs);
    if (!skew) return pass('GHES sent no usable Date header; clock not compared');
    const seconds = Math.round(Math.abs(skew.skewMs) / 1000);
    if (skewTooLarge(skew)) {
      return fail(
        `this clock is ${seconds} s ${skew.skewMs > 0 ? 'ahead of' : 'behind'} GHES's`,
        'synchronise the clock of the node (NTP/chrony): GitHub App tokens and timestamps go wrong beyond a minute',
      );
    }
    return pass(`within ${Math.max(seconds, 1)} s of GHES's clock (its Date header)`);
  },
};

const REQUIRED_PERMISSIONS: Record<string, string[]> = { actions: ['write'], metadata: ['read', 'write'] };

/** "actions: read" style list of what is missing from a permission set. */
function missingPermissions(perms: Record<string, string> | undefined): string[] {
  return Object.entries(REQUIRED_PERMISSIONS)
    .filter(([k, ok]) => !ok.includes(perms?.[k] ?? ''))
    .map(([k]) => `${k}: ${perms?.[k] ?? 'none'} (needs ${k === 'actions' ? 'read & write' : 'read'})`);
}

/** The App authenticates (its JWT is accepted) and asks for the right permissions; or the token and its scopes. */
export const githubAuth: Check<CheckContext> = {
  id: 'github.auth',
  part: 'github',
  needs: ['github.reachable'],
  async run(ctx) {
    const { appId } = ctx.config.github;
    if (appId) {
      let app: { name?: string; slug?: string; permissions?: Record<string, string> };
      try {
        app = (await ctx.github.app.request('GET /app')).data as typeof app;
      } catch (err) {
        const e = err as GhError;
        if (e.status === 401)
          return fail(
            `GHES refused the App's JWT for app id ${appId} (401: ${e.message})`,
            'check github.appId and that github.privateKey(File) is a current private key of that App (App settings → Private keys), and the clock',
          );
        if (e.status === 404)
          return fail(`no GitHub App with id ${appId} on this GHES (404)`, 'github.appId is the numeric App ID on the App settings page');
        throw err;
      }
      const missing = missingPermissions(app.permissions);
      if (missing.length)
        return fail(
          `App "${app.name ?? app.slug}" (id ${appId}) asks for ${missing.join(', ')}`,
          'edit the App: Permissions → Repository → Actions: Read and write, Metadata: Read-only, then accept the change on each installation',
        );
      return pass(
        `App "${app.name ?? app.slug}" (id ${appId}) authenticated; it asks for actions: ${app.permissions?.actions}, metadata: ${app.permissions?.metadata}`,
      );
    }
    let headers: Record<string, string | undefined>;
    try {
      headers = (await ctx.github.app.request('GET /meta')).headers as Record<string, string | undefined>;
    } catch (err) {
      const e = err as GhError;
      if (e.status === 401)
        return fail(
          `GHES refused the token (401: ${e.message})`,
          'github.token(File) must be a valid token of this GHES (Settings → Developer settings → Personal access tokens)',
        );
      throw err;
    }
    const scopes = headers['x-oauth-scopes'];
    if (scopes === undefined) {
      return pass(
        'token accepted; no X-OAuth-Scopes (a fine-grained token): it needs Actions: read & write and Metadata: read on the repositories Port runs target',
      );
    }
    const list = scopes
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!list.includes('repo')) {
      return fail(
        `token scopes are [${list.join(', ') || 'none'}]; dispatching a workflow needs the repo scope`,
        'create a classic token with the repo scope (or a fine-grained one with Actions: read & write) and put it in github.token(File)',
      );
    }
    return pass(`token accepted with scopes [${list.join(', ')}]`);
  },
};

const isGlob = (s: string) => /[*?[\]{}]/.test(s);
const globToRegExp = (g: string) =>
  new RegExp(
    `^${g
      .replace(/[.+^$()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/** The App installed where the policy points, each installation holding Actions: write and Metadata: read. */
export const githubInstallations: Check<CheckContext> = {
  id: 'github.installation',
  part: 'github',
  needs: ['github.auth'],
  async run(ctx) {
    const { appId, installationId } = ctx.config.github;
    if (!appId) return pass('token auth: no App installation to check');
    type Installation = { id: number; account?: { login?: string }; permissions?: Record<string, string>; suspended_at?: string | null };
    const app = ctx.github.app;
    const describe = (i: Installation) => i.account?.login ?? `installation ${i.id}`;
    const found: Installation[] = [];
    const problems: string[] = [];
    if (installationId) {
      try {
        found.push(
          (await app.request('GET /app/installations/{installation_id}', { installation_id: installationId })).data as Installation,
        );
      } catch (err) {
        if ((err as GhError).status === 404)
          return fail(
            `github.installationId ${installationId} is not an installation of App ${appId}`,
            'set github.installationId to 0 (looked up per organization) or to the id in the installation URL',
          );
        throw err;
      }
    } else {
      const orgs = [...new Set(ctx.config.policy.allow.map((r) => r.org))];
      const literal = orgs.filter((o) => !isGlob(o));
      const globs = orgs.filter(isGlob);
      for (const org of literal) {
        try {
          found.push((await app.request('GET /orgs/{org}/installation', { org })).data as Installation);
        } catch (err) {
          if ((err as GhError).status !== 404) throw err;
          try {
            found.push((await app.request('GET /users/{username}/installation', { username: org })).data as Installation);
          } catch (err2) {
            if ((err2 as GhError).status !== 404) throw err2;
            problems.push(`not installed on ${org}`);
          }
        }
      }
      if (globs.length || orgs.length === 0) {
        const all = (await app.request('GET /app/installations', { per_page: 100 })).data as Installation[];
        if (orgs.length === 0 && all.length === 0)
          problems.push('installed nowhere (policy.allow is empty: every installation is in scope)');
        for (const g of globs) {
          const matching = all.filter((i) => globToRegExp(g).test(i.account?.login ?? ''));
          if (matching.length === 0) problems.push(`installed on no organization matching ${g}`);
          found.push(...matching);
        }
        if (orgs.length === 0) found.push(...all);
      }
    }
    for (const i of found) {
      const missing = missingPermissions(i.permissions);
      if (missing.length) problems.push(`the installation on ${describe(i)} holds ${missing.join(', ')}`);
      if (i.suspended_at) problems.push(`the installation on ${describe(i)} is suspended`);
    }
    if (problems.length) {
      return fail(
        `GitHub App ${appId}: ${problems.join('; ')}`,
        'install the App on every organization policy.allow names (GHES → Settings → GitHub Apps → Install) and accept its Actions: read & write and Metadata: read permissions on each installation',
      );
    }
    const names = [...new Set(found.map(describe))];
    return pass(`App ${appId} installed on ${names.join(', ')} with actions: write, metadata: read`);
  },
};

export const githubChecks = [ghesReachable, ghesVersion, githubAuth, githubInstallations, clockSkewCheck];
