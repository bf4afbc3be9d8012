// Issue 13's pure parts and small adapters, with fakes: the failed step's lines picked from a
// job log by its timestamps, the excerpt's bounds, job progress lines, the approval line, org
// routing, cancel then force-cancel, and the pacing of Port end checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { supportsForceCancel, cancelRun } from '../../agent/github/cancel-run.js';
import { describeFailedJobs, fetchFailureExcerpt, stepLines, tail } from '../../agent/github/failure-excerpt.js';
import type { WorkflowJob } from '../../agent/github/run-insight-api.js';
import { createLogger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createOrgRouting } from '../../agent/run/org-routing.js';
import { createPortEndWatch } from '../../agent/run/port-end-watch.js';
import { createJobReadPacer } from '../../agent/run/job-read-pacer.js';
import { type InsightDeps, approvalLine, createRunInsight, progressLines } from '../../agent/run/run-insight.js';
import { virtualClock } from './virtual-clock.js';
import type { Clock } from '../../agent/util/backoff.js';
import { ResponseHeaders, type FetchFn } from '../../agent/util/http-fetch.js';
import { Readable } from 'node:stream';

const LOG = [
  '2026-01-01T10:00:00.1000000Z Requested labels: self-hosted',
  '2026-01-01T10:00:01.0000000Z ##[group]Run npm test',
  '2026-01-01T10:00:01.0000000Z ##[endgroup]',
  '2026-01-01T10:00:02.5000000Z FAIL src/deploy.test.ts',
  '2026-01-01T10:00:03.5000000Z Tests: 1 failed',
  '2026-01-01T10:00:04.0000000Z ##[error]Process completed with exit code 1.',
  '2026-01-01T10:00:09.0000000Z Post job cleanup.',
].join('\n');

const job = (over: Partial<WorkflowJob>): WorkflowJob => ({
  id: 1,
  name: 'test',
  status: 'completed',
  conclusion: 'failure',
  started_at: '2026-01-01T10:00:00Z',
  completed_at: '2026-01-01T10:00:09Z',
  html_url: 'https://ghes/acme/infra/actions/runs/5/job/1',
  steps: [
    {
      name: 'Set up',
      number: 1,
      status: 'completed',
      conclusion: 'success',
      started_at: '2026-01-01T10:00:00Z',
      completed_at: '2026-01-01T10:00:00Z',
    },
    {
      name: 'Run tests',
      number: 2,
      status: 'completed',
      conclusion: 'failure',
      started_at: '2026-01-01T10:00:01Z',
      completed_at: '2026-01-01T10:00:04Z',
    },
    {
      name: 'Upload',
      number: 3,
      status: 'completed',
      conclusion: 'skipped',
      started_at: '2026-01-01T10:00:04Z',
      completed_at: '2026-01-01T10:00:04Z',
    },
  ],
  ...over,
});

const quiet = createLogger({ level: 'error', secrets: { scrub: (t: string) => t, add: () => undefined } as never });

/** Run insight with fakes: job progress only (unless `jobProgress` is false), paced by `perMinute` (0: no budget). */
function insightWith(api: InsightDeps['api'], clock: Clock, opts: { jobProgress?: boolean; perMinute?: number } = {}) {
  const jobReads = createJobReadPacer({ perMinute: opts.perMinute ?? 0, clock });
  const settings = {
    jobProgress: opts.jobProgress ?? true,
    approvals: false,
    failureExcerpt: false,
    excerpt: { lines: 1, maxBytes: 100, logMaxBytes: 1024, timeoutMs: 100 },
  };
  return {
    jobReads,
    insight: createRunInsight({
      api,
      storageFetch: textFetch(''),
      scrub: (t) => t,
      clock,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: quiet,
      jobReads,
      settings,
    }),
  };
}

function textFetch(body: string, status = 200, seen: Array<Record<string, string> | undefined> = []): FetchFn {
  return async (_url, init) => {
    seen.push(init?.headers);
    const stream = Readable.from([Buffer.from(body)]) as unknown as Parameters<typeof Object>[0];
    Object.assign(stream, { dump: async () => undefined, text: async () => body });
    return {
      ok: status < 300,
      status,
      statusText: '',
      url: String(_url),
      headers: new ResponseHeaders({}),
      body: stream as never,
      text: async () => body,
      json: async () => JSON.parse(body),
      arrayBuffer: async () => new ArrayBuffer(0),
    };
  };
}

