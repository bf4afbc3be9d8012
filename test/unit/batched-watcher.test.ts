// The batched watcher against a fake GithubApi (a tiny model of one GHES: runs per repository,
// created/status filters, pages, ETags) and a fake clock advanced by hand: no timers, no sleeps.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createBatchedWatcher } from '../../agent/tracking/batched-watcher.js';
import type { WatchOutcome } from '../../agent/tracking/run-watcher.js';
import type { Clock } from '../../agent/util/backoff.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const INTERVAL = 10_000;

function fakeClock() {
  let now = T0;
  let timers: Array<{ at: number; resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = [];
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('aborted'));
        const t = { at: now + Math.max(0, ms), resolve, reject, signal, onAbort: undefined as undefined | (() => void) };
        t.onAbort = () => {
          timers = timers.filter((x) => x !== t);
          reject(new Error('aborted'));
        };
        signal?.addEventListener('abort', t.onAbort, { once: true });
        timers.push(t);
      }),
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    clock,
    /** Moves time forward, firing due timers in order and letting the loops run in between. */
    async advance(ms: number) {
      const end = now + ms;
      await settle();
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.signal?.removeEventListener('abort', next.onAbort!);
        next.resolve();
        await settle();
      }
      now = end;
      await settle();
    },
  };
}

interface FakeRun extends WorkflowRun {
  repo: string;
}

function fakeGithub(clock: Clock) {
  const runs: FakeRun[] = [];
  const calls: Array<{
    at: number;
    kind: 'list' | 'get';
    repo: string;
    status?: string;
    conditional: boolean;
    notModified: boolean;
    runId?: number;
    page?: number;
  }> = [];
  let nextId = 1000;
  let pollIntervalMs: number | undefined;
  let listError: AgentError | undefined;
  const etagOf = (body: unknown) => `W/"${createHash('sha1').update(JSON.stringify(body)).digest('hex')}"`;
  const api = {
    async listRepoRuns(
      owner: string,
      repo: string,
      q: { createdSince?: string; status?: string; perPage?: number; page?: number },
      etag?: string,
    ) {
      const key = `${owner}/${repo}`;
      if (listError) {
        const e = listError;
        listError = undefined;
        calls.push({ at: clock.now(), kind: 'list', repo: key, status: q.status, conditional: !!etag, notModified: false });
        throw e;
      }
      const since = q.createdSince ? Date.parse(q.createdSince) : -Infinity;
      // GitHub's cap on filtered lists: 1,000 results reachable, and total_count says 1,000.
      const all = runs
        .filter((r) => r.repo === key && Date.parse(r.created_at) >= since && (!q.status || r.status === q.status))
        .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id)
        .slice(0, 1000);
      const per = q.perPage ?? 100;
      const page = all.slice(((q.page ?? 1) - 1) * per, (q.page ?? 1) * per).map(({ repo: _r, ...run }) => ({ ...run }));
      const tag = etagOf([all.length, page]);
      const notModified = etag === tag;
      calls.push({ at: clock.now(), kind: 'list', repo: key, status: q.status, conditional: !!etag, notModified, page: q.page ?? 1 });
      if (notModified) return { notModified: true as const, pollIntervalMs };
      return {
        notModified: false as const,
        page: { runs: page, totalCount: all.length, serverDateMs: clock.now() },
        etag: tag,
        pollIntervalMs,
      };
    },
    async getRun(owner: string, repo: string, runId: number, etag?: string) {
      const run = runs.find((r) => r.id === runId && r.repo === `${owner}/${repo}`);
      const tag = run ? etagOf(run) : '';
      calls.push({
        at: clock.now(),
        kind: 'get',
        repo: `${owner}/${repo}`,
        conditional: !!etag,
        notModified: !!run && etag === tag,
        runId,
      });
      if (!run) throw new AgentError('not_found', `run ${runId} not found`, { status: 404 });
      if (etag === tag) return undefined;
      const { repo: _r, ...rest } = run;
      return { run: { ...rest }, etag: tag };
    },
  };
  return {
    api: api as unknown as GithubApi,
    calls,
    runs,
    setPollInterval: (ms: number | undefined) => (pollIntervalMs = ms),
    failNextList: (e: AgentError) => (listError = e),
    /** A run created now (or `agoMs` ago) on the "server". */
    create(repo: string, opts: { status?: string; agoMs?: number } = {}): FakeRun {
      const at = new Date(clock.now() - (opts.agoMs ?? 0)).toISOString();
      const run: FakeRun = {
        repo,
        id: nextId++,
        status: opts.status ?? 'queued',
        conclusion: null,
        html_url: `https://ghes.example/${repo}/actions/runs/${nextId}`,
        display_title: 'run',
        head_branch: 'main',
        created_at: at,
        updated_at: at,
        event: 'workflow_dispatch',
        run_attempt: 1,
      };
      runs.push(run);
      return run;
    },
    set(run: FakeRun, status: string, conclusion: string | null = null) {
      run.status = status;
      run.conclusion = conclusion;
      run.updated_at = new Date(clock.now()).toISOString();
    },
  };
}

