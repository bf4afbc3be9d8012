// The message processor as the action executors' unit tests drive it (issue 24): a fake Port
// that keeps each run's record and applies the agent's PATCHes to it, the test's fake GHES
// content API, a GithubApi and a watcher that fail the test if touched (these types never
// dispatch or track), and virtual time. Each test file brings its own fake GHES and request
// builder; the processor around them is this one.
import assert from 'node:assert/strict';
import type { PolicyRule } from '../../../agent/config/schema.js';
import type { ContentApi } from '../../../agent/github/content-api.js';
import type { GithubApi } from '../../../agent/github/github-api.js';
import type { Version } from '../../../agent/github/ghes-version.js';
import type { Logger } from '../../../agent/observability/logger.js';
import { createMetrics } from '../../../agent/observability/metrics.js';
import type { PortRunApi } from '../../../agent/port/port-client.js';
import type { Report, Reporter } from '../../../agent/port/reporter.js';
import { createMessageProcessor } from '../../../agent/run/process-message.js';
import type { ProcessorSettings } from '../../../agent/run/processor-deps.js';
import type { RunContext } from '../../../agent/run/run-scope.js';
import type { RunWatcher } from '../../../agent/tracking/run-watcher.js';
import type { PortPatch, PortRun } from '../../../agent/types/port-run.js';
import type { ActionRequest, RunRequest } from '../../../agent/types/run-request.js';
import { KeyedMutex, Semaphore } from '../../../agent/util/semaphore.js';
import { virtualClock } from '../virtual-clock.js';

/** A claimed action run of `action`, its org and repo from the action's properties unless `over` names them. */
export const actionRequest = (runId: string, action: ActionRequest, over: Partial<RunRequest> = {}): RunRequest => ({
  runId,
  runKind: 'action',
  org: String(action.props.org),
  repo: String(action.props.repo),
  workflow: '',
  workflowInputs: {},
  reportWorkflowStatus: true,
  portPayload: undefined,
  action,
  ...over,
});

export interface ActionHarnessOptions {
  runId: string;
  /** Where Port's writes and the fake GHES's calls are told, in order ("port PATCH …", "ghes …"). */
  events: string[];
  content: ContentApi;
  policy: PolicyRule[];
  /** The agent's own login. */
  actor: string;
  /** Port's record of the run before the test (default: in progress, nothing written). */
  record?: Partial<PortRun>;
  version?: Version;
  /** The claim's dispatch deadline, from now (RunContext.dispatchBy). */
  dispatchByMs?: number;
}

export function actionHarness(o: ActionHarnessOptions) {
  const { events } = o;
  const { clock, runUntil } = virtualClock();
  const records = new Map<string, PortRun>([
    [o.runId, { id: o.runId, status: 'IN_PROGRESS', statusLabel: null, link: null, externalRunId: null, ...o.record }],
  ]);
  const sent: Report[] = [];
  const port = { getRun: async (id: string) => (records.has(id) ? { ...records.get(id)! } : undefined) } as unknown as PortRunApi;
  const reporter: Reporter = {
    send: async (id, report) => {
      sent.push(report);
      events.push(`port ${report.kind === 'patch' ? `PATCH ${JSON.stringify(report.patch)}` : `LOG ${report.log.message}`}`);
      const r = records.get(id);
      if (r && report.kind === 'patch') records.set(id, { ...r, ...report.patch });
    },
    pending: () => 0,
    drain: async () => undefined,
    stop: () => undefined,
  };
  // The workflow API is never touched by these types: any call fails the test.
  const api = new Proxy(
    {},
    { get: (_t, name) => () => assert.fail(`GithubApi.${String(name)} called for a non-workflow action`) },
  ) as unknown as GithubApi;
  const watcher: RunWatcher = { watch: async () => assert.fail('nothing to track'), size: () => 0 };
  const logger = {
    child: () => logger,
    warn: () => undefined,
    info: () => undefined,
    error: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  const metrics = createMetrics({ defaultMetrics: false });
  const settings: ProcessorSettings = {
    ghesUrls: ['https://ghes.example.com'],
    orgs: ['acme'],
    otherAgentsOrgs: [],
    policy: o.policy,
    runIdInput: 'port_run_id',
    cancelOnTimeout: false,
    maxWaitMs: 3_600_000,
  };
  const processor = createMessageProcessor({
    settings,
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
      actor: o.actor,
    },
    version: o.version ?? [3, 19, 0],
    metrics,
    logger,
    clock,
    content: o.content,
    actor: o.actor,
  });
  const ctx: RunContext = {
    intake: 'port-api',
    where: { claim: 1 },
    writtenAtMs: clock.now(),
    ...(o.dispatchByMs !== undefined ? { dispatchBy: clock.now() + o.dispatchByMs } : {}),
  };
  /** Handles the run to its end in virtual time; rejects with what the handle rejected with. */
  async function run(req: RunRequest): Promise<void> {
    let done = false;
    const handled = processor
      .job(req, ctx)
      .handle(new AbortController().signal, new AbortController().signal)
      .finally(() => (done = true));
    await runUntil(() => done);
    await handled;
  }
  /** Like run, but resolves with what the handle rejected with (undefined when it resolved). */
  async function runRejected(req: RunRequest): Promise<unknown> {
    let done = false;
    const handled = processor
      .job(req, ctx)
      .handle(new AbortController().signal, new AbortController().signal)
      .then(
        () => undefined,
        (err: unknown) => err,
      )
      .finally(() => (done = true));
    await runUntil(() => done);
    return done ? handled : new Error('still running after every timer ran');
  }
  const counted = async (outcome: string) => {
    const m = new RegExp(`ghes_agent_messages_total\\{outcome="${outcome}",intake="port-api"\\} (\\d+)`).exec(
      await metrics.registry.metrics(),
    );
    return m ? Number(m[1]) : 0;
  };
  /** The terminal PATCHes sent (those carrying a status). */
  const final = (): PortPatch[] => sent.flatMap((r) => (r.kind === 'patch' && r.patch.status !== undefined ? [r.patch] : []));
  const ghesCalls = () => events.filter((e) => e.startsWith('ghes'));
  return { run, runRejected, records, sent, counted, final, ghesCalls };
}