describe('failure excerpt', () => {
  it("picks the failed step's lines by their timestamps, without the group markers", () => {
    assert.deepEqual(stepLines(LOG, job({}).steps[1]), [
      'FAIL src/deploy.test.ts',
      'Tests: 1 failed',
      'Error: Process completed with exit code 1.',
    ]);
  });
  it('without step times, the last step that opened before the last error, through that error', () => {
    assert.deepEqual(stepLines(LOG, undefined), [
      'FAIL src/deploy.test.ts',
      'Tests: 1 failed',
      'Error: Process completed with exit code 1.',
    ]);
  });
  it("steps shorter than the timestamps' second share the window: the neighbours are cut off", () => {
    const short = [
      '2026-01-01T10:00:01.1000000Z ##[group]Run Set up',
      '2026-01-01T10:00:01.2000000Z Set up: ok',
      '2026-01-01T10:00:01.3000000Z ##[group]Run npm test',
      '2026-01-01T10:00:01.4000000Z FAIL',
      '2026-01-01T10:00:01.5000000Z ##[error]Process completed with exit code 1.',
      '2026-01-01T10:00:01.6000000Z Cleaning up orphan processes',
    ].join('\n');
    assert.deepEqual(stepLines(short, { started_at: '2026-01-01T10:00:01Z', completed_at: '2026-01-01T10:00:01Z' }), [
      'FAIL',
      'Error: Process completed with exit code 1.',
    ]);
  });
  it('keeps the last lines within the line and byte bounds', () => {
    assert.equal(tail(['a', 'b', 'c', 'd'], 2, 100), 'c\nd');
    assert.equal(tail(['aaaa', 'bbbb', 'cccc'], 10, 10), 'bbbb\ncccc');
    assert.equal(tail(['x'.repeat(1000)], 1, 1000).length, 501, 'one very long line is cut');
  });
  it('names each failed job and its failed step, ten at most', () => {
    assert.deepEqual(describeFailedJobs([job({})]), [
      'Failed job "test", step "Run tests" (failure): https://ghes/acme/infra/actions/runs/5/job/1',
    ]);
    assert.equal(describeFailedJobs(Array.from({ length: 12 }, (_, i) => job({ id: i }))).at(-1), '… and 2 more failed jobs');
  });
  it('downloads the log without credentials and scrubs it', async () => {
    const seen: Array<Record<string, string> | undefined> = [];
    const got = await fetchFailureExcerpt(
      {
        api: {
          listJobs: async () => ({ jobs: [job({ conclusion: 'success', id: 9, name: 'build' }), job({})] }),
          jobLogLocation: async () => 'https://storage/log?sig=x',
        },
        storageFetch: textFetch(LOG, 200, seen),
        scrub: (t) => t.replace('deploy', '[REDACTED]'),
        settings: { lines: 2, maxBytes: 4000, logMaxBytes: 100_000, timeoutMs: 1000 },
      },
      { owner: 'acme', repo: 'infra', runId: 5 },
    );
    assert.equal(got.outcome, 'ok');
    assert.deepEqual(got.excerpt, { job: 'test', step: 'Run tests', text: 'Tests: 1 failed\nError: Process completed with exit code 1.' });
    assert.equal(got.jobLines.length, 1);
    assert.ok(seen.every((h) => !Object.keys(h ?? {}).some((k) => k.toLowerCase() === 'authorization')));
  });
  it('a hanging download is cut at the time bound, and the failed jobs are still named', async () => {
    const t0 = Date.now();
    const got = await fetchFailureExcerpt(
      {
        api: { listJobs: async () => ({ jobs: [job({})] }), jobLogLocation: () => new Promise<string>(() => undefined) },
        storageFetch: textFetch(LOG),
        scrub: (t) => t,
        settings: { lines: 20, maxBytes: 4000, logMaxBytes: 100_000, timeoutMs: 200 },
      },
      { owner: 'acme', repo: 'infra', runId: 5 },
    );
    assert.equal(got.outcome, 'timeout');
    assert.equal(got.jobLines.length, 1);
    assert.ok(Date.now() - t0 < 5000);
  });
  it('reads at most logMaxBytes of the log', async () => {
    const big = `${LOG}\n${'2026-01-01T10:00:03.0000000Z filler\n'.repeat(10_000)}`;
    const got = await fetchFailureExcerpt(
      {
        api: { listJobs: async () => ({ jobs: [job({})] }), jobLogLocation: async () => 'u' },
        storageFetch: textFetch(big),
        scrub: (t) => t,
        settings: { lines: 100, maxBytes: 100_000, logMaxBytes: 2048, timeoutMs: 1000 },
      },
      { owner: 'acme', repo: 'infra', runId: 5 },
    );
    assert.ok((got.excerpt?.text.length ?? 0) < 2048);
  });
});

