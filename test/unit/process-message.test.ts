// The message processor built against fakes (issue 25, item 2), as kafkajs's
// src/consumer/__tests__/runner.spec.js builds its Runner: a fake Port that keeps each run's
// record, a fake GithubApi, a fake watcher that answers on virtual time, and a virtual clock.
// A run is driven through dispatch → tracking → final report; a refusal, a run the policy denies,
// a run whose claim records its GitHub run (resumed, never dispatched), and a timed-out run
// (the settings' wait quoted in seconds) show the other paths.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../../agent/config/schema.js';
import type { GithubApi } from '../../agent/github/github-api.js';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import type { Logger } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import type { PortRunApi } from '../../agent/port/port-client.js';
import type { Report, Reporter } from '../../agent/port/reporter.js';
import { createMessageProcessor } from '../../agent/run/process-message.js';
import { type ProcessorSettings, processorSettings } from '../../agent/run/processor-deps.js';
import type { RunContext } from '../../agent/run/run-scope.js';
import type { RunWatcher, WatchHooks, WatchOutcome, WatchedRun } from '../../agent/tracking/run-watcher.js';
import type { PortRun } from '../../agent/types/port-run.js';
import type { RunRequest } from '../../agent/types/run-request.js';
import { KeyedMutex, Semaphore } from '../../agent/util/semaphore.js';
import { virtualClock } from './virtual-clock.js';

const RUN_ID = 'r_scope0000000001';
const GH_RUN = 7001;
const GH_URL = `https://ghes.example.com/acme/infra/actions/runs/${GH_RUN}`;
const ACTOR = 'ghes-agent[bot]';
const REPO = { id: 11, ownerId: 22, defaultBranch: 'main' };

const settings: ProcessorSettings = {
  ghesUrls: ['https://ghes.example.com', 'https://ghes.example.com/api/v3'],
  orgs: ['acme'],
  otherAgentsOrgs: [],
  policy: [{ org: 'acme', repo: 'infra', workflow: 'deploy.yml', refs: ['*'] }],
  runIdInput: 'port_run_id',
  cancelOnTimeout: false,
  maxWaitMs: 3_600_000,
};

const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  runId: RUN_ID,
  runKind: 'action',
  org: 'acme',
  repo: 'infra',
  workflow: 'deploy.yml',
  workflowInputs: { service: 'api' },
  reportWorkflowStatus: true,
  portPayload: undefined,
  ...over,
});

type Line = { level: string; message: string; fields: Record<string, unknown> };

/** Everything the processor is built from, faked; `watch` decides how the tracked run ends. */
function harness(
  opts: {
    record?: PortRun;
    watch?: (run: WatchedRun, hooks: WatchHooks, sleep: (ms: number) => Promise<void>) => Promise<WatchOutcome>;
    settings?: ProcessorSettings;
  } = {},
) {
  const { clock, runUntil } = virtualClock();
  const records = new Map<string, PortRun>([
    [RUN_ID, opts.record ?? { id: RUN_ID, status: 'IN_PROGRESS', statusLabel: null, link: null, externalRunId: null }],
  ]);
  const sent: Report[] = [];
  const github: string[] = [];
  const watched: WatchedRun[] = [];
  const lines: Line[] = [];

  const port = { getRun: async (id: string) => (records.has(id) ? { ...records.get(id)! } : undefined) } as unknown as PortRunApi;
  // The reporter writes to the fake Port's record, as Port would: the final report then sees it.
  const reporter: Reporter = {
    send: async (runId, report) => {
      sent.push(report);
      const r = records.get(runId);
      if (r && report.kind === 'patch') records.set(runId, { ...r, ...report.patch });
    },
    pending: () => 0,
    drain: async () => undefined,
    stop: () => undefined,
  };
  const ghRun: WorkflowRun = {
    id: GH_RUN,
    status: 'completed',
    conclusion: 'success',
    html_url: GH_URL,
    display_title: `deploy (${RUN_ID})`,
    head_branch: 'main',
    created_at: new Date(clock.now()).toISOString(),
    updated_at: new Date(clock.now()).toISOString(),
    event: 'workflow_dispatch',
    actor: ACTOR,
    path: '.github/workflows/deploy.yml',
    repository_id: REPO.id,
    repository_owner_id: REPO.ownerId,
  };
  const api = {
    repo: async (org: string, repo: string) => (github.push(`repo ${org}/${repo}`), REPO),
    dispatch: async (
      org: string,
      repo: string,
      workflow: string,
      body: { ref: string; inputs: Record<string, unknown>; return_run_details?: boolean },
    ) => {
      github.push(`dispatch ${org}/${repo} ${workflow} ${body.ref} ${JSON.stringify(body.inputs)} details=${body.return_run_details}`);
      return { status: 200, runId: GH_RUN, htmlUrl: GH_URL };
    },
    getRun: async (org: string, repo: string, id: number) => (github.push(`getRun ${org}/${repo} ${id}`), { run: ghRun }),
  } as unknown as GithubApi;
  const watcher: RunWatcher = {
    watch: async (run, hooks) => {
      watched.push(run);
      const sleep = (ms: number) => clock.sleep(ms, hooks.signal);
      return opts.watch ? opts.watch(run, hooks, sleep) : completes('success')(run, hooks, sleep);
    },
    size: () => watched.length,
  };
  // A child logger's lines carry its fields, as winston's do.
  const loggerWith = (base: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        void lines.push({ level, message, fields: { ...base, ...fields } });
    return {
      child: (more: Record<string, unknown>) => loggerWith({ ...base, ...more }),
      warn: at('warn'),
      info: at('info'),
      error: at('error'),
      debug: at('debug'),
    } as unknown as Logger;
  };
  const logger = loggerWith({});
  const metrics = createMetrics({ defaultMetrics: false });

  const processor = createMessageProcessor({
    settings: opts.settings ?? settings,
    port,
    reporter,
    api,
    watcher,
    dispatchSlots: new Semaphore(1),
    dispatch: {
      api,
      clock,
      logger,
      locks: new KeyedMutex(),
      learned: { noRunIdInput: new Set(), runDetails: true },
      correlationTimeoutMs: 60_000,
      actor: ACTOR,
    },
    version: [3, 21, 0],
    metrics,
    logger,
    clock,
  });

  /** Runs a prepared run to its end on virtual time. */
  async function drive(prepared: { handle(signal: AbortSignal, owned: AbortSignal): Promise<void> }): Promise<void> {
    let done = false;
    const handled = prepared.handle(new AbortController().signal, new AbortController().signal).finally(() => (done = true));
    await runUntil(() => done);
    await handled;
  }
  const counted = async (outcome: string, intake = 'kafka') => {
    const m = new RegExp(`ghes_agent_messages_total\\{outcome="${outcome}",intake="${intake}"\\} (\\d+)`).exec(
      await metrics.registry.metrics(),
    );
    return m ? Number(m[1]) : 0;
  };
  const ctx = (over: Partial<RunContext> = {}): RunContext => ({
    intake: 'kafka',
    where: { topic: 't', partition: 0, offset: '1' },
    writtenAtMs: clock.now(),
    ...over,
  });
  return { processor, drive, ctx, records, sent, github, watched, lines, metrics, counted, clock };
}

