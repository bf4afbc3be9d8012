// An in-process stand-in for Port's REST API (docs api-reference/*), faithful
// where the agent's correctness depends on it: expiring tokens, the PATCH key
// whitelist, status set once, rate-limit headers, and injectable failures.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { handleControl } from './control.js';
import { createFaultTable } from './faults.js';
import { parseJson, portError, readBody, sendJson } from './http-io.js';
import { createRateLimiter, rateLimitHeaders } from './rate-limit.js';
import { resolveRoute } from './routes.js';
import { createRunStore } from './run-store.js';
import type { RouteContext, RouteHandler } from './route-context.js';
import { handleClaimRoutes } from './routes-claim.js';
import { handleIntegrationRoutes } from './routes-integration.js';
import { handleNodeRoutes } from './routes-nodes.js';
import { handleRunRoutes } from './routes-runs.js';
import { createEntityHandler, type EntityStore } from './routes-entities.js';
import type { Refusal } from './run-rules.js';
import { bearerToken, createTokenStore } from './tokens.js';
import { applyAck } from './claim-rules.js';
import { applyPatch, checkTerminalWrite } from './run-rules.js';
import type { KafkaCredentials, PortSim, PortSimOptions, RequestLogEntry, SimIntegration } from './types.js';

export type * from './types.js';

/** Port documents 413 above 1 MiB for run updates. */
export const MAX_BODY_BYTES = 1024 * 1024;
// Without enforcement the headers still appear, with a limit no test (nor make bench) reaches.
const DEFAULT_RATE_LIMIT = { limit: 10_000_000, windowMs: 60_000 };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// The request log must not keep the client secret: tests print it on failure.
function redact(route: string, body: unknown): unknown {
  if (route === '/v1/auth/access_token' && typeof body === 'object' && body !== null) {
    return { ...(body as Record<string, unknown>), clientSecret: '[redacted]' };
  }
  return body;
}

