// Issue 23, HTTP: a redirect never carries a secret elsewhere. Raw node:http(s) servers play
// Port and GHES answering with redirects to a second server, which records whether anything
// reached it: Port's token POST follows no redirect at all (its body is the client secret), no
// request with a body or credentials follows one to another origin, and nothing follows one from
// https to http. GHES's same-origin rename redirects are still followed.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckContext } from '../../agent/cli/check/context.js';
import { portCredentials } from '../../agent/cli/check/port-checks.js';
import { createGithubApi } from '../../agent/github/github-api.js';
import { createGithubClients } from '../../agent/github/github-client.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { type CertificateAuthority, type ServerCertificate, generateCa, issueServerCert } from '../stack/certs.js';
import { type RawServer, startRawServer } from './raw-server.js';

const SECRET = 'port-client-secret-7c1f';
const TOKEN = 'ghp_ghes-token-0d2e';
const logger = createLogger({ level: 'error', secrets: createSecretScrubber([SECRET, TOKEN]) });

/** Whether anything of the request (its path, headers or body) carried the secret to `server`. */
const reached = (server: RawServer) => server.seen.map((r) => `${r.method} ${r.url}`);
const leaked = (server: RawServer, secret: string) => server.seen.some((r) => JSON.stringify(r).includes(secret));

