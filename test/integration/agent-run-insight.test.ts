// Issue 13, items 1–4 end to end (real broker, GHES and Port simulators, the agent as a process):
// the failed step's excerpt reaches Port's summary while the log storage host never sees the
// GHES credentials; an approval names its environment and reviewers once; job progress lines;
// a run ended in Port is cancelled on GHES (force-cancelled when the cancel does not take);
// tracking.cancelOnTimeout.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const inv = (workflow: string) => ({ type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow, workflowInputs: { service: 'api' } });
const messages = (stack: LocalStack, runId: string) => stack.port.getRun(runId)!.logs.map((l) => l.message);

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const auth of ['app', 'token'] as const) {
  describe(`failure excerpt, approvals, job progress (${auth})`, () => {
    let stack: LocalStack;
    let agent: AgentProcess;
    before(async () => {
      stack = await startLocalStack({ ghes: { version: '3.19.0' } });
      agent = await startAgentProcess(stack, { auth });
      await agent.waitReady();
    });
    after(async () => {
      await agent?.stop();
      await stack?.close();
    });

    test("a failed run: a line per failed job and step with its link, the step's last lines in the summary; the storage host never sees a credential", async () => {
      const run = await stack.publish(inv('fail.yml'));
      const done = await stack.waitForRun(run.id, isFinal, 60_000);
      assert.equal(done.status, 'FAILURE');
      const gh = stack.ghes.runs().find((r) => r.inputs.port_run_id === run.id)!;
      assert.match(
        done.summary ?? '',
        new RegExp(`^GitHub workflow run ${stack.ghes.origin}/acme/infra/actions/runs/${gh.id} completed: failure`),
      );
      assert.match(done.summary ?? '', /Failed: job "test", step "Run tests"/);
      assert.match(
        done.summary ?? '',
        /Received: "stuck"\nTests: 1 failed, 41 passed, 42 total\nError: Process completed with exit code 1\./,
      );
      assert.doesNotMatch(done.summary ?? '', /Upload coverage|Compile: ok/, "only the failed step's lines");
      const failedLine = messages(stack, run.id).find((m) => m.startsWith('Failed job'));
      assert.match(
        failedLine ?? '',
        new RegExp(`^Failed job "test", step "Run tests" \\(failure\\): ${stack.ghes.origin}/acme/infra/actions/runs/${gh.id}/job/\\d+$`),
      );
      const storage = stack.ghes.storageRequests();
      assert.ok(storage.length >= 1, 'the log was downloaded from the storage host');
      assert.deepEqual(
        storage.map((s) => s.authorization),
        storage.map(() => null),
        'no request to the storage host carried credentials',
      );
      assert.ok(storage.every((s) => s.status === 200));
      // Its cost, per failed run: one jobs list and one log location on GHES, one download from storage.
      const jobsCalls = stack.ghes
        .requests()
        .filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs' && r.path.includes(`/runs/${gh.id}/`));
      const logCalls = stack.ghes.requests().filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs');
      assert.ok(jobsCalls.length >= 1, 'the jobs were listed');
      assert.equal(logCalls.length, 1);
      assert.equal(logCalls[0]!.status, 302);
      assert.equal(storage.length, 1);
    });

    test('the excerpt cannot be read (storage down): the final status still goes, without it, and is counted', async () => {
      const off = stack.ghes.fault({ route: 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', kind: 'status', status: 500 });
      try {
        const run = await stack.publish(inv('fail.yml'));
        const done = await stack.waitForRun(run.id, isFinal, 60_000);
        assert.equal(done.status, 'FAILURE');
        assert.doesNotMatch(done.summary ?? '', /Last lines/);
        assert.ok(
          messages(stack, run.id).some((m) => m.startsWith('Failed job "test"')),
          'the failed job is named all the same',
        );
        assert.ok(metricValue(await agent.metrics(), 'ghes_agent_failure_excerpts_total', { outcome: 'error' }) >= 1);
      } finally {
        off();
      }
    });

    test('a run waiting for approval: its environment, reviewers and review link, once', async () => {
      const run = await stack.publish(inv('approve.yml'));
      const done = await stack.waitForRun(run.id, isFinal, 60_000);
      assert.equal(done.status, 'SUCCESS');
      const gh = stack.ghes.runs().find((r) => r.inputs.port_run_id === run.id)!;
      const lines = messages(stack, run.id).filter((m) => m.startsWith('Waiting for approval'));
      assert.deepEqual(lines, [
        `Waiting for approval: environment production (reviewers: alice, @acme/release-managers). Review: ${stack.ghes.origin}/acme/infra/actions/runs/${gh.id}`,
      ]);
      assert.equal(
        stack.ghes.requests().filter((r) => r.route?.endsWith('/pending_deployments') && r.path.includes(String(gh.id))).length,
        1,
      );
    });

    test('job progress: a line when each job starts and ends, with its conclusion and duration', async () => {
      const run = await stack.publish(inv('build-and-test.yml'));
      const done = await stack.waitForRun(run.id, isFinal, 60_000);
      assert.equal(done.status, 'SUCCESS');
      const lines = messages(stack, run.id).filter((m) => m.startsWith('Job "'));
      assert.ok(lines.includes('Job "build" started'), lines.join('\n'));
      assert.ok(
        lines.some((l) => /^Job "build" success in \ds$/.test(l)),
        lines.join('\n'),
      );
      assert.ok(lines.includes('Job "test" started'), lines.join('\n'));
    });
  });
}

// Issue 23, item 4: GHES's job-log Location decides where the agent reads from. The local stack
// runs GHES (http://127.0.0.1:G) and its log storage (http://127.0.0.1:S) on the same loopback
// address: the reads above work because GHES's own host is always accepted (and over http only
// because GHES itself is configured over http). Another name for the same server, a link-local
// address, or (with github.logHosts) a host not listed: not fetched, no excerpt in Port.
describe('job log archives: only an accepted storage host is read (issue 23)', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  let listed: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' } });
    agent = await startAgentProcess(stack, { overrides: { insight: { excerptTimeoutSeconds: 5 } } });
    await agent.waitReady();
  });
  after(async () => {
    stack?.ghes.setLogOrigin(undefined);
    await listed?.stop();
    await agent?.stop();
    await stack?.close();
  });

  const storagePort = () => new URL(stack.ghes.storageOrigin).port;

  /** A failed run whose log GHES says is at `origin`: its final status, with or without the excerpt. */
  async function failedRunWithLogAt(origin: string) {
    stack.ghes.setLogOrigin(origin);
    try {
      const storageBefore = stack.ghes.storageRequests().length;
      const run = await stack.publish(inv('fail.yml'));
      const done = await stack.waitForRun(run.id, isFinal, 60_000);
      assert.equal(done.status, 'FAILURE');
      return { done, lines: messages(stack, run.id), storage: stack.ghes.storageRequests().slice(storageBefore) };
    } finally {
      stack.ghes.setLogOrigin(undefined);
    }
  }

  const notFetched = (r: Awaited<ReturnType<typeof failedRunWithLogAt>>) => {
    assert.deepEqual(r.storage, [], 'the storage server saw no request');
    assert.doesNotMatch(r.done.summary ?? '', /Last lines|Received: "stuck"/, 'nothing of the log reached Port');
    assert.ok(
      r.lines.some((m) => m.startsWith('Failed job "test", step "Run tests"')),
      'the failed job is named all the same',
    );
    assert.ok(r.lines.every((m) => !/Received: "stuck"/.test(m)));
  };

  test("a Location over http:// to a loopback name other than GHES's (localhost): not fetched, counted, logged", async () => {
    const before = metricValue(await agent.metrics(), 'ghes_agent_failure_excerpts_total', { outcome: 'refused' });
    notFetched(await failedRunWithLogAt(`http://localhost:${storagePort()}`));
    assert.equal(metricValue(await agent.metrics(), 'ghes_agent_failure_excerpts_total', { outcome: 'refused' }), before + 1);
    assert.match(agent.output(), /storage host localhost is not accepted: its scheme is http, not https/);
  });

  test('a Location at a link-local (cloud metadata) address: not fetched, counted', async () => {
    const before = metricValue(await agent.metrics(), 'ghes_agent_failure_excerpts_total', { outcome: 'refused' });
    notFetched(await failedRunWithLogAt('https://169.254.169.254'));
    assert.equal(metricValue(await agent.metrics(), 'ghes_agent_failure_excerpts_total', { outcome: 'refused' }), before + 1);
    assert.match(agent.output(), /storage host 169\.254\.169\.254 is not accepted: the host is a link-local address/);
  });

  test("with github.logHosts set: GHES's own host is still read (and logged), an unlisted host is not", async () => {
    await agent.stop();
    listed = await startAgentProcess(stack, {
      overrides: { github: { correlationTimeoutSeconds: 20, logHosts: ['logs.example.com'] }, insight: { excerptTimeoutSeconds: 5 } },
    });
    await listed.waitReady();
    const own = await failedRunWithLogAt(stack.ghes.storageOrigin);
    assert.match(own.done.summary ?? '', /Received: "stuck"/);
    assert.equal(own.storage.length, 1);
    assert.match(listed.output(), /reading a job log from 127\.0\.0\.1/);
    notFetched(await failedRunWithLogAt(`http://localhost:${storagePort()}`));
    assert.match(listed.output(), /storage host localhost is not accepted/);
    const other = await failedRunWithLogAt('https://blob.other.example');
    notFetched(other);
    assert.match(listed.output(), /storage host blob\.other\.example is not accepted: the host is not GHES and not in github\.logHosts/);
    assert.equal(metricValue(await listed.metrics(), 'ghes_agent_failure_excerpts_total', { outcome: 'refused' }), 2);
  });
});

