import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGhesSim } from './server.js';
import { call, until } from './test-helpers.js';
import type { Conclusion, GhesSim } from './types.js';

const CONCLUSIONS: Conclusion[] = [
  'success',
  'failure',
  'neutral',
  'cancelled',
  'skipped',
  'timed_out',
  'action_required',
  'stale',
  'startup_failure',
];

describe('workflow runs (manual clock)', () => {
  let sim: GhesSim;
  let t = Date.now();
  const advance = (ms: number) => (t += ms);
  const pat = 'pat-runs';
  const get = (p: string) => call(sim, p, { token: pat });
  const dispatch = async (wf: string, body: unknown, token = pat) => {
    const r = await call(sim, `/repos/acme/infra/actions/workflows/${wf}/dispatches`, { token, method: 'POST', body });
    assert.ok(r.status === 204 || r.status === 200, JSON.stringify(r.json));
    return sim.dispatches().at(-1)!.runId!;
  };

  before(async () => {
    // timeScale 10: simulated durations pass ten times faster than the injected clock.
    sim = await startGhesSim({ now: () => t, timeScale: 10, runAppearDelayMs: 300 });
    sim.addRepo({ owner: 'acme', name: 'infra', branches: ['dev'] });
    sim.addWorkflow('acme', 'infra', {
      path: 'deploy.yml',
      name: 'Deploy',
      runName: 'Deploy ${{ inputs.port_run_id }} to ${{ inputs.env }}${{ inputs.nope }}',
      inputs: { port_run_id: {}, env: { default: 'dev' } },
      script: { conclusion: 'failure', queuedMs: 1000, waitingMs: 2000, durationMs: 5000 },
    });
    sim.addWorkflow('acme', 'infra', {
      path: 'scripted.yml',
      inputs: { outcome: { required: true } },
      // First attempt ends as asked, re-runs succeed.
      script: (d, attempt) => ({
        conclusion: attempt === 1 ? (d.inputs.outcome as Conclusion) : 'success',
        queuedMs: 100,
        durationMs: 100,
      }),
    });
    sim.addWorkflow('acme', 'infra', { path: 'plain.yml', name: 'Plain' });
    sim.addToken(pat, { orgs: ['acme'], login: 'alice' });
    sim.addToken('pat-bob', { orgs: ['acme'], login: 'bob' });
  });
  after(() => sim.close());

  it('appears after runAppearDelayMs, then requested → pending → queued → waiting → in_progress → completed', async () => {
    const t0 = t;
    const id = await dispatch('deploy.yml', { ref: 'main', inputs: { port_run_id: 'r_1' } });
    assert.equal((await get(`/repos/acme/infra/actions/runs/${id}`)).status, 404);
    assert.equal((await get('/repos/acme/infra/actions/runs')).json.total_count, 0);
    assert.equal(sim.runs()[0]!.visible, false);
    advance(300);
    const phases: Array<[number, string, string | null, boolean]> = [
      // The first two tenths of the queued time (1 s simulated = 100 ms here) are requested, then pending.
      [0, 'requested', null, false],
      [10, 'pending', null, false],
      [20, 'queued', null, false],
      [100, 'waiting', null, false],
      [300, 'in_progress', null, true],
      [700, 'in_progress', null, true],
      [800, 'completed', 'failure', true],
    ];
    for (const [at, status, conclusion, hasRunner] of phases) {
      t = t0 + 300 + at;
      const run = await get(`/repos/acme/infra/actions/runs/${id}`);
      assert.equal(run.json.status, status, `at ${at}`);
      assert.equal(run.json.conclusion, conclusion);
      assert.equal(run.json.created_at, new Date(t0 + 300).toISOString().replace(/\.\d+Z/, 'Z'));
      const jobs = await get(`/repos/acme/infra/actions/runs/${id}/jobs`);
      assert.equal(jobs.json.total_count, 1);
      assert.equal(jobs.json.jobs[0].status, status);
      assert.equal(jobs.json.jobs[0].runner_name !== null, hasRunner);
    }
    const run = (await get(`/repos/acme/infra/actions/runs/${id}`)).json;
    // Simulated 1 s + 2 s + 5 s at timeScale 10: completed 800 ms after it appeared.
    assert.equal(Date.parse(run.updated_at), Math.floor((t0 + 300 + 800) / 1000) * 1000);
    assert.equal(run.event, 'workflow_dispatch');
    assert.equal(run.head_branch, 'main');
    assert.equal(run.actor.login, 'alice');
    assert.equal(run.triggering_actor.login, 'alice');
    assert.equal(run.run_number, 1);
    assert.equal(run.run_attempt, 1);
    assert.equal(run.path, '.github/workflows/deploy.yml');
    assert.equal(run.html_url, `${sim.origin}/acme/infra/actions/runs/${id}`);
    assert.equal(run.url, `${sim.url}/repos/acme/infra/actions/runs/${id}`);
    assert.equal(run.repository.full_name, 'acme/infra');
    const job = (await get(`/repos/acme/infra/actions/runs/${id}/jobs`)).json.jobs[0];
    assert.equal(job.conclusion, 'failure');
    assert.ok(job.completed_at);
  });

  it('display_title renders run-name from inputs (defaults applied, missing → empty); else the workflow name', async () => {
    const a = await dispatch('deploy.yml', { ref: 'main', inputs: { port_run_id: 'r_abc' } });
    const b = await dispatch('plain.yml', { ref: 'main' });
    advance(300);
    assert.equal((await get(`/repos/acme/infra/actions/runs/${a}`)).json.display_title, 'Deploy r_abc to dev');
    assert.equal((await get(`/repos/acme/infra/actions/runs/${b}`)).json.display_title, 'Plain');
    assert.equal(sim.runs().find((r) => r.id === a)!.displayTitle, 'Deploy r_abc to dev');
  });

  it('ends with every scripted conclusion; runs that never started have no job', async () => {
    const ids = new Map<Conclusion, number>();
    for (const c of CONCLUSIONS) ids.set(c, await dispatch('scripted.yml', { ref: 'main', inputs: { outcome: c } }));
    advance(300 + 25);
    for (const [c, id] of ids) {
      const r = (await get(`/repos/acme/infra/actions/runs/${id}`)).json;
      assert.equal(r.status, 'completed', c);
      assert.equal(r.conclusion, c);
      const jobs = (await get(`/repos/acme/infra/actions/runs/${id}/jobs`)).json;
      assert.equal(jobs.total_count, c === 'stale' || c === 'startup_failure' ? 0 : 1, c);
    }
  });

  it('re-run: 201, new attempt back to requested, previous_attempt_url, ends with the attempt-2 outcome', async () => {
    const id = await dispatch('scripted.yml', { ref: 'main', inputs: { outcome: 'failure' } });
    advance(300 + 5);
    const running = await call(sim, `/repos/acme/infra/actions/runs/${id}/rerun`, { token: pat, method: 'POST' });
    assert.equal(running.status, 403);
    advance(20);
    assert.equal((await get(`/repos/acme/infra/actions/runs/${id}`)).json.conclusion, 'failure');
    const rr = await call(sim, `/repos/acme/infra/actions/runs/${id}/rerun`, { token: pat, method: 'POST' });
    assert.equal(rr.status, 201);
    let run = (await get(`/repos/acme/infra/actions/runs/${id}`)).json;
    assert.equal(run.run_attempt, 2);
    assert.equal(run.status, 'requested');
    assert.equal(run.conclusion, null);
    assert.equal(run.previous_attempt_url, `${sim.url}/repos/acme/infra/actions/runs/${id}/attempts/1`);
    advance(25);
    run = (await get(`/repos/acme/infra/actions/runs/${id}`)).json;
    assert.equal(run.conclusion, 'success');
    const all = (await get(`/repos/acme/infra/actions/runs/${id}/jobs?filter=all`)).json;
    assert.deepEqual(
      all.jobs.map((j: { run_attempt: number; conclusion: string }) => [j.run_attempt, j.conclusion]),
      [
        [2, 'success'],
        [1, 'failure'],
      ],
    );
    assert.equal((await get(`/repos/acme/infra/actions/runs/${id}/jobs`)).json.total_count, 1);
    sim.rerun(id);
    assert.equal(sim.runs().find((r) => r.id === id)!.runAttempt, 3);
    assert.throws(() => sim.rerun(id), /not completed/);
  });

  it('lists: filters, newest first, pagination with Link, workflow-level lists', async () => {
    advance(10_000);
    const since = new Date(t).toISOString();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      advance(1000);
      ids.push(await dispatch('plain.yml', { ref: i % 2 ? 'dev' : 'main' }, i === 4 ? 'pat-bob' : pat));
    }
    advance(300);
    const q = (s: string) => get(`/repos/acme/infra/actions/workflows/plain.yml/runs?${s}`).then((r) => r.json);
    const idsOf = (j: { workflow_runs: Array<{ id: number }> }) => j.workflow_runs.map((r) => r.id);
    const recent = await q(`created=${encodeURIComponent('>=' + since)}`);
    assert.deepEqual(idsOf(recent), [...ids].reverse());
    assert.equal(recent.total_count, 5);
    assert.deepEqual(idsOf(await q('actor=bob')), [ids[4]]);
    assert.deepEqual(idsOf(await q(`branch=dev&created=${encodeURIComponent('>' + since)}`)), [ids[3], ids[1]]);
    assert.ok((await q('event=push')).total_count === 0);
    const mid = new Date(Date.parse(since) + 2500).toISOString();
    assert.deepEqual(idsOf(await q(`created=${encodeURIComponent(`${since}..${mid}`)}`)), [ids[1], ids[0]]);
    assert.deepEqual(idsOf(await q(`created=${encodeURIComponent('<' + since)}`)).includes(ids[0]!), false);
    // status accepts a status or a conclusion; only the newest has not finished yet.
    const c = `&created=${encodeURIComponent('>=' + since)}`;
    assert.deepEqual(idsOf(await q(`status=requested${c}`)), [ids[4]]);
    assert.deepEqual(idsOf(await q(`status=success${c}`)), [ids[3], ids[2], ids[1], ids[0]]);
    advance(10_000);
    assert.equal((await q(`status=completed&created=${encodeURIComponent('>=' + since)}`)).total_count, 5);
    const sha = (await get(`/repos/acme/infra/actions/runs/${ids[1]}`)).json.head_sha;
    assert.deepEqual(idsOf(await q(`head_sha=${sha}&created=${encodeURIComponent('>=' + since)}`)), [ids[3], ids[1]]);
    assert.equal((await q(`exclude_pull_requests=true&created=${encodeURIComponent('>=' + since)}`)).total_count, 5);

    const p1 = await get(`/repos/acme/infra/actions/workflows/plain.yml/runs?per_page=2&created=${encodeURIComponent('>=' + since)}`);
    assert.deepEqual(idsOf(p1.json), [ids[4], ids[3]]);
    const link = p1.headers.get('link')!;
    assert.match(link, /rel="next"/);
    assert.match(link, /page=3[^>]*>; rel="last"/);
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    const p2 = await call(sim, next.slice(sim.url.length), { token: pat });
    assert.deepEqual(idsOf(p2.json), [ids[2], ids[1]]);
    assert.match(p2.headers.get('link')!, /rel="prev"/);
    const p3 = await get(
      `/repos/acme/infra/actions/workflows/plain.yml/runs?per_page=2&page=3&created=${encodeURIComponent('>=' + since)}`,
    );
    assert.deepEqual(idsOf(p3.json), [ids[0]]);
    assert.doesNotMatch(p3.headers.get('link')!, /rel="next"/);
    // per_page is capped at 100; default 30.
    const big = await get('/repos/acme/infra/actions/runs?per_page=500');
    assert.ok(big.json.workflow_runs.length <= 100 && big.json.total_count > 5);
    assert.equal((await get('/repos/acme/infra/actions/runs')).json.workflow_runs.length, Math.min(30, big.json.total_count));
    // Workflow-level lists hold only that workflow.
    const wl = await get('/repos/acme/infra/actions/workflows/deploy.yml/runs?per_page=100');
    assert.ok(wl.json.workflow_runs.every((r: { path: string }) => r.path === '.github/workflows/deploy.yml'));
    assert.equal((await get('/repos/acme/infra/actions/workflows/nope.yml/runs')).status, 404);
  });
});

describe('workflow runs (accelerated real clock)', () => {
  it('timeScale compresses the default 1 s queued + 5 s run into a few ms', async () => {
    const sim = await startGhesSim({ timeScale: 2000, runAppearDelayMs: 20 });
    try {
      sim.addRepo({ owner: 'o', name: 'r' });
      sim.addWorkflow('o', 'r', { path: 'w.yml' });
      sim.addToken('p', { all: true });
      const start = Date.now();
      const r = await call(sim, '/repos/o/r/actions/workflows/w.yml/dispatches', { token: 'p', method: 'POST', body: { ref: 'main' } });
      assert.equal(r.status, 204);
      const done = await until(() => sim.runs().find((x) => x.status === 'completed'));
      assert.equal(done.conclusion, 'success');
      assert.ok(Date.now() - start < 1000);
    } finally {
      await sim.close();
    }
  });
});