const silent: Logger = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, log() {} } as unknown as Logger;

function setup(opts: { perPage?: number; maxPages?: number; maxWaitMs?: number } = {}) {
  const fc = fakeClock();
  const gh = fakeGithub(fc.clock);
  const watcher = createBatchedWatcher({
    api: gh.api,
    clock: fc.clock,
    logger: silent,
    random: () => 0.5,
    settings: {
      intervalMs: INTERVAL,
      maxIntervalMs: 6 * INTERVAL,
      sweepMs: 3 * INTERVAL,
      maxWaitMs: opts.maxWaitMs ?? 3600_000,
      perPage: opts.perPage,
      maxPages: opts.maxPages,
    },
  });
  const outcomes = new Map<number, WatchOutcome>();
  const statuses = new Map<number, string[]>();
  const controllers = new Map<number, AbortController>();
  /** Runs are handed over as dispatched just now (`fresh`) unless said otherwise (resumed). */
  const watch = (run: FakeRun, opts: { fresh?: boolean; createdAfterMs?: number } = { fresh: true }) => {
    const [org, repo] = run.repo.split('/') as [string, string];
    const ac = new AbortController();
    controllers.set(run.id, ac);
    statuses.set(run.id, []);
    const p = watcher.watch(
      {
        portRunId: `r_${run.id}`,
        org,
        repo,
        ghRunId: run.id,
        sinceMs: fc.clock.now(),
        fresh: opts.fresh,
        createdAfterMs: opts.createdAfterMs,
      },
      { signal: ac.signal, onStatus: (s) => statuses.get(run.id)!.push(s) },
    );
    p.then(
      (o) => outcomes.set(run.id, o),
      () => outcomes.set(run.id, { kind: 'gone', reason: 'rejected' }),
    );
    return p;
  };
  return { ...fc, gh, watcher, watch, outcomes, statuses, controllers };
}