describe('job progress and approvals', () => {
  it('a line when a job starts and when it ends, once each', () => {
    const seen = new Map<number, string>();
    assert.deepEqual(progressLines(seen, [job({ status: 'in_progress', conclusion: null, completed_at: null })]), ['Job "test" started']);
    assert.deepEqual(progressLines(seen, [job({ status: 'in_progress', conclusion: null, completed_at: null })]), []);
    assert.deepEqual(
      progressLines(seen, [
        job({}),
        job({ id: 2, name: 'lint', status: 'completed', conclusion: 'success', completed_at: '2026-01-01T10:01:10Z' }),
      ]),
      ['Job "test" failure in 9s', 'Job "lint" success in 1m 10s'],
    );
  });
  it('names environments and reviewers', () => {
    assert.equal(
      approvalLine([{ environment: 'production', reviewers: ['bob', '@acme/sre'] }], 'https://x/r/1'),
      'Waiting for approval: environment production (reviewers: bob, @acme/sre). Review: https://x/r/1',
    );
  });
  it('turned off, job progress and approvals send no request', () => {
    let calls = 0;
    const api = {
      listJobs: async () => (calls++, undefined),
      jobLogLocation: async () => '',
      pendingDeployments: async () => (calls++, []),
    };
    const { insight } = insightWith(api, { now: Date.now, sleep: async () => undefined }, { jobProgress: false });
    const hooks = insight.follow(
      { portRunId: 'r_1', org: 'acme', repo: 'infra', ghRunId: 1, htmlUrl: '' },
      () => undefined,
      new AbortController().signal,
    );
    hooks.onStatus('waiting');
    hooks.onSweep();
    assert.equal(calls, 0);
  });
});

