// Shared pieces of the chaos scenarios: a stack with a chaos workflow, bulk publishing, waiting,
// and the one verdict every scenario prints, counted from the simulators' records only:
//   chaos <name>: runs=N completed=N duplicates=N lost=N
// (a scenario may add counts of its own after these, e.g. `forged=N harmed=N`).
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import { kafkaClientConfig } from '../stack/kafka-org.js';
import { type LocalStack, RUN_NAME, startLocalStack } from '../stack/local-stack.js';
import type { GhesSimOptions } from '../sim/ghes/types.js';
import type { GithubInvocation, SimPortRun } from '../sim/port/types.js';
import { reportsWorkflowStatus } from '../sim/port/invocation.js';
import { buildRunMessage, publishMessages, signRunMessage } from '../sim/publisher.js';

/** Runs per scenario: CHAOS_RUNS (default 200). */
export const RUNS = Math.max(1, Number(process.env.CHAOS_RUNS ?? 200) || 200);
/** Outage length in ms: CHAOS_OUTAGE_SECONDS (default 60, as issue 4 asks). */
export const OUTAGE_MS = Math.max(1, Number(process.env.CHAOS_OUTAGE_SECONDS ?? 60) || 60) * 1000;
/** How long a scenario may take to settle once the chaos is over. */
export const SETTLE_MS = Number(process.env.CHAOS_SETTLE_SECONDS ?? 240) * 1000;

export const CHAOS_WORKFLOW = 'chaos.yml';

export async function startChaosStack(
  opts: { broker?: KafkaBrokerInfo; ghes?: GhesSimOptions; partitions?: number } = {},
): Promise<LocalStack> {
  const stack = await startLocalStack({ broker: opts.broker, partitions: opts.partitions ?? 6, ghes: { version: '3.21.0', ...opts.ghes } });
  // Runs of a few seconds with mixed conclusions, so kills land both in dispatch and in tracking.
  stack.ghes.addWorkflow(stack.ghOrg, 'infra', {
    path: CHAOS_WORKFLOW,
    name: 'chaos',
    runName: RUN_NAME,
    inputs: { port_run_id: { required: false }, n: { required: false } },
    script: (d) => ({
      conclusion: Number(d.inputs.n) % 7 === 0 ? 'failure' : 'success',
      queuedMs: 500,
      durationMs: 2000 + (Number(d.inputs.n) % 5) * 500,
    }),
  });
  return stack;
}

/** The agent for chaos scenarios: quick polling, generous bounds, JSON logs kept for diagnosis. */
export function startChaosAgent(stack: LocalStack, overrides: Record<string, Record<string, unknown>> = {}): Promise<AgentProcess> {
  return startAgentProcess(stack, {
    auth: 'app',
    overrides: {
      tracking: { pollIntervalSeconds: 1, ...(overrides.tracking ?? {}) },
      log: { level: 'info' },
      ...Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== 'tracking')),
    },
  });
}

/**
 * Creates `n` runs in Port's simulator and publishes their signed messages in a few batches.
 * `around` adds other messages keyed by a run's id (so in its partition) right before or right
 * after its own: messages aimed at it.
 */
export async function publishRuns(
  stack: LocalStack,
  n: number,
  opts: {
    reportWorkflowStatus?: (i: number) => boolean;
    offset?: number;
    around?: (run: SimPortRun, k: number) => { before?: Record<string, unknown>[]; after?: Record<string, unknown>[] };
  } = {},
): Promise<SimPortRun[]> {
  const runs: SimPortRun[] = [];
  const messages: Array<{ key: string; value: Record<string, unknown> }> = [];
  for (let i = 0; i < n; i++) {
    const k = (opts.offset ?? 0) + i;
    const invocation: GithubInvocation = {
      type: 'GITHUB',
      org: stack.ghOrg,
      repo: 'infra',
      workflow: CHAOS_WORKFLOW,
      workflowInputs: { n: String(k) },
      reportWorkflowStatus: opts.reportWorkflowStatus?.(k) ?? true,
    };
    const run = stack.port.createRun({ invocation });
    runs.push(run);
    const aimed = opts.around?.(run, k) ?? {};
    for (const value of aimed.before ?? []) messages.push({ key: run.id, value });
    messages.push({ key: run.id, value: signRunMessage(buildRunMessage({ orgId: stack.port.orgId, run }), stack.port.clientSecret) });
    for (const value of aimed.after ?? []) messages.push({ key: run.id, value });
  }
  for (let i = 0; i < messages.length; i += 50) await publishMessages(stack.producer, stack.topic, messages.slice(i, i + 50));
  return runs;
}

const reportsStatus = (r: SimPortRun) => reportsWorkflowStatus(r);
const completedLog = (r: SimPortRun) => r.logs.some((l) => l.message.startsWith('Workflow completed:'));