describe('batched watcher', () => {
  it('costs requests per repository, not per run', async () => {
    const count = async (runsPerRepo: number) => {
      const s = setup();
      const all: FakeRun[] = [];
      for (const repo of ['acme/a', 'acme/b']) for (let i = 0; i < runsPerRepo; i++) all.push(s.gh.create(repo, { status: 'in_progress' }));
      for (const r of all) void s.watch(r);
      await s.advance(5 * 60_000);
      for (const r of all) s.gh.set(r, 'completed', 'success');
      await s.advance(2 * INTERVAL);
      assert.equal(s.outcomes.size, all.length, 'every run completed');
      for (const r of all) assert.equal(s.outcomes.get(r.id)?.kind, 'completed');
      assert.equal(s.watcher.size(), 0);
      assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 0, 'no per-run requests');
      return s.gh.calls.length;
    };
    const few = await count(2);
    const many = await count(60);
    assert.equal(many, few, 'sixty runs per repository cost what two cost');
    // Two repositories polled every 10 s for 5 min 20 s: about 32 lists each.
    assert.ok(few <= 2 * 34, `requests ${few}`);
  });

  it('a 304 is an answer: unchanged lists keep runs in flight, a completion is then seen', async () => {
    const s = setup();
    const run = s.gh.create('acme/a', { status: 'in_progress' });
    void s.watch(run);
    await s.advance(80_000);
    const lists = s.gh.calls.filter((c) => c.kind === 'list');
    assert.ok(lists.length >= 5);
    const later = (kind: string | undefined) => lists.filter((c) => c.status === kind).slice(1);
    assert.ok(later('completed').length >= 3 && later(undefined).length >= 1);
    assert.ok(
      [...later('completed'), ...later(undefined)].every((c) => c.conditional),
      'every list after the first of its kind carries If-None-Match',
    );
    const later2 = lists.slice(1);
    assert.ok(
      later2.some((c) => c.notModified && c.status === 'completed'),
      'completed lists answered 304',
    );
    assert.equal(s.outcomes.size, 0);
    s.gh.set(run, 'completed', 'failure');
    await s.advance(INTERVAL * 1.2);
    const o = s.outcomes.get(run.id);
    assert.equal(o?.kind, 'completed');
    assert.equal(o?.kind === 'completed' && o.run.conclusion, 'failure');
  });

  it('reads further pages while tracked runs lie beyond the first', async () => {
    const s = setup({ perPage: 5 });
    const mine = Array.from({ length: 12 }, () => s.gh.create('acme/a', { status: 'in_progress' }));
    for (const r of mine) void s.watch(r);
    await s.advance(INTERVAL * 4);
    const lists = s.gh.calls.filter((c) => c.kind === 'list' && c.status === undefined);
    assert.deepEqual(
      lists.map((c) => c.page),
      [1, 2, 3],
      'the first sweep reads three pages of five',
    );
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 0);
    assert.ok(mine.every((r) => s.statuses.get(r.id)?.[0] === 'in_progress'));
    s.gh.set(mine[0]!, 'completed', 'success');
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.outcomes.get(mine[0]!.id)?.kind, 'completed', 'the oldest run, on the last page, is seen');
  });

  it('runs beyond the list reach fall back to a per-run conditional GET', async () => {
    const s = setup({ perPage: 5, maxPages: 1 });
    const old = s.gh.create('acme/a', { status: 'in_progress', agoMs: 60_000 });
    const near = s.gh.create('acme/a', { status: 'in_progress' });
    void s.watch(old);
    void s.watch(near);
    // Ten newer runs of someone else fill the single page: `old` falls off it.
    for (let i = 0; i < 10; i++) s.gh.create('acme/a', { status: 'completed' });
    await s.advance(INTERVAL * 1.2);
    const gets = () => s.gh.calls.filter((c) => c.kind === 'get');
    assert.ok(gets().length >= 1 && gets().every((c) => c.runId === old.id || c.runId === near.id));
    await s.advance(INTERVAL * 3);
    assert.ok(
      gets()
        .filter((c) => c.runId === old.id)
        .some((c) => c.conditional && c.notModified),
      'GETs are conditional',
    );
    s.gh.set(old, 'completed', 'success');
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.outcomes.get(old.id)?.kind, 'completed');
    assert.equal(s.outcomes.get(near.id), undefined);
  });

  it('past the 1,000-result cap (total_count says 1,000): a tracked run out of reach is followed with GETs and its completion seen', async () => {
    const s = setup();
    const mine = s.gh.create('acme/a', { status: 'in_progress' });
    void s.watch(mine);
    // 1,100 runs of other people, newer and already completed, bury it in both lists.
    await s.advance(1000);
    for (let i = 0; i < 1100; i++) s.gh.create('acme/a', { status: 'completed' });
    await s.advance(INTERVAL * 4);
    s.gh.set(mine, 'completed', 'success');
    await s.advance(INTERVAL * 4);
    assert.equal(s.outcomes.get(mine.id)?.kind, 'completed', 'the completion is seen');
    assert.ok(s.gh.calls.some((c) => c.kind === 'get' && c.runId === mine.id));
  });

  it('one long run in a busy repository costs one page and one conditional GET a tick, not ten pages', async () => {
    const s = setup();
    const mine = s.gh.create('acme/a', { status: 'in_progress' });
    void s.watch(mine);
    await s.advance(1000);
    for (let i = 0; i < 950; i++) s.gh.create('acme/a', { status: 'completed' });
    // Others keep completing runs: page 1 changes every tick.
    for (let t = 0; t < 6; t++) {
      s.gh.create('acme/a', { status: 'completed' });
      await s.advance(INTERVAL);
    }
    const deeper = s.gh.calls.filter((c) => c.kind === 'list' && (c.page ?? 1) > 1);
    assert.equal(deeper.length, 0, `pages beyond the first: ${deeper.length}`);
    const gets = s.gh.calls.filter((c) => c.kind === 'get' && c.runId === mine.id);
    assert.ok(gets.length >= 4, `per-run GETs: ${gets.length}`);
    assert.ok(
      gets.slice(1).every((c) => c.conditional),
      'conditional after the first',
    );
  });

  it('pages are still read when they cover several tracked runs each', async () => {
    const s = setup({ perPage: 10 });
    // 30 tracked runs behind 10 newer runs of others: two more pages cover them all.
    const mine = Array.from({ length: 30 }, () => s.gh.create('acme/a', { status: 'in_progress' }));
    for (const r of mine) void s.watch(r);
    for (let i = 0; i < 10; i++) s.gh.create('acme/a', { status: 'in_progress' });
    await s.advance(INTERVAL * 4);
    const sweeps = s.gh.calls.filter((c) => c.kind === 'list' && c.status === undefined);
    assert.deepEqual(
      sweeps.map((c) => c.page),
      [1, 2, 3, 4],
    );
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 0);
  });

  it('a run created long before it was handed over (resumed) is located with one GET, then followed by the list', async () => {
    const s = setup();
    const old = s.gh.create('acme/a', { status: 'in_progress', agoMs: 3 * 3600_000 });
    void s.watch(old, { fresh: false });
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 1);
    await s.advance(INTERVAL * 5);
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 1, 'one GET only: the list window now reaches it');
    s.gh.set(old, 'completed', 'success');
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.outcomes.get(old.id)?.kind, 'completed');
  });

  it('runs resumed with a lower bound on their age (message timestamp) are located by one sweep of their repository, not a GET each', async () => {
    const s = setup();
    // 250 runs dispatched 3 hours ago by a replica that is gone, resumed together after a restart.
    const messageAt = T0 - 3 * 3600_000 - 60_000;
    const resumed = Array.from({ length: 250 }, () => s.gh.create('acme/a', { status: 'in_progress', agoMs: 3 * 3600_000 }));
    for (const r of resumed) void s.watch(r, { fresh: false, createdAfterMs: messageAt });
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 0, 'no per-run GET');
    const lists = s.gh.calls.filter((c) => c.kind === 'list');
    assert.deepEqual(
      lists.map((c) => [c.status ?? 'all', c.page]),
      [
        ['all', 1],
        ['all', 2],
        ['all', 3],
      ],
      'one sweep, paged, locates all 250',
    );
    s.gh.set(resumed[7]!, 'completed', 'success');
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.outcomes.get(resumed[7]!.id)?.kind, 'completed');
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 0);
  });

  it('a resumed run whose lower bound is wrong (created before it) is still located, with one GET', async () => {
    const s = setup();
    const old = s.gh.create('acme/a', { status: 'in_progress', agoMs: 3 * 3600_000 });
    void s.watch(old, { fresh: false, createdAfterMs: T0 - 60_000 });
    await s.advance(INTERVAL * 1.2);
    assert.deepEqual(
      s.gh.calls.filter((c) => c.kind === 'get').map((c) => c.runId),
      [old.id],
      'the sweep did not show it: one GET',
    );
    s.gh.set(old, 'completed', 'success');
    await s.advance(INTERVAL * 1.2);
    assert.equal(s.outcomes.get(old.id)?.kind, 'completed');
  });

  it('fresh runs arriving on a busy repository do not bring the all-status sweep forward', async () => {
    const s = setup();
    // A run dispatched every 2 s for 2 minutes, each tracked as it is created.
    for (let i = 0; i < 60; i++) {
      void s.watch(s.gh.create('acme/a', { status: 'in_progress' }), { fresh: true });
      await s.advance(2_000);
    }
    const lists = s.gh.calls.filter((c) => c.kind === 'list' && c.page === 1);
    const sweeps = lists.filter((c) => c.status === undefined);
    // 120 s with a 30 s sweep: the first tick and one every three intervals, about 5.
    assert.ok(sweeps.length <= 6, `sweeps: ${sweeps.length} of ${lists.length} lists`);
    assert.ok(lists.length - sweeps.length >= 6, 'the other ticks list completed runs only');
    assert.equal(s.gh.calls.filter((c) => c.kind === 'get').length, 0, 'fresh runs need no GET to be located');
  });

  it('a run of unknown age added to a repository already polled is located with a GET, not a sweep', async () => {
    const s = setup();
    void s.watch(s.gh.create('acme/a', { status: 'in_progress' }), { fresh: true });
    await s.advance(INTERVAL * 1.5);
    const before = s.gh.calls.length;
    const resumed = s.gh.create('acme/a', { status: 'in_progress', agoMs: 3 * 3600_000 });
    void s.watch(resumed, { fresh: false });
    await s.advance(INTERVAL * 1.2);
    const calls = s.gh.calls.slice(before);
    assert.deepEqual(
      calls.filter((c) => c.kind === 'get').map((c) => c.runId),
      [resumed.id],
    );
    assert.equal(calls.filter((c) => c.kind === 'list' && c.status === undefined).length, 0, 'no sweep brought forward');
  });

  it('status lines come from the periodic sweep: queued, waiting for approval, in progress, a re-run', async () => {
    const s = setup();
    const run = s.gh.create('acme/a', { status: 'queued' });
    void s.watch(run);
    await s.advance(INTERVAL * 1.2);
    assert.deepEqual(s.statuses.get(run.id), [], 'a fresh run gets its first status line from the first sweep, not at once');
    await s.advance(INTERVAL * 3);
    assert.deepEqual(s.statuses.get(run.id), ['queued']);
    s.gh.set(run, 'waiting');
    await s.advance(INTERVAL);
    assert.deepEqual(s.statuses.get(run.id), ['queued'], 'a completed-only list does not show it');
    await s.advance(INTERVAL * 3);
    assert.deepEqual(s.statuses.get(run.id), ['queued', 'waiting']);
    s.gh.set(run, 'in_progress');
    await s.advance(INTERVAL * 6);
    assert.deepEqual(s.statuses.get(run.id), ['queued', 'waiting', 'in_progress']);
    run.run_attempt = 2;
    s.gh.set(run, 'queued');
    await s.advance(INTERVAL * 6);
    assert.deepEqual(s.statuses.get(run.id), ['queued', 'waiting', 'in_progress', 'queued']);
    const lists = s.gh.calls.filter((c) => c.kind === 'list');
    assert.ok(
      lists.filter((c) => c.status === 'completed').length > lists.filter((c) => c.status === undefined).length,
      'sweeps are the minority',
    );
  });

  it('adaptive interval: short while runs are young or running, growing while they only wait', async () => {
    const s = setup();
    const run = s.gh.create('acme/a', { status: 'waiting' });
    void s.watch(run);
    await s.advance(30 * 60_000);
    const at = s.gh.calls.map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    assert.ok(
      gaps.slice(0, 3).every((g) => g <= INTERVAL * 1.1),
      `young: ${gaps.slice(0, 3).join(',')}`,
    );
    assert.ok(Math.max(...gaps) >= 5 * INTERVAL && Math.max(...gaps) <= 6 * INTERVAL * 1.1, `grows to the cap: ${gaps.join(',')}`);
    s.gh.set(run, 'in_progress');
    const n = s.gh.calls.length;
    await s.advance(20 * 60_000);
    const after = s.gh.calls.slice(n).map((c) => c.at);
    const gaps2 = after.slice(1).map((t, i) => t - after[i]!);
    assert.ok(
      gaps2.slice(-5).every((g) => g <= INTERVAL * 1.1),
      `running: back to the base pace ${gaps2.slice(-5).join(',')}`,
    );
  });

  it('a new run brings a long wait forward', async () => {
    const s = setup();
    void s.watch(s.gh.create('acme/a', { status: 'waiting' }));
    await s.advance(20 * 60_000);
    const n = s.gh.calls.length;
    const fresh = s.gh.create('acme/a', { status: 'queued' });
    void s.watch(fresh);
    await s.advance(INTERVAL * 1.2);
    assert.ok(s.gh.calls.length > n, 'polled within one base interval');
    assert.deepEqual(s.statuses.get(fresh.id), ['queued']);
  });

  it('honours x-poll-interval and retry-after', async () => {
    const s = setup();
    s.gh.setPollInterval(45_000);
    void s.watch(s.gh.create('acme/a', { status: 'in_progress' }));
    await s.advance(5 * 60_000);
    let at = s.gh.calls.map((c) => c.at);
    assert.ok(
      at.slice(1).every((t, i) => t - at[i]! >= 45_000),
      'never faster than x-poll-interval',
    );
    s.gh.setPollInterval(undefined);
    await s.advance(2 * 60_000);
    s.gh.failNextList(new AgentError('rate_limited', 'secondary rate limit', { retriable: true, retryAfterMs: 120_000, status: 403 }));
    const n = s.gh.calls.length;
    await s.advance(5 * 60_000);
    at = s.gh.calls.slice(n).map((c) => c.at);
    assert.ok(at.length >= 2);
    assert.ok(at[1]! - at[0]! >= 120_000, `retry-after honoured: ${at[1]! - at[0]!}`);
  });

  it('abort removes the run and rejects; maxWait times it out; a 404 run is gone', async () => {
    const s = setup({ maxWaitMs: 60_000 });
    const a = s.gh.create('acme/a', { status: 'in_progress' });
    const b = s.gh.create('acme/a', { status: 'waiting' });
    const pa = s.watch(a);
    void s.watch(b);
    s.controllers.get(a.id)!.abort();
    await assert.rejects(pa);
    assert.equal(s.watcher.size(), 1);
    await s.advance(70_000);
    const o = s.outcomes.get(b.id);
    assert.equal(o?.kind, 'timed_out');
    assert.equal(o?.kind === 'timed_out' && o.lastStatus, 'waiting');
    assert.equal(s.watcher.size(), 0);

    const s2 = setup();
    const ghost = { ...s2.gh.create('acme/a'), id: 999_999 };
    void s2.watch(ghost);
    await s2.advance(INTERVAL * 4);
    assert.equal(s2.outcomes.get(ghost.id)?.kind, 'gone', 'missing from the first sweep, then a 404 on its GET');
  });
});