/** A watcher answer: the run queued, in progress, then completed with `conclusion` after a minute of virtual time. */
const completes =
  (conclusion: string) =>
  async (run: WatchedRun, hooks: WatchHooks, sleep: (ms: number) => Promise<void>): Promise<WatchOutcome> => {
    hooks.onStatus('queued');
    await sleep(30_000);
    hooks.onStatus('in_progress');
    await sleep(30_000);
    return { kind: 'completed', run: { id: run.ghRunId, html_url: GH_URL, conclusion, status: 'completed' } as WorkflowRun };
  };

const patches = (sent: Report[]) => sent.flatMap((r) => (r.kind === 'patch' ? [r.patch] : []));
const logs = (sent: Report[]) => sent.flatMap((r) => (r.kind === 'log' ? [r.log.message] : []));

describe('the message processor against fakes (issue 25): one run, one scope', () => {
  it("a workflow-node run ends with the conclusion for its node output, as Ocean's does (ocean PR #3980; issue 24)", async () => {
    const t = harness();
    await t.drive(t.processor.job(request({ runKind: 'workflow-node' }), t.ctx()));
    const final = patches(t.sent).find((p) => p.status !== undefined);
    assert.deepEqual(final?.nodeOutput, { conclusion: 'success' });
  });

  it('a run goes dispatch → tracking → final report: one POST, its link written, its statuses logged, SUCCESS reported once', async () => {
    const t = harness();
    await t.drive(t.processor.job(request(), t.ctx()));

    assert.deepEqual(t.github, [
      `repo acme/infra`,
      `dispatch acme/infra deploy.yml refs/heads/main {"service":"api","port_run_id":"${RUN_ID}"} details=true`,
    ]);
    assert.deepEqual(
      t.watched.map((w) => ({ portRunId: w.portRunId, ghRunId: w.ghRunId, fresh: w.fresh })),
      [{ portRunId: RUN_ID, ghRunId: GH_RUN, fresh: true }],
    );
    const externalRunId = `gh_${REPO.ownerId}_${REPO.id}_${GH_RUN}`;
    assert.deepEqual(patches(t.sent), [
      { statusLabel: 'Dispatching workflow' },
      { link: GH_URL, externalRunId, statusLabel: 'Workflow dispatched' },
      {
        link: GH_URL,
        externalRunId,
        status: 'SUCCESS',
        statusLabel: 'Workflow success',
        summary: `GitHub workflow run ${GH_URL} completed: success`,
      },
    ]);
    assert.deepEqual(logs(t.sent), [
      `Dispatched acme/infra deploy.yml on main: ${GH_URL}`,
      'Workflow run queued',
      'Workflow run in progress',
      'Workflow completed: success',
    ]);
    assert.equal(t.records.get(RUN_ID)?.status, 'SUCCESS');
    assert.equal(await t.counted('dispatched'), 1);
    const text = await t.metrics.registry.metrics();
    assert.match(text, /ghes_agent_runs_completed_total\{conclusion="success",intake="kafka"\} 1/);
    assert.match(text, /ghes_agent_runs_in_flight\{intake="kafka"\} 0/);
    // The run's own logger names it: its dispatch line carries the run, its repository and where it came from.
    const dispatchedLine = t.lines.find((l) => l.message.startsWith('Dispatched '));
    assert.deepEqual(dispatchedLine?.fields, {
      component: 'processor',
      runId: RUN_ID,
      repo: 'acme/infra',
      workflow: 'deploy.yml',
      topic: 't',
      partition: 0,
      offset: '1',
      ghRunId: GH_RUN,
    });
  });

  it('a refusal: FAILURE with the reason, counted once under its outcome, nothing asked of GHES', async () => {
    const t = harness();
    await t.drive(
      t.processor.refusal(RUN_ID, t.ctx(), 'invalid run message: invocationMethod.repo is not a repository name', 'invalid', {
        messageKeys: ['payload'],
      }),
    );

    assert.deepEqual(t.github, []);
    assert.deepEqual(t.watched, []);
    assert.deepEqual(logs(t.sent), ['ghes-agent: invalid run message: invocationMethod.repo is not a repository name']);
    assert.deepEqual(patches(t.sent), [
      { status: 'FAILURE', summary: 'invalid run message: invocationMethod.repo is not a repository name', statusLabel: 'Failed' },
    ]);
    assert.equal(await t.counted('invalid'), 1);
    const warn = t.lines.find((l) => l.level === 'warn');
    assert.match(warn?.message ?? '', new RegExp(`run ${RUN_ID} failed: invalid run message`));
    assert.deepEqual(warn?.fields, {
      component: 'processor',
      runId: RUN_ID,
      outcome: 'invalid',
      topic: 't',
      partition: 0,
      offset: '1',
      messageKeys: ['payload'],
    });
  });

  it("a run the policy denies: FAILURE from Port's record, no GHES request at all, counted policy_denied", async () => {
    const t = harness();
    await t.drive(t.processor.job(request({ repo: 'payroll' }), t.ctx({ intake: 'port-api' })));

    assert.deepEqual(t.github, []);
    assert.equal(patches(t.sent).at(-1)?.status, 'FAILURE');
    assert.match(patches(t.sent).at(-1)?.summary ?? '', /payroll/);
    assert.equal(await t.counted('policy_denied', 'port-api'), 1);
  });

  it('a claim whose record names its GitHub run: verified by a GET, handed off, tracked; never dispatched again', async () => {
    const record: PortRun = {
      id: RUN_ID,
      status: 'IN_PROGRESS',
      statusLabel: 'Workflow dispatched',
      link: GH_URL,
      externalRunId: `gh_${REPO.ownerId}_${REPO.id}_${GH_RUN}`,
    };
    const t = harness({ record });
    const handedOff: Array<{ link?: string; externalRunId?: string }> = [];
    const ctx = t.ctx({ intake: 'port-api', record, handOff: async (d) => (handedOff.push(d), true) });
    await t.drive(t.processor.job(request(), ctx));

    assert.deepEqual(t.github, [`repo acme/infra`, `getRun acme/infra ${GH_RUN}`]);
    assert.deepEqual(handedOff, [{ link: GH_URL, externalRunId: record.externalRunId! }]);
    assert.equal(t.watched[0]?.fresh, undefined, 'a resumed run is not a fresh one');
    assert.equal(patches(t.sent).at(-1)?.status, 'SUCCESS');
    assert.equal(await t.counted('resumed', 'port-api'), 1);
    assert.equal(await t.counted('dispatched', 'port-api'), 0);
  });

  it('a run that times out: FAILURE quoting the wait in seconds from settings in ms, the GitHub run left alone', async () => {
    const t = harness({
      settings: processorSettings({
        ...configFor(settings),
        tracking: { cancelOnTimeout: false, maxWaitSeconds: 5400 },
      } as unknown as AgentConfig),
      watch: async () => ({ kind: 'timed_out', lastStatus: 'in_progress' }),
    });
    await t.drive(t.processor.job(request(), t.ctx()));

    const last = patches(t.sent).at(-1);
    assert.equal(last?.status, 'FAILURE');
    assert.match(
      last?.summary ?? '',
      new RegExp(
        `timed out waiting for the workflow run ${GH_URL} to complete after 5400s \\(last status: in_progress\\); the GitHub run was left alone`,
      ),
    );
    assert.equal(await t.counted('timed_out'), 1);
    assert.match(await t.metrics.registry.metrics(), /ghes_agent_runs_timed_out_total\{intake="kafka"\} 1/);
  });
});

/** The configuration sections processorSettings reads, for `s`. */
function configFor(s: ProcessorSettings) {
  return {
    github: { url: s.ghesUrls[0], apiUrl: s.ghesUrls[1], orgs: s.orgs, otherAgentsOrgs: s.otherAgentsOrgs, runIdInput: s.runIdInput },
    policy: { allow: s.policy },
  };
}
