// createFetch keeps fetch's contract on undici's request: what Octokit and the Port client read
// from a response, redirects followed, bodies that are never read not holding connections, and
// failures shaped like fetch's so the existing explanations still name the host and setting.
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  MAX_REDIRECTS,
  createFetch,
  describeNetworkError,
  proxyConfigured,
  redirectRequest,
  requestTarget,
} from '../../agent/util/http-fetch.js';

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
        if (req.url === '/moved-post') return void res.writeHead(307, { location: '/new' }).end('a body never read');
        if (req.url === '/away')
          return void res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/new` }).end();
        const hop = /^\/loop\/(\d+)$/.exec(req.url ?? '');
        if (hop) return void res.writeHead(302, { location: `/loop/${Number(hop[1]) + 1}` }).end();
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
    const res = await fetch(`${origin}/v1/runs?x=1`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
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
    assert.equal(res.url, `${origin}/new`);
    assert.deepEqual(await res.json(), { moved: true });
  });

  it('a 307 repeats the POST with its body; another origin is not followed with credentials; a chain stops after MAX_REDIRECTS', async () => {
    const fetch = createFetch({ timeoutMs: 5000, name: 'test' });
    seen.length = 0;
    assert.equal(
      (await fetch(`${origin}/moved-post`, { method: 'POST', headers: { authorization: 'token t' }, body: '{"ref":"main"}' })).status,
      200,
    );
    assert.deepEqual(seen.at(-1), { method: 'POST', url: '/new', body: '{"ref":"main"}', auth: 'token t' });
    // 127.0.0.1 → localhost: another origin for the URL rules, the same server here. Issue 23:
    // with credentials the redirect is the answer (it used to be followed without them).
    const away = await fetch(`${origin}/away`, { headers: { authorization: 'token t' } });
    assert.equal(away.status, 302);
    assert.match(String(away.redirectRefused), /another origin and the request carries credentials/);
    assert.deepEqual(seen.at(-1), { method: 'GET', url: '/away', body: '', auth: 'token t' });
    // Without credentials nor body, another origin is followed.
    assert.equal((await fetch(`${origin}/away`)).status, 200);
    assert.deepEqual(seen.at(-1), { method: 'GET', url: '/new', body: '', auth: undefined });
    const loop = await fetch(`${origin}/loop/0`);
    assert.equal(loop.status, 302);
    assert.equal(loop.url, `${origin}/loop/${MAX_REDIRECTS}`);
    // Without following, the redirect itself is the answer.
    assert.equal((await createFetch({ timeoutMs: 5000, name: 'test', followRedirects: false })(`${origin}/old`)).status, 301);
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
    assert.equal(err.message, 'fetch failed');
    assert.equal(describeNetworkError(err, '127.0.0.1:1', 'port.caFile'), 'connection to 127.0.0.1:1 refused');
  });

  it('an abort rejects with the signal reason; a slow answer times out with a clear message', async () => {
    const fetch = createFetch({ timeoutMs: 200, name: 'test' });
    const ac = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => ac.abort(reason), 20);
    await assert.rejects(fetch(`${origin}/slow`, { signal: ac.signal }), (e) => e === reason);
    const err = await fetch(`${origin}/slow`).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(describeNetworkError(err, 'ghes.example', 'github.caFile'), 'request to ghes.example timed out');
  });
});

describe('redirectRequest', () => {
  const from = new URL('https://ghes.example/api/v3/repos/acme/old/actions/workflows/a.yml/dispatches');
  const post = {
    url: from,
    method: 'POST',
    headers: { authorization: 'token t', 'content-type': 'application/json', host: 'ghes.example' },
    body: '{"ref":"main"}',
  };
  it('307/308 repeat the request as it was, without the Host header', () => {
    for (const status of [307, 308]) {
      assert.deepEqual(redirectRequest(post, status, '/api/v3/repos/acme/new/actions/workflows/a.yml/dispatches'), {
        url: new URL('https://ghes.example/api/v3/repos/acme/new/actions/workflows/a.yml/dispatches'),
        method: 'POST',
        headers: { authorization: 'token t', 'content-type': 'application/json' },
        body: '{"ref":"main"}',
      });
    }
  });
  it('a 301/302 to a POST and a 303 become a GET without a body; a 303 drops the Content-* headers', () => {
    for (const status of [301, 302])
      assert.deepEqual(redirectRequest(post, status, '/x'), {
        url: new URL('https://ghes.example/x'),
        method: 'GET',
        headers: { authorization: 'token t', 'content-type': 'application/json' },
        body: undefined,
      });
    assert.deepEqual(redirectRequest({ ...post, method: 'PATCH' }, 303, '/x'), {
      url: new URL('https://ghes.example/x'),
      method: 'GET',
      headers: { authorization: 'token t' },
      body: undefined,
    });
    assert.equal(redirectRequest({ ...post, method: 'HEAD', body: undefined }, 303, '/x')?.method, 'HEAD');
    assert.equal(redirectRequest({ ...post, method: 'GET', body: undefined }, 301, '/x')?.method, 'GET');
  });
  it('credentials never follow to another origin', () => {
    // Issue 23: such a redirect is no longer followed without the credentials; it is not followed at all.
    const r = redirectRequest(
      { ...post, headers: { Authorization: 'token t', Cookie: 'a=1', 'Proxy-Authorization': 'Basic x', accept: 'application/json' } },
      307,
      'https://storage.example/blob',
    );
    assert.equal(r, undefined);
    assert.equal(redirectRequest(post, 307, 'http://ghes.example/x')?.headers?.authorization, undefined, 'http is another origin');
  });
  it('not a redirect to follow: another status, no Location, a Location that is no URL', () => {
    assert.equal(redirectRequest(post, 304, '/x'), undefined);
    assert.equal(redirectRequest(post, 200, '/x'), undefined);
    assert.equal(redirectRequest(post, 301, undefined), undefined);
    assert.equal(redirectRequest(post, 301, 'http://[bad'), undefined);
  });
});

describe('requestTarget', () => {
  it('splits a URL as the URL parser does, plain or not', () => {
    const inputs = [
      'https://ghes.example/api/v3/repos/acme/infra/actions/workflows/deploy.yml/dispatches',
      'http://127.0.0.1:43121/v1/actions/runs/r_tp0000001?version=v2',
      'https://api.getport.io/v1/actions/runs/r_1/logs',
      'https://ghes.example:8443/api/v3/repos/a/b/actions/runs?status=completed&created=%3E%3D2026-01-01T00:00:00Z&per_page=100&page=2',
      'https://ghes.example/api/v3/search?q=a%20b&x=(1)*;y=@:/?z',
      // Not plain: each is left to the URL parser.
      'https://GHES.example/api/v3/x',
      'https://ghes.example:443/api/v3/x',
      'http://ghes.example:80/x',
      'http://ghes.example:080/x',
      'https://ghes.example/api/v3/../x',
      'https://ghes.example/api/v3/./x',
      'https://ghes.example/api/v3/%2E%2e/x',
      'https://ghes.example/api/v3/x y',
      "https://ghes.example/api/v3/x?q='a'",
      'https://ghes.example/a?b#frag',
      'https://ghes.example',
      'http://127.1/x',
      'http://0x7f.0.0.1/x',
      'http://010.0.0.1/x',
      'https://ghes.example/a\\b',
      'https://ghes.example/a"b',
      'https://ghes.example/é',
    ];
    for (const input of inputs) {
      const url = new URL(input);
      assert.deepEqual(
        requestTarget(input),
        { origin: url.origin, path: `${url.pathname}${url.search}`, href: input === url.href ? input : url.href },
        input,
      );
    }
    assert.deepEqual(requestTarget(new URL('https://ghes.example/x?y=1')), {
      origin: 'https://ghes.example',
      path: '/x?y=1',
      href: 'https://ghes.example/x?y=1',
    });
  });
});

describe('proxyConfigured', () => {
  it('is true when any of the variables undici reads names a proxy, false when none does', () => {
    assert.equal(proxyConfigured({}), false);
    assert.equal(proxyConfigured({ NO_PROXY: 'localhost', http_proxy: '' }), false);
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'])
      assert.equal(proxyConfigured({ [name]: 'http://proxy:3128' }), true, name);
  });
});
