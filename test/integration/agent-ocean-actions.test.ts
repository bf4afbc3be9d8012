// Issue 24: Port's GitHub Ocean action types other than dispatch_workflow, end to end on the
// HTTPS intake (the only intake that carries them: Port's `ORG_ID.github.runs` topic carries
// GITHUB invocations, i.e. workflow dispatches only — shared/reference/port-protocol.md) and as
// workflow nodes, with the agent as a process on the Port and GHES simulators. At most once
// across crashes: the agent is killed between the intent label and the write, and between the
// write and its report; Port offers the run again and the replacement makes no second pull
// request or issue. A type no GHES version can run is refused, acknowledged, naming why.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type IntegrationProps, type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const CREATE_PULL = 'POST /repos/{owner}/{repo}/pulls';
const CREATE_ISSUE = 'POST /repos/{owner}/{repo}/issues';
const CREATE_COMMENT = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
const POLICY = {
  allow: [
    { org: 'acme', repo: 'infra' },
    { org: 'acme', repo: 'docs', actions: ['create_pull_request', 'create_issue', 'create_pr_comment', 'close_pull_request'] },
  ],
};
// The HTTPS intake alone, quick to claim, with a short claim window so re-offers after a kill come within the test (as agent-port-api.test.ts).
const overrides = {
  kafka: { enabled: false },
  portApi: { enabled: true, claimIntervalSeconds: 0.2, visibilityTimeoutMs: 10_000, leaseSeconds: 20, rediscoveryIntervalSeconds: 1 },
  policy: POLICY,
};
// The simulator's helper types a dispatch_workflow run's properties; these types carry others.
const asProps = (p: Record<string, unknown>) => p as unknown as IntegrationProps;

