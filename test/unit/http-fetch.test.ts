// createFetch keeps fetch's contract on undici's request: what Octokit and the Port client read
// from a response, redirects followed, bodies that are never read not holding connections, and
// failures shaped like fetch's so the existing explanations still name the host and setting.
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFetch, describeNetworkError, proxyConfigured } from '../../agent/util/http-fetch.js';

describe('createFetch', () => {
  let server: Server;
  let origin = '';
  const seen: Array<{ method?: string; url?: string; body: string; auth?: string }> = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
        if (req.url === '/old') return void res.writeHead(301, { location: '/new' }).end();
        if (req.url === '/new') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"moved":true}');
        if (req.url === '/empty') return void res.writeHead(204).end();
        if (req.url === '/etag') return void res.writeHead(304, { etag: '"a"' }).end();
        // Well past the 200 ms timeout: undici's timers tick once a second, so a 200 ms timeout
        // fires after about 1 s, and an answer at 1 s raced it on a loaded machine.
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(201, 'Created Here', { 'content-type': 'application/json', 'x-poll-interval': '60' });
        res.end(JSON.stringify({ echo: body, q: req.url }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends method, headers and body; answers status, headers and JSON like a fetch Response', async () => {
    const fetch = createFetch({ timeoutMs: 5000, name: 'test' });
    const res = await fetch(`${origin}/v1/runs?x=1`, { method: 'PATCH', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(res.status, 201);
    assert.equal(res.ok, true);
    assert.equal(res.statusText, 'Created Here');
    assert.equal(res.url, `${origin}/v1/runs?x=1`);
    assert.equal(res.headers.get('X-Poll-Interval'), '60');
    assert.equal(res.headers.get('set-cookie'), 'a=1, b=2');
    assert.equal(res.headers.get('missing'), null);
    assert.equal(Object.fromEntries(res.headers)['content-type'], 'application/json');
    assert.deepEqual(await res.json(), { echo: '{"a":1}', q: '/v1/runs?x=1' });
    assert.deepEqual(seen.at(-1), { method: 'PATCH', url: '/v1/runs?x=1', body: '{"a":1}', auth: 'Bearer t' });
  });

  it('follows a redirect (a renamed repository answers 301)', async () => {
    const res = await createFetch({ timeoutMs: 5000, name: 'test' })(`${origin}/old`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { moved: true });
  });

  it('answers without a body (204, 304) read as empty and, left unread, do not hold their connections', async () => {
    const fetch = createFetch({ timeoutMs: 2000, name: 'test' });
    // More unread answers than the pool's 64 connections: each must release its socket.
    const all = await Promise.all(Array.from({ length: 150 }, (_, i) => fetch(`${origin}/${i % 2 ? 'empty' : 'etag'}`)));
    assert.deepEqual([...new Set(all.map((r) => r.status))].sort(), [204, 304]);
    assert.equal(await all[0]!.text(), '');
    assert.equal(all[0]!.headers.get('etag'), '"a"');
    assert.equal((await fetch(`${origin}/new`)).status, 200);
  });

  it('a network failure rejects like fetch (TypeError with the cause) and is explained with the setting', async () => {
    const err = await createFetch({ timeoutMs: 2000, name: 'test' })('http://127.0.0.1:1/x').then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TypeError);
    assert.equal((err as Error).message, 'fetch failed');
    assert.equal(describeNetworkError(err, '127.0.0.1:1', 'port.caFile'), 'connection to 127.0.0.1:1 refused');
  });

  it('an abort rejects with the signal reason; a slow answer times out with a clear message', async () => {
    const fetch = createFetch({ timeoutMs: 200, name: 'test' });
    const ac = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => ac.abort(reason), 20);
    await assert.rejects(fetch(`${origin}/slow`, { signal: ac.signal }), (e) => e === reason);
    const err = await fetch(`${origin}/slow`).then(() => undefined, (e: unknown) => e);
    assert.equal(describeNetworkError(err, 'ghes.example', 'github.caFile'), 'request to ghes.example timed out');
  });
});

describe('proxyConfigured', () => {
  it('is true when any of the variables undici reads names a proxy, false when none does', () => {
    assert.equal(proxyConfigured({}), false);
    assert.equal(proxyConfigured({ NO_PROXY: 'localhost', http_proxy: '' }), false);
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY']) assert.equal(proxyConfigured({ [name]: 'http://proxy:3128' }), true, name);
  });
});