export async function startPortSim(options: PortSimOptions): Promise<PortSim> {
  const now = options.now ?? Date.now;
  const tokens = createTokenStore({ ttlS: options.tokenTtlS ?? 3600, now, orgId: options.orgId, isMachine: options.machineToken });
  const faults = createFaultTable({ now, random: options.random ?? Math.random });
  const runs = createRunStore({ now });
  const integrations = new Map<string, SimIntegration>();
  const rl = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limiter = createRateLimiter({ ...rl, enforce: options.rateLimit !== undefined, now });
  const log: RequestLogEntry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let kafka: KafkaCredentials | undefined = options.kafka;
  let logSeq = 0;
  const entities: EntityStore = new Map();
  const handlers: RouteHandler[] = [
    handleRunRoutes,
    handleClaimRoutes,
    handleNodeRoutes,
    handleIntegrationRoutes,
    createEntityHandler(entities),
  ];

  function addIntegration(i: Partial<SimIntegration> & { installationId: string }): SimIntegration {
    const at = new Date(now()).toISOString();
    const record: SimIntegration = { actionsProcessingEnabled: true, config: {}, createdAt: at, updatedAt: at, ...i };
    integrations.set(record.installationId, record);
    return record;
  }
  for (const i of options.integrations ?? []) addIntegration(i);

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const { route, id } = resolveRoute(path);
    const entry: RequestLogEntry = { at: now(), method, path, route, status: 0 };
    if (url.search) entry.query = url.search.slice(1);
    log.push(entry);
    // A 'status' fault with `after`: the request takes effect, then this answer replaces the real one.
    let failAfter: { status: number; headers: Record<string, string> } | undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (failAfter) {
        status = failAfter.status;
        body = portError('simulated_fault', 'simulated status fault (after the request took effect)');
        headers = failAfter.headers;
      }
      entry.status = status;
      if (options.recordResponses) entry.response = body;
      sendJson(res, status, body, headers);
    };

    const picked = faults.pick({ method, path, route });
    if (picked.latencyMs > 0) await sleep(picked.latencyMs);
    const fault = picked.decisive;
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'reset' || (fault.kind === 'outage' && fault.destroy)) {
        req.socket.destroy();
        return;
      }
      const status = fault.status ?? (fault.kind === 'outage' ? 503 : 500);
      const headers: Record<string, string> = fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
      if (fault.kind === 'status' && fault.after) failAfter = { status, headers };
      else {
        req.resume();
        return send(status, portError('simulated_fault', `simulated ${fault.kind} fault`), headers);
      }
    }

    const rate = limiter.take();
    const rlHeaders = rateLimitHeaders(rate);
    const reply = (status: number, body: unknown, extra: Record<string, string> = {}): void =>
      send(status, body, { ...rlHeaders, ...extra });
    if (rate.limited) {
      req.resume();
      return reply(429, portError('rate_limit_exceeded', 'Too many requests for this organization'), {
        'retry-after': String(Math.max(1, rate.resetInS)),
      });
    }

    const read = await readBody(req, MAX_BODY_BYTES);
    let body: unknown;
    let bodyError: Refusal | undefined;
    if (read.kind === 'too-large') {
      bodyError = {
        ok: false,
        status: 413,
        error: 'payload_too_large',
        message: `request body of ${read.bytes} bytes exceeds ${MAX_BODY_BYTES}`,
      };
    } else {
      const parsed = parseJson(read.raw);
      if (parsed.ok) body = parsed.value;
      else bodyError = { ok: false, status: 400, error: 'invalid_json', message: 'request body is not valid JSON' };
    }
    if (body !== undefined) entry.body = redact(route, body);
    const refuse = (r: Refusal): void => reply(r.status, portError(r.error, r.message));

    if (route === '/v1/auth/access_token' && method === 'POST') {
      if (bodyError) return refuse(bodyError);
      const b = (body ?? {}) as Record<string, unknown>;
      // The description's body schema: both strings required, nothing else (422 otherwise).
      const extra = Object.keys(b).find((k) => k !== 'clientId' && k !== 'clientSecret');
      if (typeof b.clientId !== 'string' || typeof b.clientSecret !== 'string' || extra) {
        return reply(
          422,
          portError(
            'invalid_request',
            extra ? `body/${extra} is not allowed` : "body must have required properties 'clientId' and 'clientSecret'",
          ),
        );
      }
      const good = b.clientId === options.clientId && sameSecret(b.clientSecret, options.clientSecret);
      if (!good) return reply(401, portError('unauthorized', 'Invalid clientId or clientSecret'));
      const t = tokens.issue();
      return reply(200, { ok: true, accessToken: t.accessToken, expiresIn: t.expiresIn, tokenType: 'Bearer' });
    }

    const token = bearerToken(req.headers.authorization);
    if (route !== '*') {
      if (token === undefined || !tokens.isValid(token)) {
        return reply(401, portError('unauthorized', token === undefined ? 'Missing bearer token' : 'Token is invalid or expired'));
      }
    }

    // `version` (v1 | v2) is accepted on the run routes; the description asks for v2.
    const versionParam = url.searchParams.get('version');
    if (versionParam !== null && route.startsWith('/v1/actions/runs') && !['v1', 'v2'].includes(versionParam)) {
      return reply(422, portError('invalid_request', 'querystring/version must be equal to one of the allowed values: v1, v2'));
    }

    if (route === '/v1/kafka-credentials' && method === 'GET') {
      if (!kafka) return reply(404, portError('not_found', 'No Kafka credentials are provisioned for this organization'));
      return reply(200, { ok: true, credentials: { brokers: [...kafka.brokers], username: kafka.username, password: kafka.password } });
    }

    const ctx: RouteContext = {
      method,
      path,
      route,
      id,
      url,
      headers: req.headers,
      body,
      bodyError,
      isMachine: token !== undefined && tokens.isMachine(token),
      runs,
      integrations,
      options,
      now,
      nextLogId: () => `log_${(++logSeq).toString(36).padStart(8, '0')}`,
      reply,
      refuse,
    };
    for (const handle of handlers) if (handle(ctx)) return;

    if (route !== '*') return reply(405, portError('method_not_allowed', `${method} is not allowed on ${route}`));
    return reply(404, portError('not_found', `Route ${method} ${path} not found`));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const work = url.pathname.startsWith('/_sim/')
      ? handleControl(req, res, url.pathname, {
          runs,
          faults,
          requests: () => [...log],
          setKafkaCredentials: (c) => {
            kafka = c;
          },
        })
      : handleApi(req, res, url);
    work.catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, portError('internal_error', (err as Error).message));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    orgId: options.orgId,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    setKafkaCredentials(c) {
      kafka = c;
    },
    createRun: (spec) => runs.create(spec),
    getRun: (id) => runs.get(id),
    runs: () => runs.list(),
    integrations: () => [...integrations.values()],
    addIntegration,
    ackElsewhere(runId) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      applyAck(run, new Date(now()).toISOString());
    },
    endRun(runId, status, by = 'user') {
      // What Port's UI does when someone marks a run done, or what a user's own script does with
      // PATCH /v1/actions/runs/{id} {status} (port-docs "Interact with action runs"): the run
      // ends; the write is in its history like any other, with who made it.
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      const at = new Date(now()).toISOString();
      const refused = checkTerminalWrite(run, status);
      if (refused) throw new Error(refused.message);
      run.statusWrites += 1;
      applyPatch(run, { status, statusLabel: `Ended by ${by}` }, at);
      run.history.push({ at, method: 'PATCH', path: `(${by}) /v1/actions/runs/${runId}`, body: { status }, status: 200 });
    },
    revokeTokens: () => tokens.revokeAll(),
    fault: (f) => faults.add(f).remove,
    clearFaults: () => faults.clear(),
    requests: () => [...log],
    entities: () => [...entities.values()],
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