describe('redirects (issue 23)', () => {
  let ca: CertificateAuthority;
  let cert: ServerCertificate;
  let elsewhere: RawServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-redirects-'));
    ca = await generateCa(dir, 'redirects-test');
    cert = await issueServerCert(ca, dir, 'port');
    // The redirect target: answers like the real thing would, so a followed redirect succeeds.
    elsewhere = await startRawServer((req, res) => {
      if (req.url.endsWith('/access_token'))
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accessToken: 'stolen', expiresIn: 3600 }));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  after(() => elsewhere?.close());

  const port = (origin: string) =>
    createPortClient({
      http: createPortHttp({
        baseUrl: origin,
        clientId: 'client-id',
        clientSecret: SECRET,
        fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile', caFile: ca.certFile }),
        clock: realClock,
        metrics: createMetrics({ defaultMetrics: false }),
        logger,
      }),
    });

  it("Port's token POST answered 307 to another origin, to http://, or to its own origin: not followed, the secret sent nowhere else", async () => {
    for (const target of ['other-origin', 'http', 'same-origin'] as const) {
      elsewhere.seen.length = 0;
      const portApi = await startRawServer(
        (req, res) => {
          if (req.url === '/v1/auth/access_token') {
            const location =
              target === 'same-origin'
                ? '/v1/auth/access_token/again'
                : `${target === 'http' ? elsewhere.origin : elsewhere.origin.replace('127.0.0.1', 'localhost')}/v1/auth/access_token`;
            return void res.writeHead(307, { location }).end();
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: 'tok', expiresIn: 3600 }));
        },
        { certPem: cert.certPem, keyPem: cert.keyPem },
      );
      try {
        const err = await port(portApi.origin)
          .getRun('r_1')
          .then(
            () => assert.fail(`${target}: the run was read through a followed redirect`),
            (e: Error) => e,
          );
        assert.match(err.message, /Port API auth answered 307, a redirect/, target);
        assert.ok(!err.message.includes(SECRET), `${target}: the secret is not in the error`);
        assert.deepEqual(reached(elsewhere), [], `${target}: the redirect target saw no request`);
        assert.equal(leaked(elsewhere, SECRET), false);
        assert.deepEqual(reached(portApi), ['POST /v1/auth/access_token'], `${target}: the token POST was sent once, to Port's own URL`);
      } finally {
        await portApi.close();
      }
    }
  });

  it("`ghes-agent check`'s token POST answered 307 to its own origin: not followed, the check fails naming the redirect", async () => {
    const portApi = await startRawServer((req, res) => {
      if (req.url === '/v1/auth/access_token') return void res.writeHead(307, { location: '/v1/auth/access_token/again' }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: 'tok', expiresIn: 3600 }));
    });
    try {
      const ctx = {
        config: { port: { apiUrl: portApi.origin, clientId: 'client-id', clientSecret: SECRET } },
        portFetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
      } as unknown as CheckContext;
      const outcome = await portCredentials.run(ctx);
      assert.equal(outcome.status, 'fail');
      assert.match(outcome.message, /Port's token endpoint answered 307, a redirect not followed: this request follows none/);
      assert.deepEqual(reached(portApi), ['POST /v1/auth/access_token']);
    } finally {
      await portApi.close();
    }
  });

  it('a cross-origin 307 on a Port POST with a body and on a GHES dispatch POST: not followed, the error names it; a same-origin rename is still followed', async () => {
    elsewhere.seen.length = 0;
    const portApi = await startRawServer((req, res) => {
      if (req.url === '/v1/auth/access_token')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accessToken: 'port-bearer', expiresIn: 3600 }));
      res.writeHead(307, { location: `${elsewhere.origin}${req.url}` }).end();
    });
    const ghes = await startRawServer((req, res) => {
      // GitHub's rename redirects stay on its origin (301 for a GET, 307 for the dispatch POST).
      if (req.url === '/api/v3/repos/acme/old-name') return void res.writeHead(301, { location: '/api/v3/repositories/42' }).end();
      if (req.url === '/api/v3/repositories/42')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 42, owner: { id: 7 }, default_branch: 'main' }));
      if (req.url === '/api/v3/repos/acme/old-name/actions/workflows/deploy.yml/dispatches')
        return void res.writeHead(307, { location: '/api/v3/repositories/42/actions/workflows/deploy.yml/dispatches' }).end();
      if (req.url === '/api/v3/repositories/42/actions/workflows/deploy.yml/dispatches') return void res.writeHead(204).end();
      res.writeHead(307, { location: `${elsewhere.origin}${req.url}` }).end();
    });
    try {
      const portErr = await port(portApi.origin)
        .addLog('r_1', { message: 'dispatched' })
        .then(
          () => assert.fail('the log went through the redirect'),
          (e: Error) => e,
        );
      assert.match(
        portErr.message,
        new RegExp(
          `Port API add_log answered 307, a redirect not followed to ${elsewhere.origin}: it leads to another origin and the request has a body`,
        ),
      );

      const clients = createGithubClients({
        apiUrl: `${ghes.origin}/api/v3`,
        auth: { kind: 'token', token: TOKEN },
        fetch: createFetch({ timeoutMs: 5000, name: 'github.caFile' }),
        maxConcurrency: 4,
        metrics: createMetrics({ defaultMetrics: false }),
        logger,
        clock: realClock,
      });
      const api = createGithubApi({ clients, clock: realClock });
      const ghErr = await api.dispatch('acme', 'infra', 'deploy.yml', { ref: 'main', inputs: { service: 'api' } }).then(
        () => assert.fail('the dispatch passed for done through a redirect elsewhere'),
        (e: Error & { retriable?: boolean }) => e,
      );
      assert.match(
        ghErr.message,
        new RegExp(
          `dispatching acme/infra deploy.yml: GHES answered 307, a redirect not followed to ${elsewhere.origin}: it leads to another origin and the request has a body`,
        ),
      );
      assert.equal(ghErr.retriable, false);
      assert.deepEqual(reached(elsewhere), [], 'the redirect target saw no request');
      assert.equal(leaked(elsewhere, TOKEN) || leaked(elsewhere, 'port-bearer'), false);

      // Same origin: GitHub's rename redirects work as before, credentials and body included.
      assert.deepEqual(await api.repo('acme', 'old-name'), { id: 42, ownerId: 7, defaultBranch: 'main' });
      assert.deepEqual(await api.dispatch('acme', 'old-name', 'deploy.yml', { ref: 'main', inputs: { service: 'api' } }), { status: 204 });
      const moved = ghes.seen.find((r) => r.url === '/api/v3/repositories/42/actions/workflows/deploy.yml/dispatches');
      assert.equal(moved?.headers.authorization, `token ${TOKEN}`);
      assert.deepEqual(JSON.parse(moved?.body ?? '{}'), { ref: 'main', inputs: { service: 'api' } });
    } finally {
      await portApi.close();
      await ghes.close();
    }
  });

  it('https → http on a GET without credentials: not followed, the 3xx is the answer', async () => {
    elsewhere.seen.length = 0;
    const secure = await startRawServer((_req, res) => void res.writeHead(301, { location: `${elsewhere.origin}/plain` }).end(), {
      certPem: cert.certPem,
      keyPem: cert.keyPem,
    });
    try {
      const res = await createFetch({ timeoutMs: 5000, name: 'github.caFile', caFile: ca.certFile })(`${secure.origin}/x`);
      assert.equal(res.status, 301);
      assert.equal(res.redirectRefused, `not followed to ${elsewhere.origin}: it leads from https to http`);
      assert.deepEqual(reached(elsewhere), []);
    } finally {
      await secure.close();
    }
  });
});
