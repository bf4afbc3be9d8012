// Issue 23, item 5: a run-name is text anyone who can dispatch a workflow chooses, so a person
// with write access could plant a run titled `… r_<id>` for the agent to adopt (track, report to
// Port, cancel when the Port run ends). Run-name matching now takes only a run of the agent's own
// login and of the invocation's workflow: the pure verdict (own-run.ts), then each of its three
// users: the interrupted-dispatch look (find-interrupted-run.ts), the look before dispatching
// again (findExistingRun) and the redelivery locator (resume-locator.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DispatchContext, findExistingRun } from '../../agent/github/dispatch-workflow.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { RunsPage, WorkflowRun } from '../../agent/github/run-list-api.js';
import { matchRunName, ownership } from '../../agent/github/own-run.js';
import { isRunOfWorkflow } from '../../agent/github/workflow-of-run.js';
import type { Logger } from '../../agent/observability/logger.js';
import { findRunByRunName } from '../../agent/run/find-interrupted-run.js';
import { createResumeLocator, ownRuns } from '../../agent/run/resume-locator.js';
import type { Clock } from '../../agent/util/backoff.js';
import { KeyedMutex } from '../../agent/util/semaphore.js';
import { deployRun } from './fakes/dispatch-context.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const AGENT = 'port-app[bot]';
const RUN_ID = 'r_victim000001';
const invocation = { actor: AGENT, org: 'acme', repo: 'infra', workflow: 'deploy.yml' };
const run = deployRun(RUN_ID);

function ghRun(id: number, o: Partial<WorkflowRun> = {}): WorkflowRun {
  const at = new Date(T0 + 1000).toISOString();
  return {
    id,
    display_title: `Deploy ${RUN_ID}`,
    status: 'in_progress',
    conclusion: null,
    html_url: `https://ghes/acme/infra/actions/runs/${id}`,
    head_branch: 'main',
    created_at: at,
    updated_at: at,
    event: 'workflow_dispatch',
    actor: AGENT,
    path: '.github/workflows/deploy.yml',
    workflow_id: 11,
    ...o,
  };
}
/** Planted: a person's run of the same workflow, and the agent's run of another workflow whose run-name shows an input someone filled with the id. */
const byPerson = () => ghRun(501, { actor: 'mallory' });
const otherWorkflow = () => ghRun(502, { path: '.github/workflows/echo.yml', workflow_id: 12 });

const warnings: string[] = [];
const logger = {
  child: () => logger,
  warn: (m: string) => void warnings.push(m),
  info: () => undefined,
  debug: () => undefined,
  error: () => undefined,
} as unknown as Logger;
const clock: Clock = { now: () => T0 + 60_000, sleep: async () => undefined };

describe('own-run verdicts (pure)', () => {
  it("the agent's run of the invocation's workflow is its own; logins compare without case; a re-run by a person keeps the agent as actor", () => {
    assert.deepEqual(ownership(ghRun(1), invocation), { kind: 'own' });
    assert.deepEqual(ownership(ghRun(1, { actor: 'Port-App[bot]' }), invocation), { kind: 'own' });
  });

  it("another actor's run, or a run of another workflow, is foreign, with the reason", () => {
    const person = ownership(byPerson(), invocation);
    assert.equal(person.kind, 'foreign');
    assert.match((person as { reason: string }).reason, /dispatched by mallory, not by the agent \(port-app\[bot\]\)/);
    for (const actor of ['github-actions[bot]', 'other-app[bot]'])
      assert.equal(ownership(ghRun(1, { actor }), invocation).kind, 'foreign', actor);
    const other = ownership(otherWorkflow(), invocation);
    assert.equal(other.kind, 'foreign');
    assert.match((other as { reason: string }).reason, /echo\.yml, not of deploy\.yml/);
  });

  it("unknown login (the agent's or the run's) or unknown workflow: unverifiable, never own", () => {
    assert.equal(ownership(ghRun(1), { ...invocation, actor: undefined }).kind, 'unverifiable');
    assert.equal(ownership(ghRun(1, { actor: undefined }), invocation).kind, 'unverifiable');
    assert.equal(ownership(ghRun(1, { path: undefined }), invocation).kind, 'unverifiable');
    // Known to be another workflow: foreign even when the login is unknown.
    assert.equal(ownership(otherWorkflow(), { ...invocation, actor: undefined }).kind, 'foreign');
  });

  it('matchRunName takes only the own run; planted ones are ignored, not ambiguity; own ones twice are ambiguous', () => {
    const ours = ghRun(1);
    const m = matchRunName([byPerson(), ours, otherWorkflow(), ghRun(3, { display_title: 'Deploy r_someone' })], RUN_ID, invocation);
    assert.equal(m.kind, 'found');
    assert.equal((m as { run: WorkflowRun }).run, ours);
    assert.deepEqual(
      m.ignored.map((i) => i.run.id),
      [501, 502],
    );
    assert.equal(matchRunName([byPerson(), otherWorkflow()], RUN_ID, invocation).kind, 'none');
    assert.equal(matchRunName([ours, ghRun(2)], RUN_ID, invocation).kind, 'ambiguous');
    assert.equal(matchRunName([ours], RUN_ID, { ...invocation, actor: undefined }).kind, 'unverifiable');
  });

  it("ownRuns keeps the agent's runs of one workflow only", () => {
    assert.deepEqual(
      ownRuns([byPerson(), ghRun(1), otherWorkflow()], invocation).map((r) => r.id),
      [1],
    );
  });
});