describe('cancellation: a run ended in Port, and tracking.cancelOnTimeout', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' } });
    agent = await startAgentProcess(stack, {
      overrides: { tracking: { pollIntervalSeconds: 0.5, portCheckSeconds: 1, cancelGraceSeconds: 2 } },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  const ghRunOf = (runId: string) => stack.ghes.runs().find((r) => r.inputs.port_run_id === runId);

  test('someone sets the run to FAILURE in Port: the GHES run is cancelled, and Port gets no second status', async () => {
    const run = await stack.publish(inv('long.yml'));
    await until('the GHES run in progress', () => ghRunOf(run.id)?.status === 'in_progress');
    stack.port.endRun(run.id, 'FAILURE', 'alice');
    await until('the GHES run cancelled', () => ghRunOf(run.id)?.status === 'completed', 30_000);
    assert.equal(ghRunOf(run.id)!.conclusion, 'cancelled');
    const cancels = stack.ghes.requests().filter((r) => r.route?.endsWith('/cancel') || r.route?.endsWith('/force-cancel'));
    assert.deepEqual(
      cancels.map((r) => `${r.route} ${r.status}`),
      ['POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel 202'],
    );
    await until(
      'the agent to finish the run',
      async () =>
        metricValue(await agent.metrics(), 'ghes_agent_runs_completed_total', { conclusion: 'cancelled', intake: 'kafka' }) >= 1 ||
        undefined,
    );
    const after = stack.port.getRun(run.id)!;
    assert.equal(after.statusWrites, 1, 'only the user set a status');
    assert.equal(after.status, 'FAILURE');
  });

  test('a cancel that does not take (if: always()): force-cancel after cancelGraceSeconds', async () => {
    const run = await stack.publish(inv('stubborn.yml'));
    await until('the GHES run in progress', () => ghRunOf(run.id)?.status === 'in_progress');
    stack.port.endRun(run.id, 'FAILURE');
    await until('the GHES run ended', () => ghRunOf(run.id)?.status === 'completed', 30_000);
    const gh = ghRunOf(run.id)!;
    assert.equal(gh.conclusion, 'cancelled');
    const cancels = stack.ghes.requests().filter((r) => r.path.includes(`/runs/${gh.id}/`) && r.method === 'POST');
    assert.deepEqual(
      cancels.map((r) => `${r.route} ${r.status}`),
      ['POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel 202', 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel 202'],
    );
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_run_cancels_total', { trigger: 'port', result: 'force_cancelled' }) >= 1);
  });

  test("cost: each tracked run's Port record is read once per portCheckSeconds, no more", async () => {
    const run = await stack.publish(inv('long.yml'));
    await until('the GHES run in progress', () => ghRunOf(run.id)?.status === 'in_progress');
    const t0 = Date.now();
    const readsBefore = stack.port.requests().filter((r) => r.method === 'GET' && r.path === `/v1/actions/runs/${run.id}`).length;
    await new Promise((r) => setTimeout(r, 5000));
    const reads = stack.port.requests().filter((r) => r.method === 'GET' && r.path === `/v1/actions/runs/${run.id}`).length - readsBefore;
    const seconds = (Date.now() - t0) / 1000;
    console.log(`# port end-check reads: ${reads} in ${seconds.toFixed(1)} s with portCheckSeconds=1`);
    assert.ok(reads >= 2 && reads <= Math.ceil(seconds) + 1, `${reads} reads in ${seconds} s`);
    stack.port.endRun(run.id, 'FAILURE');
    await until('the GHES run cancelled', () => ghRunOf(run.id)?.status === 'completed', 30_000);
  });
});

describe('tracking.cancelOnTimeout', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' } });
    agent = await startAgentProcess(stack, {
      overrides: {
        tracking: { pollIntervalSeconds: 0.5, maxWaitSeconds: 3, cancelOnTimeout: true, cancelGraceSeconds: 2, portCheckSeconds: 0 },
      },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('the wait runs out: FAILURE saying so, and the GHES run is cancelled', async () => {
    const run = await stack.publish(inv('long.yml'));
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'FAILURE');
    assert.match(done.summary ?? '', /timed out waiting .* after 3s .*; cancelling the GitHub run: cancelled/);
    const gh = stack.ghes.runs().find((r) => r.inputs.port_run_id === run.id)!;
    assert.equal(gh.status, 'completed');
    assert.equal(gh.conclusion, 'cancelled');
    assert.equal(stack.port.getRun(run.id)!.statusWrites, 1);
  });
});