/** A run is done when Port has its final status (or, without status reporting, the completion log). */
export function isDone(r: SimPortRun | undefined): boolean {
  if (!r) return false;
  return reportsStatus(r) ? r.status !== 'IN_PROGRESS' : completedLog(r);
}

export interface Verdict {
  runs: number;
  completed: number;
  duplicates: number;
  lost: number;
  problems: string[];
  /**
   * The scenario's own counts, printed after the usual ones in this order; those marked `zero`
   * are asserted to be 0, with `detail` in the message.
   */
  extra?: Array<{ name: string; value: number; zero?: boolean; detail?: () => string }>;
}

/**
 * Counted from the simulators only: dispatches and workflow runs on GHES, final statuses in Port.
 * `notTheAgents`: GHES runs a scenario created itself (planted runs showing a Port run id), which
 * are not the agent's and so not counted as runs it started.
 */
export function verdict(stack: LocalStack, runs: SimPortRun[], opts: { notTheAgents?: ReadonlySet<number> } = {}): Verdict {
  const accepted = new Map<string, number>();
  for (const d of stack.ghes.dispatches()) {
    if (d.status >= 300) continue;
    const id = String(d.inputs.port_run_id ?? '');
    accepted.set(id, (accepted.get(id) ?? 0) + 1);
  }
  const ghRuns = new Map<string, number>();
  for (const r of stack.ghes.runs()) {
    if (opts.notTheAgents?.has(r.id)) continue;
    ghRuns.set(r.inputs.port_run_id ?? '', (ghRuns.get(r.inputs.port_run_id ?? '') ?? 0) + 1);
  }
  let completed = 0;
  let duplicates = 0;
  let lost = 0;
  const problems: string[] = [];
  for (const { id } of runs) {
    const r = stack.port.getRun(id)!;
    const dispatches = accepted.get(id) ?? 0;
    const started = ghRuns.get(id) ?? 0;
    if (dispatches > 1 || started > 1 || r.statusWrites > 1) {
      duplicates++;
      problems.push(`${id}: ${dispatches} accepted dispatches, ${started} GHES runs, ${r.statusWrites} status writes`);
    }
    if (isDone(r)) completed++;
    else {
      lost++;
      problems.push(`${id}: not finished (status ${r.status}, label ${r.statusLabel ?? '-'}, ${dispatches} dispatches)`);
    }
  }
  return { runs: runs.length, completed, duplicates, lost, problems };
}

export async function waitAllDone(stack: LocalStack, runs: SimPortRun[], timeoutMs = SETTLE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (runs.every((r) => isDone(stack.port.getRun(r.id)))) return;
    await sleep(500);
  }
}

/** Resolves once at least `count` of the runs satisfy `pred` (or after the timeout). */
export async function waitUntil(
  runs: SimPortRun[],
  stack: LocalStack,
  count: number,
  pred: (r: SimPortRun) => boolean,
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = runs.filter((r) => pred(stack.port.getRun(r.id)!)).length;
    if (n >= count || Date.now() > deadline) return n;
    await sleep(100);
  }
}

export const dispatched = (r: SimPortRun) =>
  r.externalRunId !== undefined || r.statusLabel === 'Dispatching workflow' || r.output?.statusLabel === 'Dispatching workflow';

/** The run's GitHub run is recorded in Port: dispatched for real, not only about to be. */
export const recorded = (r: SimPortRun) => r.externalRunId !== undefined;

/**
 * The HTTPS intake alone, with windows short enough for a scenario: a claim hides a run for
 * 10 s (the least the agent accepts), and an acknowledged run whose replica died is taken over
 * after a 10 s lease.
 */
export const PORT_API_ONLY = {
  kafka: { enabled: false },
  // Batches of 20, so that replicas share the runs instead of the first claim taking them all.
  portApi: {
    enabled: true,
    claimBatchSize: 20,
    claimIntervalSeconds: 0.5,
    visibilityTimeoutMs: 10_000,
    leaseSeconds: 10,
    rediscoveryIntervalSeconds: 2,
  },
};

/**
 * Creates `n` runs of the GitHub Ocean backend in Port's simulator, for the agent to claim:
 * every fifth a workflow-node run, every tenth without status reporting (done means "Workflow
 * completed" in its log), over five action identifiers.
 */
export function createIntegrationRuns(stack: LocalStack, n: number, opts: { offset?: number } = {}): SimPortRun[] {
  const runs: SimPortRun[] = [];
  for (let i = 0; i < n; i++) {
    const k = (opts.offset ?? 0) + i;
    runs.push(
      stack.createIntegrationRun(
        { org: stack.ghOrg, repo: 'infra', workflow: CHAOS_WORKFLOW, workflowInputs: { n: String(k) }, reportWorkflowStatus: k % 10 !== 3 },
        { kind: k % 5 === 1 ? 'workflow-node' : 'action', actionIdentifier: `action_${k % 5}` },
      ),
    );
  }
  return runs;
}