describe('job progress of a resumed run (issue 15)', () => {
  it('a job that started before the resumption gets no line again; its end after it does, from the first read', async () => {
    // The job started at 10:00:00 and ends at 10:00:09; the run is resumed at 10:00:05.
    const answers = [[job({})], [job({})]];
    let reads = 0;
    const api = { listJobs: async () => ({ jobs: answers[reads++]! }), jobLogLocation: async () => '', pendingDeployments: async () => [] };
    const clock = { now: () => Date.parse('2026-01-01T10:00:05Z'), sleep: async () => undefined };
    const { insight } = insightWith(api, clock);
    const said: string[] = [];
    const fresh: string[] = [];
    const run = { portRunId: 'r_1', org: 'acme', repo: 'infra', ghRunId: 1, htmlUrl: '' };
    const settle = () => new Promise((r) => setImmediate(r));
    answers[0] = [
      job({ status: 'in_progress', conclusion: null, completed_at: null }),
      job({ id: 2, name: 'lint', status: 'in_progress', conclusion: null, started_at: '2026-01-01T10:00:06Z', completed_at: null }),
    ];
    const resumed = insight.follow(run, (l) => said.push(l), new AbortController().signal, { resumed: true });
    resumed.onSweep();
    await settle();
    assert.deepEqual(said, ['Job "lint" started'], 'its previous follower logged "test" started; "lint" started after the resumption');
    answers[1] = [
      job({}),
      job({ id: 2, name: 'lint', status: 'in_progress', conclusion: null, started_at: '2026-01-01T10:00:06Z', completed_at: null }),
    ];
    resumed.onSweep();
    await settle();
    assert.deepEqual(said, ['Job "lint" started', 'Job "test" failure in 9s']);
    assert.equal(reads, 2, 'no read spent only to learn where the jobs are');

    // A job that ended before the resumption gets no line either; a run dispatched here logs everything.
    const ended: string[] = [];
    reads = 0;
    answers[0] = [job({ completed_at: '2026-01-01T10:00:04Z' })];
    const late = insight.follow(run, (l) => ended.push(l), new AbortController().signal, { resumed: true });
    late.onSweep();
    await settle();
    assert.deepEqual(ended, []);
    reads = 0;
    answers[0] = [job({ status: 'in_progress', conclusion: null, completed_at: null })];
    const first = insight.follow(run, (l) => fresh.push(l), new AbortController().signal);
    first.onSweep();
    await settle();
    assert.deepEqual(fresh, ['Job "test" started'], 'a run dispatched here logs from the first read');
  });

  it('all runs together read their jobs within the budget, in turn; a run that ends waiting reads nothing', async () => {
    const { clock, runUntil } = virtualClock(Date.parse('2026-01-01T10:00:05Z'));
    const readsAt: Array<{ run: number; at: number }> = [];
    const api = {
      listJobs: async (_o: string, _r: string, runId: number) => (
        readsAt.push({ run: runId, at: clock.now() }),
        { jobs: [job({ id: runId, status: 'in_progress', conclusion: null, completed_at: null })] }
      ),
      jobLogLocation: async () => '',
      pendingDeployments: async () => [],
    };
    const { insight, jobReads } = insightWith(api, clock, { perMinute: 60 });
    const t0 = clock.now();
    const ends = Array.from({ length: 100 }, () => new AbortController());
    const hooks = ends.map((end, i) =>
      insight.follow({ portRunId: `r_${i}`, org: 'acme', repo: 'infra', ghRunId: i, htmlUrl: '' }, () => undefined, end.signal),
    );
    ends[50]!.abort(); // run 50 ends before its turn
    // A status sweep every 10 s, each run asking for its jobs at each one, for 3 minutes.
    let sweeps = 0;
    const sweeper = (async () => {
      for (; sweeps < 18; sweeps++) {
        for (const h of hooks) h.onSweep();
        await clock.sleep(10_000);
      }
    })();
    await runUntil(() => sweeps >= 18, 100_000);
    await sweeper;
    jobReads.stop();
    const elapsedS = (clock.now() - t0) / 1000;
    // 60 a minute, bursts of 10: 10 at once, then one a second.
    assert.ok(readsAt.length <= 10 + elapsedS + 1, `${readsAt.length} reads in ${elapsedS} s`);
    assert.ok(readsAt.length >= elapsedS - 1, `the budget is used: ${readsAt.length} reads in ${elapsedS} s`);
    assert.equal(readsAt.filter((r) => r.run === 50).length, 0, 'the ended run read nothing');
    // In turn: the first 99 reads are 99 different runs (every run but the ended one), before any run reads twice.
    assert.equal(new Set(readsAt.slice(0, 99).map((r) => r.run)).size, 99);
    for (let i = 1; i < readsAt.length; i++) assert.ok(readsAt[i]!.at - readsAt[i - 1]!.at >= 0);
    const perWindow = new Map<number, number>();
    for (const r of readsAt) perWindow.set(Math.floor((r.at - t0) / 60_000), (perWindow.get(Math.floor((r.at - t0) / 60_000)) ?? 0) + 1);
    for (const [minute, n] of perWindow) assert.ok(n <= 60 + 10, `minute ${minute}: ${n} reads`);
  });
});

describe('org routing', () => {
  it("mine, another agent's, or nobody's (catch-all)", () => {
    const route = createOrgRouting({ orgs: ['acme', 'team-*'], catchAll: true, otherAgentsOrgs: ['globex'] });
    assert.deepEqual(['ACME', 'team-a', 'globex', 'initech'].map(route), ['mine', 'mine', 'not_mine', 'unserved']);
    const plain = createOrgRouting({ orgs: ['acme'], catchAll: false, otherAgentsOrgs: [] });
    assert.equal(plain('initech'), 'not_mine');
    assert.equal(createOrgRouting({ orgs: ['*'], catchAll: false, otherAgentsOrgs: [] })('anything'), 'mine');
  });
});

