// startGhesSim: composition root of the GHES simulator. Builds every part from the
// options and wires them into one node:http(s) server; nothing lives at module level.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequestIds, handleApi, type PipelineDeps } from './api-pipeline.js';
import { createSimClock } from './clock.js';
import type { SimContext } from './context.js';
import { createFaultRegistry } from './faults.js';
import { createOidcProvider } from './oidc.js';
import { createRateLimiter } from './rate-limit.js';
import { createRouter } from './router.js';
import { addAppRoutes } from './routes/apps.js';
import { handleControl } from './routes/control.js';
import { addDispatchRoute } from './routes/dispatch.js';
import { addMetaRoutes } from './routes/meta.js';
import { addRepoRoutes } from './routes/repos.js';
import { addRunRoutes } from './routes/runs.js';
import { addRunControlRoutes } from './routes/run-control.js';
import { startLogStorage } from './log-storage.js';
import { addUserRoutes } from './routes/user.js';
import { addPullRoutes } from './routes/pulls.js';
import { addIssueRoutes } from './routes/issues.js';
import { addPropertyRoutes } from './routes/properties.js';
import { createTrackerControl } from './tracker-control.js';
import { seedRuns } from './seed-runs.js';
import { simRun } from './run-view.js';
import { createState } from './state.js';
import type { GhesSim, GhesSimOptions } from './types.js';

export type * from './types.js';