describe('Ocean action types on the HTTPS intake and as workflow nodes', () => {
  let stack: LocalStack;
  const agents: AgentProcess[] = [];
  const start = async () => {
    const a = await startAgentProcess(stack, { auth: 'app', overrides });
    agents.push(a);
    await a.waitReady();
    return a;
  };
  const pullsFor = (head: string) => stack.ghes.tracker.pulls().filter((p) => p.repo === 'docs' && p.head === head);
  const commentsWith = (runId: string) =>
    stack.ghes.tracker.comments().filter((c) => c.repo === 'docs' && c.body.includes(`<!-- port-run: ${runId} -->`));
  const issuesWith = (runId: string) =>
    stack.ghes.tracker.issues().filter((i) => i.repo === 'docs' && (i.body ?? '').includes(`<!-- port-run: ${runId} -->`));

  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' }, port: { recordResponses: true } });
    stack.ghes.addRepo({
      owner: 'acme',
      name: 'docs',
      defaultBranch: 'main',
      branches: ['pr-ok', 'pr-node', 'pr-crash-1', 'pr-crash-2', 'pr-other', 'pr-close'],
    });
    await start();
  });
  after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    await stack?.close();
  });

  test('create_pull_request: "Creating PR", one pull request, SUCCESS with Ocean\'s message, acknowledged once', async () => {
    const run = stack.createIntegrationRun(
      asProps({ org: 'acme', repo: 'docs', title: 'Docs', head: 'pr-ok', base: 'main', body: 'from Port' }),
      { integrationActionType: 'create_pull_request' },
    );
    const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const prs = pullsFor('pr-ok');
    assert.equal(prs.length, 1);
    assert.match(
      done.summary ?? '',
      new RegExp(`^Pull request #${prs[0]!.number} created: https?://\\S+/acme/docs/pull/${prs[0]!.number}$`),
    );
    assert.equal(done.statusLabel, 'PR created');
    assert.match(String(done.link), /\/acme\/docs\/pull\/\d+$/);
    assert.ok(done.logs.some((l) => l.message === "Creating pull request 'Docs' in acme/docs (pr-ok → main)"));
  });

  test("create_issue: one issue carrying the run's marker, SUCCESS with Ocean's message", async () => {
    const run = stack.createIntegrationRun(
      asProps({ org: 'acme', repo: 'docs', title: 'Broken link', body: 'on /start', labels: ['docs'] }),
      { integrationActionType: 'create_issue' },
    );
    const done = await stack.waitForRun(run.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const issues = issuesWith(run.id);
    assert.equal(issues.length, 1);
    assert.deepEqual(issues[0]!.labels, ['docs']);
    assert.match(done.summary ?? '', new RegExp(`^Issue #${issues[0]!.number} created: `));
  });

  test('a workflow node creating a pull request: its output carries the number and URL', async () => {
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', title: 'Node', head: 'pr-node', base: 'main' }), {
      kind: 'workflow-node',
      integrationActionType: 'create_pull_request',
    });
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.result, 'SUCCESS');
    const pr = pullsFor('pr-node')[0]!;
    assert.equal(done.output?.number, pr.number);
    assert.match(String(done.output?.url), new RegExp(`/acme/docs/pull/${pr.number}$`));
  });

  test("a dispatch_workflow node: its output carries the conclusion beside the run's URL and id (ocean PR #3980)", async () => {
    const run = stack.createIntegrationRun(
      { org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } },
      { kind: 'workflow-node' },
    );
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.result, 'SUCCESS');
    assert.equal(done.output?.conclusion, 'success');
    assert.equal(typeof done.output?.workflowRunId, 'number');
    assert.equal(done.output?.workflowRunUrl, done.links?.[0]);
  });

  test('refusals: the policy (a repository whose rule names no such type), a type no GHES documents — FAILURE, acknowledged, nothing written', async () => {
    const denied = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'infra', title: 'x', head: 'pr-other', base: 'main' }), {
      integrationActionType: 'create_pull_request',
    });
    const custom = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', properties: { tier: 'gold' } }), {
      integrationActionType: 'update_repo_external_custom_properties',
    });
    const d = await stack.waitForRun(denied.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(d.status, 'FAILURE');
    assert.match(d.summary ?? '', /action create_pull_request on acme\/infra matches no rule of policy\.allow naming it \(acme\/docs\)/);
    const c = await stack.waitForRun(custom.id, (r) => isFinal(r) && r.acks === 1);
    assert.equal(c.status, 'FAILURE');
    assert.match(c.summary ?? '', /no GHES version documents/);
    assert.equal(stack.ghes.tracker.pulls().filter((p) => p.head === 'pr-other').length, 0);
  });

  test('killed between the intent and the write: the replacement finds no pull request and makes exactly one', async () => {
    // Every POST refused before effect (503): the agent has written "Creating PR" and keeps trying.
    const remove = stack.ghes.fault({ route: CREATE_PULL, when: 'before', kind: 'status', status: 503 });
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', title: 'Crash 1', head: 'pr-crash-1', base: 'main' }), {
      integrationActionType: 'create_pull_request',
    });
    await stack.waitForRun(run.id, (r) => r.statusLabel === 'Creating PR');
    const first = agents.at(-1)!;
    first.kill();
    await first.waitExit();
    remove();
    assert.equal(pullsFor('pr-crash-1').length, 0);
    await start();
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(pullsFor('pr-crash-1').length, 1, 'exactly one pull request');
  });

  test('killed between the write and its report: the replacement finds the pull request and the issue; no second of either', async () => {
    // The POSTs take effect, then their answers hang: the agent is killed meanwhile.
    const removePull = stack.ghes.fault({ route: CREATE_PULL, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 });
    const removeIssue = stack.ghes.fault({ route: CREATE_ISSUE, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 });
    const prRun = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', title: 'Crash 2', head: 'pr-crash-2', base: 'main' }), {
      integrationActionType: 'create_pull_request',
    });
    const issueRun = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', title: 'Crash issue' }), {
      integrationActionType: 'create_issue',
    });
    const since = Date.now();
    while (pullsFor('pr-crash-2').length === 0 || issuesWith(issueRun.id).length === 0) {
      assert.ok(Date.now() - since < 30_000, 'the writes never reached GHES');
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = agents.at(-1)!;
    first.kill();
    await first.waitExit();
    removePull();
    removeIssue();
    await start();
    const pr = await stack.waitForRun(prRun.id, isFinal, 60_000);
    const is = await stack.waitForRun(issueRun.id, isFinal, 60_000);
    assert.equal(pr.status, 'SUCCESS', pr.summary);
    assert.equal(is.status, 'SUCCESS', is.summary);
    assert.equal(pullsFor('pr-crash-2').length, 1, 'one pull request');
    assert.equal(issuesWith(issueRun.id).length, 1, 'one issue');
    assert.match(pr.summary ?? '', new RegExp(`^Pull request #${pullsFor('pr-crash-2')[0]!.number} created`));
  });

  test("create_pr_comment, killed between the write and its report: one comment on the pull request, SUCCESS with Ocean's message", async () => {
    const pr = pullsFor('pr-ok')[0]!;
    const remove = stack.ghes.fault({ route: CREATE_COMMENT, when: 'after', count: 1, kind: 'latency', latencyMs: 120_000 });
    const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: pr.number, body: 'Deployed to staging' }), {
      integrationActionType: 'create_pr_comment',
    });
    const since = Date.now();
    while (commentsWith(run.id).length === 0) {
      assert.ok(Date.now() - since < 30_000, 'the comment never reached GHES');
      await new Promise((r) => setTimeout(r, 50));
    }
    const first = agents.at(-1)!;
    first.kill();
    await first.waitExit();
    remove();
    await start();
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(commentsWith(run.id).length, 1, 'one comment');
    assert.equal(commentsWith(run.id)[0]!.issueNumber, pr.number);
    assert.match(done.summary ?? '', new RegExp(`^Comment created on pull request #${pr.number}: `));
    assert.equal(done.statusLabel, 'Comment created');
  });

  test('close_pull_request: closed, and a second run closing it again succeeds too (idempotent)', async () => {
    const open = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', title: 'To close', head: 'pr-close', base: 'main' }), {
      integrationActionType: 'create_pull_request',
    });
    await stack.waitForRun(open.id, isFinal);
    const pr = pullsFor('pr-close')[0]!;
    for (let i = 0; i < 2; i++) {
      const run = stack.createIntegrationRun(asProps({ org: 'acme', repo: 'docs', prNumber: pr.number }), {
        integrationActionType: 'close_pull_request',
      });
      const done = await stack.waitForRun(run.id, isFinal);
      assert.equal(done.status, 'SUCCESS', done.summary);
      assert.match(done.summary ?? '', new RegExp(`^Pull request #${pr.number} closed: `));
    }
    assert.equal(pullsFor('pr-close')[0]!.state, 'closed');
  });
});