describe('batched watcher on whole-millisecond timers', () => {
  it('never asks the clock for a negative sleep when a timer fires on the millisecond before a deadline with a fraction', async () => {
    // Node's timers fire on whole milliseconds, so a sleep towards a deadline with a fraction
    // (intervals are jittered) often wakes just before it; a millisecond may then pass before
    // the next reading of the clock. Node 24 warns about a negative delay (TimeoutNegativeWarning),
    // which agent-e2e.test.ts refuses. This clock models both: each reading is a quarter of a
    // millisecond after the last, and a sleep (of 1 ms at least, as Node's) wakes on the whole
    // millisecond before its end.
    let now = T0;
    const asked: number[] = [];
    const clock: Clock = {
      now: () => (now += 0.25),
      sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          asked.push(ms);
          if (signal?.aborted) return reject(new Error('aborted'));
          now = Math.floor(now + Math.max(1, ms));
          setImmediate(resolve);
        }),
    };
    const api = {
      listRepoRuns: async () => ({ notModified: true as const, pollIntervalMs: undefined }),
      getRun: async () => undefined,
    } as unknown as GithubApi;
    // Jittered intervals whose fractions of a millisecond differ from one poll to the next.
    let jitter = 0;
    const random = () => (jitter = (jitter + 0.37) % 1);
    const watcher = createBatchedWatcher({
      api,
      clock,
      logger: silent,
      random,
      settings: { intervalMs: 1001, maxIntervalMs: 1001, sweepMs: 1e9, maxWaitMs: 3600_000 },
    });
    const ac = new AbortController();
    const outcome = watcher
      .watch({ portRunId: 'r_1', org: 'acme', repo: 'a', ghRunId: 1, sinceMs: now, fresh: true }, { signal: ac.signal, onStatus: () => {} })
      .catch(() => 'aborted');
    while (asked.length < 200) await new Promise((r) => setImmediate(r));
    ac.abort();
    assert.equal(await outcome, 'aborted');
    assert.deepEqual(
      asked.filter((ms) => ms <= 0),
      [],
      `${asked.length} sleeps asked for`,
    );
  });
});
