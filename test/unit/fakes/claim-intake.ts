// The HTTPS intake's fakes, shared by the tests that build it (claim-intake, claim-hand-over,
// claim-cadence, claim-leases): Port's claim API, the processor, a reporter and a Port that do
// nothing, settings, and the intake's dependencies with those defaults.
import type { ClaimIntakeDeps, ClaimIntakeSettings } from '../../../agent/claim/intake-state.js';
import { createMetrics } from '../../../agent/observability/metrics.js';
import type { ClaimApi, ClaimRequest, RunKind } from '../../../agent/port/claim-api.js';
import type { PortRunApi } from '../../../agent/port/port-client.js';
import type { Reporter } from '../../../agent/port/reporter.js';
import type { MessageProcessor, PreparedRun } from '../../../agent/run/process-message.js';
import type { RunContext } from '../../../agent/run/run-scope.js';
import type { RunRequest } from '../../../agent/types/run-request.js';
import type { Clock } from '../../../agent/util/backoff.js';
import { silentLogger } from './logger.js';

export const CLAIM_SETTINGS: ClaimIntakeSettings = {
  installationId: 'ghes-agent',
  kinds: ['action'],
  batchSize: 100,
  intervalMs: 1000,
  visibilityTimeoutMs: 60_000,
  maxSharePercent: 30,
  leaseMs: 600_000,
  rediscoveryIntervalMs: 60_000,
};

/** A reporter that delivers nothing and holds nothing. */
export const idleReporter: Reporter = {
  send: async () => undefined,
  pending: () => 0,
  drain: async () => undefined,
  stop: () => undefined,
};

/** A Port with no record of any run, accepting every write. */
export const noPort: PortRunApi = { getRun: async () => undefined, patchRun: async () => undefined, addLog: async () => undefined };

/** A claimed run as Port's claim answer holds it: a dispatch_workflow run of acme/infra deploy.yml. */
export const claimedRun = (id: string, action = 'deploy', extra: Record<string, unknown> = {}) => ({
  id,
  status: 'IN_PROGRESS',
  action: { identifier: action },
  installationId: 'ghes-agent',
  pendingExecution: true,
  createdAt: '2026-05-01T00:00:00.000Z',
  updatedAt: '2026-05-01T00:00:00.000Z',
  payload: {
    type: 'INTEGRATION_ACTION',
    installationId: 'ghes-agent',
    integrationActionType: 'dispatch_workflow',
    integrationActionExecutionProperties: { org: 'acme', repo: 'infra', workflow: 'deploy.yml' },
  },
  ...extra,
});

/** A clock whose sleeps resolve at once (advancing time) unless aborted. */
export function fakeClock(start = Date.parse('2026-05-01T00:00:00Z')) {
  let now = start;
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) =>
      signal?.aborted ? Promise.reject(new Error('aborted')) : new Promise((r) => setImmediate(() => ((now += ms), r()))),
  };
  return { clock, advance: (ms: number) => (now += ms) };
}

/** A processor whose jobs call back into the test: `handle` decides what each run does (`signal` aborts it). */
export function fakeProcessor(handle: (run: RunRequest, ctx: RunContext, signal: AbortSignal) => Promise<void>) {
  const jobs: Array<{ run: RunRequest; ctx: RunContext }> = [];
  const processor = {
    job: (run: RunRequest, ctx: RunContext): PreparedRun => {
      jobs.push({ run, ctx });
      return { where: ctx.where, intake: ctx.intake, runId: run.runId, handle: (signal) => handle(run, ctx, signal) };
    },
    refusal: (runId: string, ctx: RunContext): PreparedRun => ({
      where: ctx.where,
      intake: ctx.intake,
      runId,
      handle: async () => undefined,
    }),
    count: () => undefined,
    finalReport: async () => undefined,
    servesOrg: () => true,
  } as unknown as MessageProcessor;
  return { processor, jobs };
}

/** Port's claim API answering as `script` says (nothing to claim, every ack accepted by default), recording claims and acks. */
export function fakeClaimApi(
  script: {
    claim?: (kind: RunKind, req: ClaimRequest) => unknown[];
    ack?: (runId: string, n: number) => 'acked' | 'conflict' | Error;
  } = {},
) {
  const claims: ClaimRequest[] = [];
  const acks: string[] = [];
  const api: ClaimApi = {
    claim: async (kind, req) => (claims.push(req), script.claim?.(kind, req) ?? []),
    ack: async (_kind, runId) => {
      acks.push(runId);
      const r = script.ack?.(runId, acks.filter((a) => a === runId).length) ?? 'acked';
      if (r instanceof Error) throw r;
      return r;
    },
    listActive: async () => [],
  };
  return { api, claims, acks };
}

/** A claim script answering `runs` to the first claim and nothing after. */
export function firstClaimOnly(...runs: unknown[]): () => unknown[] {
  let n = 0;
  return () => (n++ === 0 ? runs : []);
}

/**
 * The intake's dependencies: CLAIM_SETTINGS, no Port record, an idle reporter, room for 10 runs
 * and a dispatch stage of 10, fresh metrics, a silent logger; what a test varies in `over`.
 */
export function intakeDeps(over: Partial<ClaimIntakeDeps> & Pick<ClaimIntakeDeps, 'claimApi' | 'processor' | 'clock'>): ClaimIntakeDeps {
  return {
    settings: CLAIM_SETTINGS,
    port: noPort,
    reporter: idleReporter,
    room: () => 10,
    dispatchCapacity: 10,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: silentLogger(),
    ...over,
  };
}
