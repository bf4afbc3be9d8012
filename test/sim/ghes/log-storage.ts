// The job-log storage host: a second origin, as GitHub's blob storage is (job logs answer 302
// to a signed URL there). A request carrying an Authorization header is refused: blob storage
// authenticates by the URL's signature and rejects another scheme (Azure Storage answers such
// a request 400/403 "AuthenticationFailed"; INFERRED for GHES's own storage). Any request seen
// with credentials is recorded, so a test can prove the GHES token never reached this host.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SimContext } from './context.js';
import { jobLog } from './jobs.js';
import { findJob } from './routes/run-control.js';
import type { StorageRequestEntry } from './types.js';

export interface LogStorage {
  origin: string;
  key: Buffer;
  requests(): StorageRequestEntry[];
  close(): Promise<void>;
}

export async function startLogStorage(ctx: SimContext, tls?: { certPem: string; keyPem: string }): Promise<LogStorage> {
  const key = randomBytes(32);
  const log: StorageRequestEntry[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://storage');
    const authorization = req.headers.authorization ?? null;
    const answer = (status: number, body: string, type = 'application/xml'): void => {
      log.push({ at: Date.now(), path: url.pathname, status, authorization });
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    const m = /^\/actions-results\/job-logs\/(\d+)\.txt$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return answer(404, '<Error><Code>ResourceNotFound</Code></Error>');
    if (authorization !== null)
      return answer(
        403,
        '<Error><Code>AuthenticationFailed</Code><Message>Authorization header not accepted with a signed URL</Message></Error>',
      );
    const jobId = Number(m[1]);
    const se = Number(url.searchParams.get('se'));
    const want = createHmac('sha256', key).update(`${jobId}.${se}`).digest();
    const got = Buffer.from(url.searchParams.get('sig') ?? '', 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return answer(403, '<Error><Code>AuthenticationFailed</Code></Error>');
    if (ctx.clock.now() > se)
      return answer(403, '<Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed</Message></Error>');
    const found = findJob(ctx, jobId);
    if (!found) return answer(404, '<Error><Code>BlobNotFound</Code></Error>');
    answer(200, jobLog(found.job), 'text/plain; charset=utf-8');
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    key,
    requests: () => log.map((e) => ({ ...e })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
