// Issue 23, "resume and adoption obey the same rules as a first dispatch": a Port user with write
// access to runs can write any run's link and externalRunId (PATCH /v1/actions/runs/{id}). Before,
// the agent resumed whatever GitHub run they named, in any repository its App could see and on any
// host, without asking the policy: it read that run's jobs, logs and reviewers into Port and
// cancelled it when the Port run ended. Each case here names a live GitHub run N that is not the
// invocation's, through the Kafka intake (Port's record read before the dispatch) and the HTTPS
// intake (the claim answer's record), and expects: FAILURE with the reason in Port's log and
// summary, no jobs, logs or pending deployments of N read, N not cancelled. And a denied
// repository costs no GHES request at all, whether it exists or not (no existence oracle).
// Real broker, both simulators, the agent as a process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RELEASED_LABEL } from '../../agent/claim/adoption.js';
import type { SimPortRun } from '../sim/port/types.js';
import { buildRunMessage, publishMessages, signRunMessage } from '../sim/publisher.js';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const POLICY = { allow: [{ org: 'acme', repo: 'infra' }] };
const HTTPS_TOO = {
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 10_000, leaseSeconds: 20, rediscoveryIntervalSeconds: 1 },
};

/** A Port user with write access to runs (the organization's credentials: the agent's own can do no more) writes a run's record. */
async function portUserPatch(stack: LocalStack, runId: string, body: Record<string, unknown>): Promise<void> {
  const auth = await fetch(`${stack.port.url}/v1/auth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: stack.port.clientId, clientSecret: stack.port.clientSecret }),
  });
  const { accessToken } = (await auth.json()) as { accessToken: string };
  const res = await fetch(`${stack.port.url}/v1/actions/runs/${runId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `Port took the write: ${await res.text()}`);
}

describe("a recorded GitHub run is followed only when it is the invocation's own", () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  let bot: string;
  /** The claimed run whose record a Port user pointed at another repository's ids before the agent claimed it. */
  let claimed: SimPortRun;
  let claimedTarget: number;
  /** An acknowledged run a Port user labelled as handed over, its link pointing elsewhere: taken over by the agent's rediscovery. */
  let adopted: SimPortRun;
  let adoptedTarget: number;

  /** A live run (10 minutes long) of `workflow` in acme/`repo`, dispatched by `actor`, whose run-name names no Port run. */
  const liveRun = (repo: string, workflow: string, actor: string, inputs: Record<string, string> = {}) =>
    stack.ghes.addRuns({ owner: 'acme', repo, workflow, actor, inputs })[0]!;
  const link = (repo: string, id: number, origin = stack.ghes.origin) => `${origin}/acme/${repo}/actions/runs/${id}`;

  /** The Port run, created, its record written by a Port user, then its signed message published. */
  async function recordedAndPublished(inv: { repo: string; workflow: string }, record: Record<string, unknown>): Promise<SimPortRun> {
    const run = stack.port.createRun({
      invocation: { type: 'GITHUB', org: 'acme', repo: inv.repo, workflow: inv.workflow, workflowInputs: {} },
    });
    await portUserPatch(stack, run.id, record);
    const msg = signRunMessage(buildRunMessage({ orgId: stack.port.orgId, run }), stack.port.clientSecret);
    await publishMessages(stack.producer, stack.topic, [{ key: run.id, value: msg }]);
    return run;
  }

  /** What the agent did to GitHub run `id` beyond reading the run itself. */
  const touched = (id: number) =>
    stack.ghes
      .requests()
      .filter((r) => r.path.includes(`/actions/runs/${id}/`) || r.route === 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs')
      .map((r) => `${r.method} ${r.path}`);

  async function refused(run: SimPortRun, n: number, reason: RegExp): Promise<void> {
    const done = await stack.waitForRun(run.id, isFinal, 30_000);
    assert.equal(done.status, 'FAILURE', done.summary);
    assert.match(done.summary ?? '', reason);
    assert.ok(
      done.logs.some((l) => reason.test(l.message)),
      `the reason is in Port's log: ${done.logs.map((l) => l.message).join(' | ')}`,
    );
    // Two status sweeps and a Port end check later, still nothing of N was read or cancelled.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(touched(n), [], 'no jobs, logs, pending deployments or cancel of the recorded run');
    assert.equal(stack.ghes.runs().find((r) => r.id === n)!.status, 'in_progress', 'the recorded run goes on');
  }

  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    bot = `${stack.ghes.app.slug}[bot]`;
    stack.ghes.addRepo({ owner: 'acme', name: 'secret', defaultBranch: 'main' });
    stack.ghes.addWorkflow('acme', 'secret', { path: 'long.yml', script: { conclusion: 'success', queuedMs: 100, durationMs: 600_000 } });
    // Claimed over HTTPS: the record is written before any agent can claim the run.
    claimedTarget = liveRun('infra', 'long.yml', bot);
    claimed = stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'long.yml' });
    await portUserPatch(stack, claimed.id, { externalRunId: `gh_1_2_${claimedTarget}`, link: link('infra', claimedTarget) });
    adoptedTarget = liveRun('infra', 'long.yml', 'mallory');
    adopted = stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'long.yml' });
    stack.port.ackElsewhere(adopted.id);
    await portUserPatch(stack, adopted.id, { statusLabel: RELEASED_LABEL, link: link('infra', adoptedTarget) });
    agent = await startAgentProcess(stack, { auth: 'app', overrides: { policy: POLICY, ...HTTPS_TOO } });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('an externalRunId gh_1_2_N (ids of another repository) on a claimed run: refused, N neither read nor cancelled', async () => {
    await refused(claimed, claimedTarget, /externalRunId names repository 2 of owner 1, not acme\/infra/);
    assert.equal(stack.port.getRun(claimed.id)!.acks, 1, 'acknowledged: Port does not offer it again');
  });

  test("a run taken over (labelled handed over) whose link names someone else's run N: refused, N neither read nor cancelled", async () => {
    await refused(adopted, adoptedTarget, /started by mallory, not by this agent/);
    assert.equal(
      stack.port.getRun(adopted.id)!.history.filter((w) => /taken over by/.test(JSON.stringify(w))).length,
      1,
      'it was taken over, then refused',
    );
  });

  test('an externalRunId gh_1_2_N on a Kafka run: refused before N is read at all', async () => {
    const n = liveRun('infra', 'long.yml', bot);
    const run = await recordedAndPublished({ repo: 'infra', workflow: 'long.yml' }, { externalRunId: `gh_1_2_${n}` });
    await refused(run, n, /externalRunId names repository 2 of owner 1, not acme\/infra/);
    assert.equal(stack.ghes.requests().filter((r) => r.path.endsWith(`/actions/runs/${n}`)).length, 0, 'N itself was not read');
  });

  test('a link to run N on another host: refused', async () => {
    const n = liveRun('infra', 'long.yml', bot);
    const run = await recordedAndPublished(
      { repo: 'infra', workflow: 'long.yml' },
      { link: link('infra', n, 'https://ghes.attacker.invalid') },
    );
    await refused(run, n, /recorded run link is on https:\/\/ghes\.attacker\.invalid, not on this agent's GHES/);
  });

  test("a link to the agent's run N of another workflow: refused", async () => {
    const n = liveRun('infra', 'long.yml', bot);
    const run = await recordedAndPublished({ repo: 'infra', workflow: 'deploy.yml' }, { link: link('infra', n) });
    await refused(run, n, /is a run of \.github\/workflows\/long\.yml, not of \.github\/workflows\/deploy\.yml/);
  });

  test('a link to run N of the same workflow started by someone else: refused', async () => {
    const n = liveRun('infra', 'long.yml', 'mallory');
    const run = await recordedAndPublished({ repo: 'infra', workflow: 'long.yml' }, { link: link('infra', n) });
    await refused(run, n, new RegExp(`started by mallory, not by this agent \\(${bot.replace(/[[\]]/g, '\\$&')}\\)`));
  });

  test("a link to run N in a repository the policy denies: the policy's refusal, and no GHES request about that repository", async () => {
    const before = stack.ghes.requests().length;
    const n = liveRun('secret', 'long.yml', bot);
    const run = await recordedAndPublished(
      { repo: 'secret', workflow: 'long.yml' },
      { link: link('secret', n), externalRunId: `gh_1_2_${n}` },
    );
    await refused(run, n, /not allowed by this agent's policy: acme\/secret workflow long\.yml matches no rule of policy\.allow/);
    assert.deepEqual(
      stack.ghes
        .requests()
        .slice(before)
        .filter((r) => r.path.includes('/acme/secret'))
        .map((r) => `${r.method} ${r.path}`),
      [],
    );
  });

  test('a denied repository that exists and one that does not: the same answer, and no GHES request for either', async () => {
    const before = stack.ghes.requests().length;
    const exists = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'secret', workflow: 'long.yml' });
    const missing = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'nowhere', workflow: 'long.yml' });
    const [a, b] = [await stack.waitForRun(exists.id, isFinal), await stack.waitForRun(missing.id, isFinal)];
    assert.equal(a.status, 'FAILURE');
    assert.equal(b.status, 'FAILURE');
    assert.equal(
      a.summary?.replace('acme/secret', 'acme/X'),
      b.summary?.replace('acme/nowhere', 'acme/X'),
      `the same answer: ${a.summary} | ${b.summary}`,
    );
    assert.match(a.summary ?? '', /not allowed by this agent's policy/);
    assert.deepEqual(
      stack.ghes
        .requests()
        .slice(before)
        .filter((r) => /\/acme\/(secret|nowhere)\b/.test(r.path))
        .map((r) => `${r.method} ${r.path}`),
      [],
    );
  });

  test("the agent's own run of this workflow recorded for this Port run is still resumed: tracked to SUCCESS, not dispatched again", async () => {
    const run = stack.port.createRun({
      invocation: { type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: {} },
    });
    const n = stack.ghes.addRuns({ owner: 'acme', repo: 'infra', workflow: 'deploy.yml', actor: bot, inputs: { port_run_id: run.id } })[0]!;
    await portUserPatch(stack, run.id, { link: link('infra', n), statusLabel: 'Workflow dispatched' });
    await publishMessages(stack.producer, stack.topic, [
      { key: run.id, value: signRunMessage(buildRunMessage({ orgId: stack.port.orgId, run }), stack.port.clientSecret) },
    ]);
    const done = await stack.waitForRun(run.id, isFinal, 30_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.match(done.summary ?? '', new RegExp(`actions/runs/${n} completed: success`));
    assert.deepEqual(
      stack.ghes
        .runs()
        .filter((r) => r.inputs.port_run_id === run.id)
        .map((r) => r.id),
      [n],
      'no second run',
    );
  });
});
