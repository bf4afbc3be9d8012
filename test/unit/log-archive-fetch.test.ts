// Issue 23, item 4: the job log's Location comes from GHES's answer, and whoever shapes that
// answer chooses where the agent reads from and what ends up in Port's summary. Only https, no
// credentials, no redirect beyond GHES's own, never a loopback, link-local or metadata address
// (checked where the connection actually goes: a name resolving to 127.0.0.1 counts), GHES's
// own host always accepted; with github.logHosts, only GHES and those hosts. A refusal is
// logged, counted as outcome "refused", and nothing of the log is returned for Port.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fetchFailureExcerpt } from '../../agent/github/failure-excerpt.js';
import { type Lookup, createLogArchiveFetch } from '../../agent/github/log-archive-fetch.js';
import { checkLogUrl, forbiddenAddress } from '../../agent/github/log-archive-rules.js';
import type { WorkflowJob } from '../../agent/github/run-insight-api.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { generateCa, issueServerCert } from '../stack/certs.js';

const LOG = [
  '2026-01-01T10:00:01.0000000Z ##[group]Run npm test',
  '2026-01-01T10:00:02.0000000Z SECRET-FROM-STORAGE',
  '2026-01-01T10:00:03.0000000Z ##[error]Process completed with exit code 1.',
].join('\n');

const job: WorkflowJob = {
  id: 7,
  name: 'test',
  status: 'completed',
  conclusion: 'failure',
  started_at: '2026-01-01T10:00:00Z',
  completed_at: '2026-01-01T10:00:09Z',
  html_url: 'https://ghes/acme/infra/actions/runs/5/job/7',
  steps: [
    {
      name: 'Run tests',
      number: 1,
      status: 'completed',
      conclusion: 'failure',
      started_at: '2026-01-01T10:00:01Z',
      completed_at: '2026-01-01T10:00:04Z',
    },
  ],
};

interface Seen {
  path: string;
  authorization: string | undefined;
  cookie: string | undefined;
}

/** A storage host: answers the log, or a redirect at /hop; records every request and every connection. */
async function storage(tls?: {
  cert: string;
  key: string;
}): Promise<{ port: number; seen: Seen[]; connections: () => number; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  let connections = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization, cookie: req.headers.cookie });
    if (req.url?.startsWith('/hop')) return void res.writeHead(302, { location: '/log?again=1' }).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(LOG);
  };
  const server: Server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function logged() {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ level: 'info', secrets: createSecretScrubber(), stream: out }), lines };
}

/** The failure excerpt as the agent reads it, with the log at `location`, through the archive fetch. */
async function excerptFrom(
  location: string,
  opts: { ghesUrls: string[]; logHosts?: string[]; lookup?: Lookup; caFile?: string; env?: NodeJS.ProcessEnv },
) {
  const { logger, lines } = logged();
  const storageFetch = createLogArchiveFetch({
    rules: { ghesUrls: opts.ghesUrls, logHosts: opts.logHosts ?? [] },
    timeoutMs: 2000,
    logger,
    lookup: opts.lookup,
    caFile: opts.caFile,
    env: opts.env ?? {},
  });
  const got = await fetchFailureExcerpt(
    {
      api: { listJobs: async () => ({ jobs: [job] }), jobLogLocation: async () => location },
      storageFetch,
      scrub: (t) => t,
      settings: { lines: 10, maxBytes: 4000, logMaxBytes: 100_000, timeoutMs: 3000 },
    },
    { owner: 'acme', repo: 'infra', runId: 5 },
  );
  await new Promise((r) => setImmediate(r));
  return { got, lines };
}

/** An HTTP CONNECT proxy (undici's ProxyAgent tunnels every request): records each tunnel asked for. */
async function connectProxy(): Promise<{ port: number; tunnels: string[]; close: () => Promise<void> }> {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: IncomingMessage, socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tunnels,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A resolver that knows only `names`, and records what it was asked. */
function fakeDns(names: Record<string, string>): Lookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    const address = names[hostname];
    if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return Object.assign(lookup, { asked });
}

