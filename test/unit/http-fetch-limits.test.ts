// Issue 23, HTTP: every answer of GHES and Port has a total deadline and a size cap. Raw
// node:http servers answer a GHES run list one byte every 300 ms (a scaled-down "one byte every
// 20 s", which undici's idle bodyTimeout never trips) and with a 500 MB body, streamed and never
// held: the deadline and the cap cut them, the connection is closed, the per-host slot freed.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createGithubApi } from '../../agent/github/github-api.js';
import { createGithubClients } from '../../agent/github/github-client.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { type RawServer, startRawServer } from './raw-server.js';

const logger = createLogger({ level: 'error', secrets: createSecretScrubber([]) });
const RUNS_PAGE = JSON.stringify({ total_count: 0, workflow_runs: [] });
const MB = 1024 * 1024;

/** Writes `total` bytes of a JSON string in 64 KiB chunks as fast as the client reads them; stops when the socket closes. */
function stream(res: ServerResponse, total: number, written: { bytes: number }): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('"');
  const more = () => {
    while (written.bytes < total && !res.destroyed) {
      written.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    if (!res.destroyed) res.end('"');
  };
  more();
}

describe('deadline and size cap on every answer (issue 23)', () => {
  let server: RawServer;
  const trickles: NodeJS.Timeout[] = [];
  const written = { bytes: 0 };
  before(async () => {
    server = await startRawServer((req, res) => {
      if (req.url.startsWith('/api/v3/repos/acme/slow/actions/runs') || req.url.startsWith('/v1/actions/runs/r_slow')) {
        // One byte every 300 ms, for ever: each byte restarts undici's idle timer.
        res.writeHead(200, { 'content-type': 'application/json' });
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 300);
        trickles.push(t);
        return;
      }
      if (req.url.startsWith('/api/v3/repos/acme/huge/actions/runs')) return stream(res, 500 * MB, written);
      if (req.url.startsWith('/api/v3/repos/acme/announced/actions/runs'))
        return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(500 * MB) }).write('"');
      if (req.url === '/v1/auth/access_token')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accessToken: 'tok', expiresIn: 3600 }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(RUNS_PAGE);
    });
  });
  after(async () => {
    for (const t of trickles) clearInterval(t);
    await server?.close();
  });

  /** GHES with one request at a time (github.maxConcurrency 1): a slot held by a stuck answer would stop every later one. */
  function ghes(limits: { deadlineMs: number; maxBodyBytes?: number }) {
    const cuts: string[] = [];
    const clients = createGithubClients({
      apiUrl: `${server.origin}/api/v3`,
      auth: { kind: 'token', token: 't' },
      fetch: createFetch({
        timeoutMs: 30_000,
        name: 'github.caFile',
        limits: {
          ...limits,
          deadlineSetting: 'github.requestDeadlineMs',
          sizeSetting: 'github.maxResponseBytes',
          onLimit: (l) => cuts.push(l),
        },
      }),
      maxConcurrency: 1,
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      clock: realClock,
    });
    return { api: createGithubApi({ clients, clock: realClock }), cuts };
  }

  // Each read is tried three times (Octokit's plugin-retry takes a cut answer for a failed
  // request, as it does a network error: github-client.ts), each try cut.
  it(
    'a GHES run list answered one byte every 300 ms is cut by a 1 s deadline; the connection is closed and the next request gets the slot',
    { timeout: 30_000 },
    async () => {
      const { api, cuts } = ghes({ deadlineMs: 1000 });
      const closedBefore = server.closedSockets;
      const started = Date.now();
      const err = await api.listRepoRuns('acme', 'slow', {}).then(
        () => assert.fail('the trickling answer was taken'),
        (e: Error & { code?: string; retriable?: boolean }) => e,
      );
      const took = Date.now() - started;
      assert.equal(err.code, 'timeout');
      assert.equal(err.retriable, true);
      assert.match(
        err.message,
        /^listing runs of acme\/slow: the answer of 127\.0\.0\.1:\d+ did not arrive whole within 1000 ms \(github\.requestDeadlineMs\); the connection was closed$/,
      );
      // Three tries of 1 s, and plugin-retry's waits of 1 s and 4 s between them.
      assert.ok(took >= 2900 && took < 15_000, `cut after ${took} ms`);
      assert.deepEqual(cuts, ['deadline', 'deadline', 'deadline']);
      await waitFor(() => server.closedSockets > closedBefore, 'the server sees the connection closed');
      // maxConcurrency is 1: this succeeds only because the stuck request gave its slot back.
      const next = await api.listRepoRuns('acme', 'fine', {});
      assert.equal(next.notModified, false);
    },
  );

  it("a Port answer trickling past port's deadline is cut the same way", { timeout: 15_000 }, async () => {
    const port = createPortClient({
      http: createPortHttp({
        baseUrl: server.origin,
        clientId: 'c',
        clientSecret: 's',
        fetch: createFetch({
          timeoutMs: 30_000,
          name: 'port.caFile',
          limits: { deadlineMs: 1000, deadlineSetting: 'port.requestDeadlineMs', sizeSetting: 'port.maxResponseBytes' },
        }),
        clock: realClock,
        metrics: createMetrics({ defaultMetrics: false }),
        logger,
      }),
    });
    await assert.rejects(port.getRun('r_slow'), (e: Error & { code?: string; retriable?: boolean }) => {
      assert.equal(e.code, 'timeout');
      assert.equal(e.retriable, true);
      assert.match(
        e.message,
        /^Port API get_run: the answer of 127\.0\.0\.1:\d+ did not arrive whole within 1000 ms \(port\.requestDeadlineMs\)/,
      );
      return true;
    });
  });

  it(
    'a 500 MB GHES answer, streamed or announced, is cut at the cap: nothing more is read, and the slot is freed',
    { timeout: 60_000 },
    async () => {
      const { api, cuts } = ghes({ deadlineMs: 60_000, maxBodyBytes: MB });
      const memoryBefore = process.memoryUsage().rss;
      for (const repo of ['huge', 'announced']) {
        await assert.rejects(api.listRepoRuns('acme', repo, {}), (e: Error & { code?: string; retriable?: boolean }) => {
          assert.equal(e.code, 'limits', repo);
          assert.equal(e.retriable, true);
          assert.match(
            e.message,
            new RegExp(
              `^listing runs of acme/${repo}: the answer of 127\\.0\\.0\\.1:\\d+ is larger than 1048576 bytes \\(github\\.maxResponseBytes\\); the connection was closed$`,
            ),
          );
          return true;
        });
      }
      assert.deepEqual(cuts, Array(6).fill('size'));
      await waitFor(() => written.bytes > 0 && server.closedSockets >= 6, 'the server sees the connections closed');
      const settled = written.bytes;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(written.bytes, settled, 'the server writes nothing more');
      // The socket buffers hold a few MB at most per try: the rest of the 500 MB was never sent.
      assert.ok(written.bytes < 64 * MB, `the server wrote ${Math.round(written.bytes / MB)} MB before the cut`);
      assert.ok(process.memoryUsage().rss - memoryBefore < 200 * MB, 'the body was not held');
      assert.equal((await api.listRepoRuns('acme', 'fine', {})).notModified, false);
    },
  );
});

async function waitFor(ok: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
