// A raw node:http(s) server for the HTTP trust-boundary tests (issue 23): every request it
// receives is recorded (method, path, headers, body), and a handler answers as a hostile or
// broken remote would (redirects elsewhere, bodies that trickle or never end).
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface RawServer {
  origin: string;
  seen: SeenRequest[];
  /** Connections the server saw closed (by either side), in order. */
  closedSockets: number;
  close(): Promise<void>;
}

export async function startRawServer(
  handle: (req: SeenRequest, res: ServerResponse, server: RawServer) => void,
  tls?: { certPem: string; keyPem: string },
): Promise<RawServer> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      raw.seen.push(seen);
      handle(seen, res, raw);
    });
  };
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, listener) : createHttpServer(listener);
  const sockets = new Set<Socket>();
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      raw.closedSockets++;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const raw: RawServer = {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: [],
    closedSockets: 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return raw;
}