/** Prints the scenario's one line and asserts the guarantees. */
export function report(name: string, v: Verdict, extra: () => string = () => ''): void {
  const counts = (v.extra ?? []).map((e) => ` ${e.name}=${e.value}`).join('');
  console.log(`chaos ${name}: runs=${v.runs} completed=${v.completed} duplicates=${v.duplicates} lost=${v.lost}${counts}`);
  // The scenario's own findings come first in every failure's message: the usual guarantees may
  // fail because of what those counts measure.
  const own = (v.extra ?? [])
    .filter((e) => e.zero && e.value !== 0)
    .map((e) => `${e.name}=${e.value}:\n${e.detail?.() ?? ''}\n`)
    .join('');
  const detail = `${own}${v.problems.slice(0, 15).join('\n')}\n${extra()}`;
  assert.equal(v.duplicates, 0, `duplicates:\n${detail}`);
  assert.equal(v.lost, 0, `lost:\n${detail}`);
  assert.equal(v.completed, v.runs, detail);
  for (const e of v.extra ?? []) if (e.zero) assert.equal(e.value, 0, `${e.name}:\n${detail}`);
}

/**
 * Waits until the agent's consumer group has committed every partition of the topic to its end
 * (every message handled, the bad ones included); returns the partitions still behind.
 */
export async function uncommittedPartitions(stack: LocalStack, timeoutMs = 15_000): Promise<number[]> {
  const admin = new kafkajs.Kafka({ ...kafkaClientConfig(stack.broker, 'admin'), logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const behind = async () => {
      const ends = await admin.fetchTopicOffsets(stack.topic);
      const [committed] = await admin.fetchOffsets({ groupId: `${stack.org}.ghes-agent`, topics: [stack.topic] });
      return ends.filter((e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset !== e.high).map((e) => e.partition);
    };
    const deadline = Date.now() + timeoutMs;
    let lagging = await behind();
    while (lagging.length > 0 && Date.now() < deadline) lagging = (await sleep(500), await behind());
    return lagging;
  } finally {
    await admin.disconnect();
  }
}

/** The agent's last log lines, for a failing scenario's message. */
export function tail(...agents: AgentProcess[]): string {
  return agents.map((a) => a.output().split('\n').slice(-25).join('\n')).join('\n----\n');
}

export async function readyz(agent: AgentProcess): Promise<{ status: number; body: string }> {
  const res = await fetch(`${agent.metricsUrl}/readyz`);
  return { status: res.status, body: await res.text() };
}

export async function livez(agent: AgentProcess): Promise<number> {
  return (await fetch(`${agent.metricsUrl}/livez`)).status;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** With CHAOS_LOG_DIR set, every agent's output is kept there as <scenario>-<n>.log. */
export function saveLogs(name: string, agents: AgentProcess[]): void {
  const dir = process.env.CHAOS_LOG_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  agents.forEach((a, i) => writeFileSync(join(dir, `${name}-${i + 1}.log`), a.output()));
}

/** Kubernetes' default grace period, less a margin: SIGTERM must end the agent within it. */
export const GRACE_MS = 25_000;

/** SIGTERM, as Kubernetes stops a pod: the agent must exit 0 within the grace period. */
export async function terminate(agent: AgentProcess): Promise<void> {
  const t0 = Date.now();
  agent.proc.kill('SIGTERM');
  const code = await agent.waitExit(GRACE_MS + 5000);
  const took = Date.now() - t0;
  assert.equal(code, 0, `SIGTERM ends the agent with exit code 0:\n${tail(agent)}`);
  assert.ok(took < GRACE_MS, `the agent exits within the grace period (took ${took} ms)`);
  assert.match(agent.output(), /shutting down/);
}

/**
 * Port's API down for `ms`: /livez must stay 200 throughout; returns the /readyz body of the
 * first not-ready answer that names `reason` (empty when none did).
 */
export async function throughPortOutage(stack: LocalStack, agent: AgentProcess, ms: number, reason: RegExp): Promise<string> {
  stack.port.fault({ kind: 'outage', durationMs: ms });
  const since = Date.now();
  let sawNotReady = '';
  while (Date.now() - since < ms) {
    assert.equal(await livez(agent), 200, "/livez stays healthy through an outage of Port's API");
    const r = await readyz(agent);
    if (r.status === 503 && reason.test(r.body)) sawNotReady ||= r.body;
    await sleep(1000);
  }
  return sawNotReady;
}