function manualClock(): Clock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let timers: Array<{ at: number; resolve: () => void }> = [];
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const t = { at: now + ms, resolve };
        timers.push(t);
        signal?.addEventListener(
          'abort',
          () => {
            timers = timers.filter((x) => x !== t);
            reject(new Error('aborted'));
          },
          { once: true },
        );
      }),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        await new Promise((r) => setImmediate(r));
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = next.at;
        timers = timers.filter((t) => t !== next);
        next.resolve();
      }
      now = end;
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('cancel, then force-cancel', () => {
  const api = (takes: boolean, calls: string[]) => {
    let done = false;
    return {
      cancel: async (_o: string, _r: string, _id: number, force: boolean) => {
        calls.push(force ? 'force-cancel' : 'cancel');
        if (done) return 'completed' as const;
        if (force || takes) done = true;
        return 'accepted' as const;
      },
      getRun: async () => ({ run: { status: done ? 'completed' : 'in_progress' } }),
    };
  };
  it('a cancel that takes: no force-cancel', async () => {
    const calls: string[] = [];
    const clock = manualClock();
    const p = cancelRun({ api: api(true, calls), clock, version: [3, 19, 0], graceMs: 10_000 }, { owner: 'a', repo: 'b', runId: 1 });
    await clock.advance(20_000);
    assert.deepEqual(await p, { result: 'cancelled' });
    assert.deepEqual(calls, ['cancel']);
  });
  it('a cancel that does not take: force-cancel after the grace, where GHES has it', async () => {
    for (const [version, want, wantCalls] of [
      [[3, 19, 0], 'force_cancelled', ['cancel', 'force-cancel']],
      [[3, 16, 0], 'did_not_take', ['cancel']],
    ] as const) {
      const calls: string[] = [];
      const clock = manualClock();
      const p = cancelRun({ api: api(false, calls), clock, version: [...version], graceMs: 10_000 }, { owner: 'a', repo: 'b', runId: 1 });
      await clock.advance(20_000);
      assert.equal((await p).result, want);
      assert.deepEqual(calls, wantCalls);
    }
    assert.equal(supportsForceCancel([3, 17, 0]), true);
  });
});

describe('Port end checks', () => {
  it('each run at most once per checkMs; all runs at most perMinute a minute', async () => {
    const clock = manualClock();
    const reads: string[] = [];
    const ended = new Set<string>();
    const watch = createPortEndWatch({
      port: { getRun: async (id) => (reads.push(id), { id, status: ended.has(id) ? 'FAILURE' : 'IN_PROGRESS' }) },
      clock,
      logger: quiet,
      metrics: createMetrics({ defaultMetrics: false }),
      checkMs: 60_000,
      perMinute: 30,
    });
    const endedSeen: string[] = [];
    for (let i = 0; i < 100; i++) watch.add(`r_${i}`, () => endedSeen.push(`r_${i}`));
    await clock.advance(10 * 60_000);
    assert.ok(reads.length <= 10 * 30 + 1, `${reads.length} reads in 10 minutes`);
    assert.ok(reads.length >= 10 * 30 - 31, `${reads.length} reads`);
    const perRun = new Map<string, number>();
    for (const r of reads) perRun.set(r, (perRun.get(r) ?? 0) + 1);
    assert.ok(Math.max(...perRun.values()) - Math.min(...perRun.values()) <= 1, 'round robin');
    ended.add('r_5');
    await clock.advance(5 * 60_000);
    assert.deepEqual(endedSeen, ['r_5']);
    watch.notifyFinal('r_7');
    assert.deepEqual(endedSeen, ['r_5', 'r_7']);
    watch.stop();
  });
  it('checks the run checked longest ago first: runs added later, or just checked, wait their turn; a removed run is not read', async () => {
    const clock = manualClock();
    const reads: string[] = [];
    const watch = createPortEndWatch({
      port: { getRun: async (id) => (reads.push(id), { id, status: 'IN_PROGRESS' }) },
      clock,
      logger: quiet,
      metrics: createMetrics({ defaultMetrics: false }),
      checkMs: 10_000,
      perMinute: 600, // a read every 100 ms at most
    });
    watch.add('r_a', () => undefined);
    await clock.advance(1_000);
    const removeB = watch.add('r_b', () => undefined);
    await clock.advance(1_000);
    watch.add('r_c', () => undefined);
    removeB();
    await clock.advance(30_000);
    // Each due checkMs after its last check, in that order; r_b never.
    assert.deepEqual(reads.slice(0, 6), ['r_a', 'r_c', 'r_a', 'r_c', 'r_a', 'r_c']);
    assert.ok(!reads.includes('r_b'));
    watch.stop();
  });
});