describe('job log archives: where the agent may read from (issue 23)', () => {
  let plain: Awaited<ReturnType<typeof storage>>;
  before(async () => {
    plain = await storage();
  });
  after(async () => {
    await plain.close();
  });

  const refusedWithNothing = (r: Awaited<ReturnType<typeof excerptFrom>>, why: RegExp) => {
    assert.equal(r.got.outcome, 'refused', r.got.error);
    assert.match(r.got.error ?? '', why);
    assert.equal(r.got.excerpt, undefined, 'nothing of the log is returned for Port');
    assert.equal(r.got.jobLines.length, 1, 'the failed job is still named');
    assert.doesNotMatch(JSON.stringify(r.got), /SECRET-FROM-STORAGE/);
  };

  it("GHES's own host over http, when GHES itself is configured over http (the local test stack): read, without credentials, the host logged", async () => {
    const before = plain.seen.length;
    const r = await excerptFrom(`http://127.0.0.1:${plain.port}/log?sig=abc`, {
      ghesUrls: ['http://127.0.0.1:1', 'http://127.0.0.1:1/api/v3'],
    });
    assert.equal(r.got.outcome, 'ok', r.got.error);
    assert.match(r.got.excerpt?.text ?? '', /SECRET-FROM-STORAGE/);
    const mine = plain.seen.slice(before);
    assert.deepEqual(
      mine.map((s) => [s.authorization, s.cookie]),
      [[undefined, undefined]],
    );
    assert.ok(
      r.lines.some((l) => /reading a job log from 127\.0\.0\.1/.test(l)),
      r.lines.join('\n'),
    );
    assert.ok(
      r.lines.every((l) => !l.includes('sig=abc')),
      'the signed URL is not logged',
    );
  });

  it('a Location over http:// (GHES is https): not fetched, nothing posted', async () => {
    const before = plain.connections();
    const r = await excerptFrom(`http://127.0.0.1:${plain.port}/log`, { ghesUrls: ['https://127.0.0.1'] });
    refusedWithNothing(r, /storage host 127\.0\.0\.1 is not accepted: its scheme is http, not https/);
    assert.equal(plain.connections(), before, 'the storage server saw no connection');
  });

  it("a name other than GHES's that resolves to 127.0.0.1: refused at the connection, the storage server sees nothing", async () => {
    const dns = fakeDns({ 'logs.example.test': '127.0.0.1' });
    const before = plain.connections();
    const r = await excerptFrom(`https://logs.example.test:${plain.port}/log`, { ghesUrls: ['https://ghes.example.test'], lookup: dns });
    refusedWithNothing(r, /logs\.example\.test is not accepted: it resolves to 127\.0\.0\.1, a loopback address/);
    assert.deepEqual(dns.asked, ['logs.example.test'], 'the name was resolved, and the answer judged');
    assert.equal(plain.connections(), before);
  });

  it('loopback and metadata names, and loopback, link-local and metadata addresses: not fetched', async () => {
    const dns = fakeDns({
      'meta.example.test': '169.254.169.254',
      'v6.example.test': 'fe80::1',
      'mapped.example.test': '::ffff:127.0.0.1',
    });
    const before = plain.connections();
    const cases: Array<[string, RegExp]> = [
      [`https://localhost:${plain.port}/log`, /loopback or cloud metadata name/],
      ['https://metadata.google.internal/computeMetadata/v1/', /loopback or cloud metadata name/],
      [`https://[::1]:${plain.port}/log`, /a loopback address/],
      [`https://[::ffff:127.0.0.1]:${plain.port}/log`, /a loopback address/],
      ['https://169.254.169.254/latest/meta-data/iam/security-credentials/', /a link-local address/],
      ['https://[fe80::1]/log', /a link-local address/],
      ['https://[fd00:ec2::254]/latest/meta-data/', /a cloud metadata address/],
      ['https://0.0.0.0/log', /an address of this host/],
      ['https://meta.example.test/latest/meta-data/', /resolves to 169\.254\.169\.254, a link-local address/],
      ['https://v6.example.test/log', /resolves to fe80::1, a link-local address/],
      [`https://mapped.example.test:${plain.port}/log`, /resolves to ::ffff:127\.0\.0\.1, a loopback address/],
    ];
    for (const [location, why] of cases)
      refusedWithNothing(await excerptFrom(location, { ghesUrls: ['https://ghes.example.test'], lookup: dns }), why);
    assert.equal(plain.connections(), before);
  });

  it('with github.logHosts set, an unlisted host: not fetched, not even resolved', async () => {
    const dns = fakeDns({ 'other.example.test': '203.0.113.9' });
    const r = await excerptFrom('https://other.example.test/log', {
      ghesUrls: ['https://ghes.example.test'],
      logHosts: ['storage.example.test'],
      lookup: dns,
    });
    refusedWithNothing(r, /other\.example\.test is not accepted: the host is not GHES and not in github\.logHosts/);
    assert.deepEqual(dns.asked, []);
  });

  it('through an HTTPS_PROXY (which resolves names itself): a name leading to a metadata or loopback address is refused before the proxy is asked', async () => {
    const dns = fakeDns({ 'meta.example.test': '169.254.169.254', 'logs.example.test': '127.0.0.1' });
    const proxy = await connectProxy();
    try {
      const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, HTTP_PROXY: `http://127.0.0.1:${proxy.port}` };
      refusedWithNothing(
        await excerptFrom('https://meta.example.test/latest/meta-data/', { ghesUrls: ['https://ghes.example.test'], lookup: dns, env }),
        /resolves to 169\.254\.169\.254/,
      );
      refusedWithNothing(
        await excerptFrom(`https://logs.example.test:${plain.port}/log`, { ghesUrls: ['https://ghes.example.test'], lookup: dns, env }),
        /resolves to 127\.0\.0\.1/,
      );
      assert.deepEqual(proxy.tunnels, [], 'the proxy was never asked');
      // An accepted host is read through the proxy, as every other request of the agent is.
      const direct = plain.seen.length;
      const ok = await excerptFrom(`http://127.0.0.1:${plain.port}/log`, { ghesUrls: ['http://127.0.0.1:1'], env });
      assert.equal(ok.got.outcome, 'ok', ok.got.error);
      assert.deepEqual(proxy.tunnels, [`127.0.0.1:${plain.port}`]);
      assert.equal(plain.seen.length, direct + 1, 'the storage host answered through the tunnel');
    } finally {
      await proxy.close();
    }
  });

  it("the storage host's own redirect is not followed", async () => {
    const before = plain.seen.length;
    const r = await excerptFrom(`http://127.0.0.1:${plain.port}/hop`, { ghesUrls: ['http://127.0.0.1:1'] });
    assert.equal(r.got.outcome, 'error');
    assert.match(r.got.error ?? '', /answered 302/);
    assert.deepEqual(
      plain.seen.slice(before).map((s) => s.path),
      ['/hop'],
    );
  });

  it("https to GHES's host (which may be loopback: the operator chose it), verified with github.caFile", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-archive-'));
    const ca = await generateCa(dir, 'logs');
    const cert = await issueServerCert(ca, dir, 'storage');
    const tls = await storage({ cert: cert.certPem, key: cert.keyPem });
    try {
      const r = await excerptFrom(`https://localhost:${tls.port}/log`, { ghesUrls: ['https://localhost'], caFile: cert.caFile });
      assert.equal(r.got.outcome, 'ok', r.got.error);
      assert.deepEqual(
        tls.seen.map((s) => s.authorization),
        [undefined],
      );
    } finally {
      await tls.close();
    }
  });
});

