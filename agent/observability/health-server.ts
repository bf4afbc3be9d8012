import { type Server, createServer } from 'node:http';
import type { Metrics } from './metrics.js';

/**
 * /metrics, /livez and /readyz on plain node:http. /livez checks no dependency (a GHES or Port
 * outage must not get pods restarted), only that the event loop still turns; /readyz says
 * whether this replica is a working member of its consumer group.
 */
export function startHealthServer(deps: {
  host: string;
  port: number;
  metrics: Metrics;
  /** `notes`: what works only in part while ready (a kind of run not claimed), shown after "ready". */
  ready: () => { ready: boolean; reasons: string[]; notes?: string[] };
  now?: () => number;
}): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const now = deps.now ?? Date.now;
  let lastTick = now();
  const ticker = setInterval(() => (lastTick = now()), 1000);
  ticker.unref();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/livez') {
      const stalledMs = now() - lastTick;
      const ok = stalledMs < 30_000;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : `event loop stalled for ${stalledMs} ms\n`);
      return;
    }
    if (path === '/readyz') {
      const r = deps.ready();
      deps.metrics.ready.set(r.ready ? 1 : 0);
      const notes = r.notes?.length ? ` (${r.notes.join('; ')})` : '';
      res
        .writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(r.ready ? `ready${notes}\n` : `not ready: ${[...r.reasons, ...(r.notes ?? [])].join('; ')}\n`);
      return;
    }
    if (path === '/metrics') {
      if (deps.ready) deps.metrics.ready.set(deps.ready().ready ? 1 : 0);
      deps.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address ? address.port : deps.port,
        close: () =>
          new Promise<void>((r) => {
            clearInterval(ticker);
            server.close(() => r());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}