const API_PREFIX = '/api/v3';
const MAX_BODY = 1024 * 1024;
const OIDC_DISCOVERY = '/_services/token/.well-known/openid-configuration';
const OIDC_JWKS = '/_services/token/.well-known/jwks';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startGhesSim(opts: GhesSimOptions = {}): Promise<GhesSim> {
  const clock = createSimClock({ timeScale: opts.timeScale, now: opts.now, offsetMs: opts.clockOffsetMs });
  const state = createState(clock, opts.version ?? '3.21.0');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const appId = 1000 + Math.floor(Math.random() * 9000);
  const slug = 'ghes-agent-sim';
  const ctx: SimContext = {
    state,
    clock,
    shape: { api: '', origin: '', clock },
    app: {
      appId,
      slug,
      owner: state.account('sim-admin', 'User'),
      createdAtMs: clock.now(),
      publicKey: createPublicKey(createPrivateKey(privateKeyPem)),
      privateKeyPem,
    },
    runAppearDelayMs: opts.runAppearDelayMs ?? 300,
    listLagMs: opts.listLagMs ?? 0,
    pollIntervalS: opts.pollIntervalS ?? 1,
    searchCap: opts.searchCap ?? 1000,
    searchLagMs: opts.searchLagMs ?? 0,
    tokenTtlMs: opts.tokenTtlMs ?? 3_600_000,
    dispatchListeners: new Set(),
  };

  const router = createRouter();
  addMetaRoutes(router, ctx);
  addAppRoutes(router, ctx);
  addRepoRoutes(router, ctx);
  addDispatchRoute(router, ctx);
  addRunRoutes(router, ctx);
  addUserRoutes(router, ctx);
  addPullRoutes(router, ctx);
  addIssueRoutes(router, ctx);
  addPropertyRoutes(router, ctx);
  const storage = await startLogStorage(ctx, opts.tls);
  let logOrigin: string | undefined;
  addRunControlRoutes(router, ctx, { origin: () => logOrigin ?? storage.origin, key: storage.key });

  const oidc = await createOidcProvider(ctx);
  const faults = createFaultRegistry({ now: clock.now, random: opts.random ?? Math.random });
  const pipeline: PipelineDeps = {
    ctx,
    router,
    faults,
    rateLimiter: opts.rateLimit ? createRateLimiter(opts.rateLimit, clock.now) : null,
    log: [],
    counters: new Map(),
    requestId: createRequestIds(),
  };

  const sim: Omit<GhesSim, 'close'> = {
    url: '',
    origin: '',
    setVersion(v) {
      state.version = v;
    },
    setClockOffset: (ms) => clock.setOffsetMs(ms),
    setRunTiming(t) {
      if (t.appearDelayMs !== undefined) ctx.runAppearDelayMs = t.appearDelayMs;
      if (t.listLagMs !== undefined) ctx.listLagMs = t.listLagMs;
    },
    removeInstallation: (id) => state.removeInstallation(id),
    onDispatch(listener) {
      ctx.dispatchListeners.add(listener);
      return () => void ctx.dispatchListeners.delete(listener);
    },
    addRuns: (seed) => seedRuns(ctx, seed),
    app: { appId, slug, privateKeyPem },
    addInstallation: (account, o) => state.addInstallation(account, o?.repositories ?? 'all', o?.permissions).id,
    addToken(token, access) {
      state.credentials.set(token, { kind: 'pat', token, access, login: access.login ?? 'sim-user' });
    },
    addRepo(spec) {
      state.addRepo(spec);
    },
    addWorkflow: (owner, repo, wf) => ({ id: state.addWorkflow(owner, repo, wf).id }),
    fault: (f) => faults.add(f).remove,
    clearFaults: () => faults.clear(),
    requests: () => pipeline.log.map((e) => ({ ...e })),
    counters: () => Object.fromEntries(pipeline.counters),
    dispatches: () => state.dispatches.map((d) => ({ ...d })),
    runs: () => [...state.runs.values()].map((r) => simRun(state, clock, r)),
    rerun(runId) {
      const run = state.runs.get(runId);
      if (!run) throw new Error(`rerun: unknown run ${runId}`);
      if (state.phase(run).status !== 'completed') throw new Error(`rerun: run ${runId} has not completed`);
      state.rerun(run);
    },
    storageRequests: () => storage.requests(),
    oidc: {
      issuer: () => oidc.issuer(),
      mintForRun: (runId, o) => oidc.mintForRun(runId, o),
      rotate: (o) => oidc.rotate(o),
    },
    storageOrigin: storage.origin,
    tracker: createTrackerControl(ctx),
    setLogOrigin(origin) {
      logOrigin = origin;
    },
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://sim');
    readBody(req)
      .then(async (raw) => {
        if (url.pathname.startsWith('/_sim/')) {
          return handleControl(
            { sim, listFaults: faults.list, removeFault: faults.remove, addFault: (f) => faults.add(f).id },
            req,
            res,
            url.pathname,
            raw,
          );
        }
        // GHES's OIDC provider for Actions lives beside the API, at /_services/token (oidc.ts).
        if (req.method === 'GET' && (url.pathname === OIDC_DISCOVERY || url.pathname === OIDC_JWKS)) {
          const body = JSON.stringify(url.pathname === OIDC_JWKS ? oidc.jwks() : oidc.discovery());
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', date: new Date(clock.now()).toUTCString() }).end(body);
          return;
        }
        if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) {
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', date: new Date(clock.now()).toUTCString() }).end(JSON.stringify({ message: 'Not Found' }));
          return;
        }
        const apiPath = url.pathname.slice(API_PREFIX.length) || '/';
        await handleApi(pipeline, req, res, apiPath, url.searchParams, raw);
      })
      .catch((e: unknown) => {
        // A simulator bug must surface loudly in tests, not hang the client.
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', date: new Date(clock.now()).toUTCString() }).end(JSON.stringify({ message: `simulator error: ${String(e)}` }));
        } else res.destroy();
      });
  };

  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, onRequest)
    : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  ctx.shape.origin = origin;
  ctx.shape.api = `${origin}${API_PREFIX}`;
  sim.url = ctx.shape.api;
  sim.origin = origin;

  return {
    ...sim,
    // Getters would be lost by the spread; url/origin are fixed once listening anyway.
    url: ctx.shape.api,
    origin,
    close: async () => {
      await storage.close();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      });
    },
  };
}
