// Small network pieces for the security tests: a forward proxy that records what it carried,
// a TLS terminator in front of an http simulator, and Port-shaped messages with chosen
// signature and record timestamps.
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect } from 'node:net';
import type { GithubInvocation, SimPortRun } from '../sim/port/types.js';
import { buildRunMessage, signRunMessage } from '../sim/publisher.js';
import type { LocalStack } from '../stack/local-stack.js';

export interface RecordingProxy {
  url: string;
  /** host:port of every CONNECT tunnel and absolute-form request, in order. */
  hosts: string[];
  close(): Promise<void>;
}

/** A forward proxy: CONNECT tunnels for https URLs, absolute-form requests for http URLs. */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  const hosts: string[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    hosts.push(target.host);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: `${target.pathname}${target.search}`, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, socket, head) => {
    hosts.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hosts,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** HTTPS in front of an http server (the Port simulator speaks http only). */
export async function startTlsTerminator(
  tls: { certPem: string; keyPem: string },
  target: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A run created in the Port simulator and published with the given signature and Kafka record timestamps. */
export async function publishWithTimes(
  stack: LocalStack,
  invocation: GithubInvocation,
  opts: { signedAtS?: number; writtenAtMs?: number; sign?: boolean },
): Promise<SimPortRun> {
  const run = stack.port.createRun({ invocation });
  let msg = buildRunMessage({ orgId: stack.org, run });
  if (opts.sign !== false) msg = signRunMessage(msg, stack.port.clientSecret, opts.signedAtS);
  await stack.producer.send({
    topic: stack.topic,
    messages: [
      { key: run.id, value: JSON.stringify(msg), timestamp: opts.writtenAtMs === undefined ? undefined : String(opts.writtenAtMs) },
    ],
  });
  return run;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