/** A repository whose run list (and the workflow's) holds `runs`. */
function ghes(runs: WorkflowRun[]) {
  const page = (q: { page?: number }): RunsPage => ({ runs: (q.page ?? 1) > 1 ? [] : runs, totalCount: runs.length, serverDateMs: T0 });
  return {
    listRepoRuns: async (_o: string, _r: string, q: { page?: number }) => ({ notModified: false as const, page: page(q) }),
    listWorkflowRuns: async (_o: string, _r: string, wf: string, q: { page?: number }) => ({
      ...page(q),
      runs: page(q).runs.filter((r) => isRunOfWorkflow(r, { org: 'acme', repo: 'infra', workflow: wf })),
    }),
  } as unknown as GithubApi;
}

describe('a planted run is not adopted after an interrupted dispatch', () => {
  const signal = new AbortController().signal;
  it("findRunByRunName (the repository list): a person's run and another workflow's run showing the id are ignored and logged", async () => {
    warnings.length = 0;
    const counted: string[] = [];
    const deps = {
      api: ghes([byPerson(), otherWorkflow()]),
      clock,
      signal,
      actor: AGENT,
      logger,
      onRunNameMismatch: (why: string) => void counted.push(why),
    };
    assert.equal(await findRunByRunName(deps, run, T0), undefined);
    assert.equal(warnings.filter((w) => /shows Port run id r_victim000001 but is not the agent's/.test(w)).length, 2);
    assert.deepEqual(counted, ['other_actor', 'other_workflow'], 'each counted (ghes_agent_run_name_mismatches_total) by reason');
    // With the agent's own run there too, that one is found.
    assert.equal((await findRunByRunName({ ...deps, api: ghes([byPerson(), ghRun(7), otherWorkflow()]) }, run, T0))?.runId, 7);
  });

  it('findExistingRun (the workflow list): a person\'s run is ignored, so "not found" holds and the agent may dispatch', async () => {
    const ctx: DispatchContext = {
      api: ghes([byPerson(), ghRun(8, { display_title: 'Deploy r_someone0001' })]),
      clock,
      logger,
      locks: new KeyedMutex(),
      learned: { noRunIdInput: new Set(), runDetails: true },
      correlationTimeoutMs: 1000,
      actor: AGENT,
    };
    assert.equal(await findExistingRun(ctx, run, 'main', T0), undefined);
    assert.equal((await findExistingRun({ ...ctx, api: ghes([byPerson(), ghRun(9)]) }, run, 'main', T0))?.runId, 9);
  });

  it("the agent's login unknown: a run showing the id is neither adopted nor taken as absent (refused as ambiguous)", async () => {
    const counted: string[] = [];
    await assert.rejects(
      findRunByRunName({ api: ghes([ghRun(7)]), clock, signal, onRunNameMismatch: (why) => void counted.push(why) }, run, T0),
      (e: Error & { code?: string }) => e.code === 'ambiguous' && /cannot tell whether it dispatched them/.test(e.message),
    );
    assert.deepEqual(counted, ['unverifiable']);
    const ctx: DispatchContext = {
      api: ghes([ghRun(9)]),
      clock,
      logger,
      locks: new KeyedMutex(),
      learned: { noRunIdInput: new Set(), runDetails: true },
      correlationTimeoutMs: 1000,
    };
    await assert.rejects(findExistingRun(ctx, run, 'main', T0), (e: Error & { code?: string }) => e.code === 'ambiguous');
  });
});

describe('a planted run is not adopted by the redelivery locator', () => {
  const silent = {
    child: () => silent,
    warn: (m: string) => void warnings.push(m),
    info: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  const counted: string[] = [];
  const locator = (runs: WorkflowRun[], actor: string | undefined) =>
    createResumeLocator({
      api: ghes(runs),
      clock: { now: () => T0, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) },
      logger: silent,
      actor,
      gatherMs: 5,
      onRunNameMismatch: (why) => void counted.push(why),
    });
  const signal = new AbortController().signal;

  it("a person's run or another workflow's showing the id: undefined (the run reads Port's record), logged", async () => {
    warnings.length = 0;
    assert.equal(await locator([byPerson(), otherWorkflow()], AGENT).locate(run, T0, signal), undefined);
    assert.equal(warnings.filter((w) => /shows Port run id r_victim000001 but is not taken/.test(w)).length, 2);
    assert.deepEqual(counted.splice(0), ['other_actor', 'other_workflow'], 'each counted (ghes_agent_run_name_mismatches_total) by reason');
  });

  it("one list serves lookups of several workflows: each gets only its own workflow's run", async () => {
    const l = locator(
      [ghRun(21), ghRun(22, { path: '.github/workflows/echo.yml', display_title: 'Echo r_other0000001' }), otherWorkflow()],
      AGENT,
    );
    const [deploy, echo, echoForVictim] = await Promise.all([
      l.locate(run, T0, signal),
      l.locate({ ...run, runId: 'r_other0000001', workflow: 'echo.yml' }, T0, signal),
      l.locate({ ...run, workflow: 'echo.yml' }, T0, signal),
    ]);
    assert.equal(deploy?.runId, 21, "the victim's deploy.yml run is found despite an echo.yml run showing its id");
    assert.equal(echo?.runId, 22);
    assert.equal(echoForVictim?.runId, 502, 'for an echo.yml invocation, the echo.yml run is the one');
  });

  it("the agent's login unknown: nothing is taken from the list", async () => {
    assert.equal(await locator([ghRun(21)], undefined).locate(run, T0, signal), undefined);
  });
});
