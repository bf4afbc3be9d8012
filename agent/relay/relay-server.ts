/**
 * The relay's own listener (node:http, or node:https with relay.tlsCertFile/tlsKeyFile): reads a
 * request within relay.maxBodyBytes, answers within relay.requestDeadlineMs, counts every answer
 * by route and outcome. Everything it decides is in relay-handler.ts.
 */
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type RelayAnswer, portErrorAnswer } from './relay-answer.js';
import type { RelayRequest } from './relay-handler.js';
import { matchRelayRoute } from './relay-routes.js';

export interface RelayServer {
  port: number;
  close(): Promise<void>;
}

/** A body past the cap is drained up to this many times the cap (so the 413 reaches the caller), then the connection is cut. */
const DRAIN_FACTOR = 16;

type BodyRead = { kind: 'ok'; text: string } | { kind: 'too_large' } | { kind: 'aborted' };

function readCapped(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = Number.isFinite(declared) && declared > maxBytes;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) over = true;
      if (!over) chunks.push(chunk);
      else if (bytes > maxBytes * DRAIN_FACTOR) {
        req.destroy();
        resolve({ kind: 'too_large' });
      }
    });
    req.on('end', () => resolve(over ? { kind: 'too_large' } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve(over ? { kind: 'too_large' } : { kind: 'aborted' }));
  });
}

export async function startRelayServer(deps: {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  maxBodyBytes: number;
  requestDeadlineMs: number;
  handle: (req: RelayRequest) => Promise<RelayAnswer>;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
}): Promise<RelayServer> {
  const log = deps.logger.child({ component: 'relay' });
  for (const route of ['token', 'upsert_entity', 'get_entity', 'delete_entity', 'search_entities', 'patch_run', 'add_run_log'])
    deps.metrics.relayRequestDuration.zero({ route });

  function send(res: ServerResponse, answer: RelayAnswer, startedMs: number): void {
    deps.metrics.relayRequests.inc({ route: answer.route, outcome: answer.outcome });
    deps.metrics.relayRequestDuration.observe({ route: answer.route }, (deps.now() - startedMs) / 1000);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
    res.end(answer.body);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const startedMs = deps.now();
    const routeName = matchRelayRoute(req.method ?? 'GET', req.url ?? '/').name;
    let answered = false;
    const answerOnce = (answer: RelayAnswer) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      send(res, answer, startedMs);
    };
    // The deadline covers the whole request: a slow sender, the token check, Port's answer.
    const timer = setTimeout(
      () =>
        answerOnce(
          portErrorAnswer(
            504,
            'timeout',
            `the relay did not answer within relay.requestDeadlineMs (${deps.requestDeadlineMs} ms)`,
            routeName,
            'timeout',
            { connection: 'close' },
          ),
        ),
      deps.requestDeadlineMs,
    );
    readCapped(req, deps.maxBodyBytes)
      .then(async (body) => {
        if (body.kind === 'aborted') {
          answered = true;
          clearTimeout(timer);
          return;
        }
        if (body.kind === 'too_large') {
          return answerOnce(
            portErrorAnswer(
              413,
              'payload_too_large',
              `request body exceeds relay.maxBodyBytes (${deps.maxBodyBytes} bytes)`,
              routeName,
              'too_large',
              { connection: 'close' },
            ),
          );
        }
        const answer = await deps.handle({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          authorization: req.headers.authorization,
          body: body.text,
        });
        answerOnce(answer);
      })
      .catch((err: unknown) => {
        log.error(`relay request failed: ${err instanceof Error ? err.message : String(err)}`);
        answerOnce(portErrorAnswer(500, 'internal_error', 'the relay failed to handle the request', routeName, 'error'));
      });
  };

  let server: Server;
  if (deps.tls) {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(deps.tls.certFile);
      key = readFileSync(deps.tls.keyFile);
    } catch (err) {
      throw new AgentError(
        'config',
        `relay.tlsCertFile/relay.tlsKeyFile: cannot read ${(err as NodeJS.ErrnoException).path ?? 'the file'} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    server = createHttpsServer({ cert, key }, onRequest);
  } else {
    server = createHttpServer(onRequest);
  }
  // Bounded header wait and keep-alive: a caller that opens connections and says nothing holds nothing for long.
  server.headersTimeout = Math.min(deps.requestDeadlineMs, 20_000);
  server.requestTimeout = deps.requestDeadlineMs + 1000;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new AgentError(
          'config',
          `relay: cannot listen on ${deps.host}:${deps.port} (${err.code ?? err.message}); check relay.host and relay.port`,
        ),
      ),
    );
    server.listen(deps.port, deps.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  log.info(`relay listening on ${deps.tls ? 'https' : 'http'}://${deps.host}:${port}`);
  if (!deps.tls)
    log.warn(
      "relay: plain HTTP (no relay.tlsCertFile): the workflows' tokens travel unencrypted unless a TLS-terminating Ingress sits in front",
    );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