describe('log archive rules', () => {
  const rules = { ghesUrls: ['https://ghes.example.com', 'https://ghes.example.com/api/v3'], logHosts: [] };
  it("accepts https on the storage host GHES names, and GHES's host whatever it resolves to", () => {
    assert.equal(checkLogUrl(rules, 'https://blob.core.example.net/logs/1.txt?sig=x').ok, true);
    assert.equal(checkLogUrl(rules, 'https://GHES.example.com./storage/1.txt').ok, true);
    assert.equal(checkLogUrl({ ...rules, logHosts: ['Blob.Example.net'] }, 'https://blob.example.net/1').ok, true);
    assert.equal(
      checkLogUrl({ ...rules, logHosts: ['blob.example.net'] }, 'https://ghes.example.com/1').ok,
      true,
      'GHES is always accepted',
    );
  });
  it('refuses other schemes and credentials in the URL', () => {
    for (const u of [
      'ftp://blob.example.net/1',
      'file:///etc/passwd',
      'http://ghes.example.com/1',
      'https://u:p@blob.example.net/1',
      'https://[bad',
    ]) {
      assert.equal(checkLogUrl(rules, u).ok, false, u);
    }
    assert.deepEqual(
      checkLogUrl(rules, '/storage/1.txt').ok && checkLogUrl(rules, '/storage/1.txt'),
      { ok: true, url: new URL('https://ghes.example.com/storage/1.txt'), host: 'ghes.example.com', ghesHost: true },
      'a relative Location is on GHES',
    );
  });
  it('addresses: private ranges pass (GHES storage is often internal), loopback, this host, link-local and metadata do not', () => {
    for (const a of ['10.0.0.5', '172.16.3.4', '192.168.1.1', '203.0.113.9', 'fd12::1', '2001:db8::1'])
      assert.equal(forbiddenAddress(a), undefined, a);
    for (const a of [
      '127.0.0.1',
      '127.9.9.9',
      '0.0.0.0',
      '169.254.169.254',
      '169.254.170.2',
      '100.100.100.200',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:169.254.169.254',
    ])
      assert.ok(forbiddenAddress(a), a);
  });
});
