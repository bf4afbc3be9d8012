// `make bench`, phase "restart" (issue 15): 10,000 runs in flight over 50 repositories on two
// replicas, then a rolling update — SIGTERM one replica, start its successor, then the same for
// the other — while held runs keep completing and new messages keep arriving. Everything is
// counted from the simulators' records:
// - restart_resume_s: from a successor's start until every run GHES shows unfinished is tracked
//   again (the live replicas' ghes_agent_runs_in_flight cover them), the longer of the two;
// The rolling update begins once every held run's start is reported to Port (reportsDelivered).
// - restart_github_requests_per_run: GHES requests (dispatch POSTs excluded) from the first
//   SIGTERM until a minute after the second successor has resumed (the resumption's requests
//   outlast it; that minute's steady polling is counted too), per run held in flight;
// - restart_port_requests_per_run: Port requests in that window, per held run, leaving out the
//   three requests any completion costs anyway (its "Workflow completed" log line, the read before
//   its final status, the final PATCH) and the new messages' own traffic;
// - port_429s: answers 429 from the Port simulator's rate limit (enforced in this phase);
// - duplicates and lost runs, by the chaos suites' verdict.
import { statusLine } from '../../agent/tracking/conclusion.js';
import { metricValue } from '../stack/agent-process.js';
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import { type Verdict, verdict } from '../chaos/harness.js';
import type { SimPortRun } from '../sim/port/types.js';
import { type BenchRun, planRuns, publishRuns, startBenchStack } from './bench-stack.js';
import { type CompiledAgent, startCompiledAgent } from './compiled-agent.js';

/** Port's per-organization budget in this phase (its docs give no number): 1,000 requests a second on average. */
export const RESTART_PORT_RATE_LIMIT = { limit: 60_000, windowMs: 60_000 };

export interface RestartResult {
  count: number;
  inFlightAtStart: number;
  repos: number;
  resumeS: number;
  resumeEachS: number[];
  githubRequests: number;
  githubPerRun: number;
  portRequests: number;
  portPerRun: number;
  port429s: number;
  newRuns: number;
  /** Publish → dispatch of the new messages published during the rolling update. */
  newP50S: number;
  newP99S: number;
  completedInWindow: number;
  windowS: number;
  duplicates: number;
  lost: number;
  githubByRoute: Map<string, number>;
  portByRoute: Map<string, number>;
  problems: string[];
}

export interface RestartDeps {
  agentMain: string;
  nodeArgs: string[];
  env: Record<string, string>;
  say: (line: string) => void;
}

/** How long after the last successor resumed the requests are still counted. */
const SETTLE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUN_PATH = /^\/v1\/actions\/runs\/(r_[A-Za-z0-9_]+)(\/logs)?$/;

/**
 * Waits until the replicas are done telling Port about the start of the runs they dispatched:
 * every held run's "Workflow run in progress" line is in Port (it comes at the run's first status
 * sweep, which reaches some runs of a 200-run repository tens of seconds after their dispatch)
 * and no report is queued. Those lines sent during the window would be counted as the rolling
 * update's cost (two runs counted about 5,000 of them). Job lines keep trickling in at job
 * progress's budget (insight.jobReadsPerMinute) for as long as the runs go on: they are not
 * waited for.
 */
export async function reportsDelivered(
  agents: CompiledAgent[],
  stack: LocalStack,
  held: Array<{ id: string }>,
  name: string,
  say: (line: string) => void,
): Promise<void> {
  const t0 = Date.now();
  const started = statusLine('in_progress');
  const notStarted = () => held.filter((r) => !stack.port.getRun(r.id)?.logs.some((l) => l.message === started)).length;
  for (;;) {
    const pending = await Promise.all(
      agents.map(async (a) => metricValue(await a.metrics().catch(() => ''), 'ghes_agent_port_reports_pending')),
    );
    const waiting = notStarted();
    if (waiting === 0 && pending.every((n) => n === 0)) break;
    if (Date.now() - t0 > 300_000)
      throw new Error(
        `${name}: the replicas still report the start of their runs after 5 min (${waiting} runs without their first status line, ${pending.join(', ')} reports queued)`,
      );
    say(
      `${name}: waiting for the start of the held runs to be reported (${waiting} without their first status line, ${pending.join(' + ')} reports queued)`,
    );
    await sleep(1000);
  }
  say(`${name}: every held run's start reported (waited ${((Date.now() - t0) / 1000).toFixed(0)} s); the window opens now`);
}

export async function restartPhase(broker: KafkaBrokerInfo, count: number, deps: RestartDeps): Promise<RestartResult> {
  const { say } = deps;
  const repos = 50;
  const stack = await startBenchStack(broker, { repos, timeScale: 1, partitions: 6, port: { rateLimit: RESTART_PORT_RATE_LIMIT } });
  const overrides = {
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    tracking: { pollIntervalSeconds: 10 },
    limits: { maxInflightRuns: count + 2000 },
  };
  const start = () => startCompiledAgent(deps.agentMain, stack, overrides, process.env.BENCH_ECHO === '1', deps.nodeArgs, deps.env);
  const agents: CompiledAgent[] = [];
  const live = new Set<CompiledAgent>();
  const inflight = async (a: CompiledAgent) => metricValue(await a.metrics().catch(() => ''), 'ghes_agent_runs_in_flight');
  let publishing = true;
  try {
    const a = await start();
    const b = await start();
    agents.push(a, b);
    await Promise.all([a.waitReady(), b.waitReady()]);
    live.add(a).add(b);
    // Held runs end 4-7 minutes after they were published (a fixed spread): none before the
    // rolling update begins, a steady stream of completions during and after it.
    const held = planRuns('rs', count, stack.repoNames, (i) => 240_000 + ((i * 7919) % count) * (180_000 / count));
    await publishRuns(stack, held);
    say(`restart: ${count} runs over ${repos} repositories published; waiting until all are tracked by the two replicas`);
    let tracked = 0;
    const reachDeadline = Date.now() + 10 * 60_000;
    const heldDispatched = () => stack.ghes.runs().filter((r) => r.inputs.port_run_id?.startsWith('r_rs')).length;
    const unfinished = () => stack.ghes.runs().filter((r) => r.status !== 'completed').length;
    while ((tracked = (await inflight(a)) + (await inflight(b))) < unfinished() || heldDispatched() < count) {
      if (Date.now() > reachDeadline) throw new Error(`restart: only ${tracked}/${count} runs in flight after 10 min`);
      say(`restart: ${tracked}/${count} in flight`);
      await sleep(1000);
    }
    await reportsDelivered([a, b], stack, held, 'restart', say);
    // New messages keep arriving through the rolling update: 10 a second, 30-second runs.
    const fresh: BenchRun[] = [];
    const publisher = (async () => {
      for (let tick = 0; publishing; tick++) {
        const batch = planRuns(`rn${String(tick).padStart(4, '0')}`, 5, stack.repoNames, () => 30_000);
        await publishRuns(stack, batch);
        fresh.push(...batch);
        await sleep(500);
      }
    })();

    const ghesBefore = stack.ghes.requests().length;
    const portBefore = stack.port.requests().length;
    const windowStart = Date.now();
    const heldIds = new Set(held.map((r) => r.id));
    const unfinishedOnGhes = unfinished;
    const inFlightAtStart = tracked;
    say(`restart: ${tracked} runs in flight; rolling update begins`);
    /** From a successor's spawn until every run GHES shows unfinished is tracked by a live replica, both replicas holding some. */
    async function resumed(successor: CompiledAgent, spawnedAt: number): Promise<number> {
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const each = await Promise.all([...live].map(inflight));
        const sum = each.reduce((x, y) => x + y, 0);
        const active = unfinishedOnGhes();
        if (each.every((x) => x > 0) && sum >= active) return (Date.now() - spawnedAt) / 1000;
        if (Date.now() > deadline)
          throw new Error(`restart: runs not tracked again 10 min after ${successor.pid} started (${sum} tracked, ${active} unfinished)`);
        await sleep(250);
      }
    }
    const resumeEachS: number[] = [];
    for (const old of [a, b]) {
      say(`restart: SIGTERM to replica ${old.pid}`);
      live.delete(old);
      await old.stop();
      const spawnedAt = Date.now();
      const successor = await start();
      agents.push(successor);
      await successor.waitReady();
      live.add(successor);
      resumeEachS.push(await resumed(successor, spawnedAt));
      say(
        `restart: successor ${successor.pid} ready ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s after start; every run tracked again after ${resumeEachS.at(-1)!.toFixed(1)} s`,
      );
    }
    const resumedAt = Date.now();
    // The resumption's requests go on after every run is tracked again (locating them, reading
    // Port): the window closes a minute later, steady tracking of that minute included.
    say(`restart: counting requests for another ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const windowEnd = Date.now();
    publishing = false;
    await publisher;

    const ghesWindow = stack.ghes
      .requests()
      .slice(ghesBefore)
      .filter((r) => r.at <= windowEnd);
    const githubByRoute = new Map<string, number>();
    let githubRequests = 0;
    for (const r of ghesWindow) {
      if (r.method === 'POST' && /\/dispatches$/.test(r.route ?? '')) continue;
      githubRequests++;
      const key = `${r.route ?? `${r.method} ${r.path}`}${r.status === 304 ? ' (304)' : ''}`;
      githubByRoute.set(key, (githubByRoute.get(key) ?? 0) + 1);
    }
    // Port: requests about held runs and those about no run (tokens); a completion's own three
    // requests are what it costs without any restart, and are left out.
    const portWindow = stack.port
      .requests()
      .slice(portBefore)
      .filter((r) => r.at <= windowEnd);
    const finishedInWindow = new Set<string>();
    for (const r of portWindow) {
      const id = RUN_PATH.exec(r.path)?.[1];
      if (id && r.method === 'PATCH' && typeof (r.body as { status?: unknown } | undefined)?.status === 'string') finishedInWindow.add(id);
    }
    const portByRoute = new Map<string, number>();
    const readBeforeFinalLeftOut = new Set<string>();
    let portRequests = 0;
    for (let i = portWindow.length - 1; i >= 0; i--) {
      const r = portWindow[i]!;
      const m = RUN_PATH.exec(r.path);
      const id = m?.[1];
      if (id && !heldIds.has(id)) continue; // a new message's traffic
      if (id && finishedInWindow.has(id)) {
        const body = r.body as { status?: unknown; message?: unknown } | undefined;
        if (r.method === 'PATCH' && typeof body?.status === 'string') continue;
        if (m?.[2] && typeof body?.message === 'string' && body.message.startsWith('Workflow completed')) continue;
        if (r.method === 'GET' && !readBeforeFinalLeftOut.has(id)) {
          readBeforeFinalLeftOut.add(id);
          continue;
        }
      }
      portRequests++;
      const key = `${r.method} ${r.route}${r.status === 429 ? ' (429)' : ''}`;
      portByRoute.set(key, (portByRoute.get(key) ?? 0) + 1);
    }
    const port429s = stack.port.requests().filter((r) => r.status === 429).length;
    // Start-up order: new messages go on being dispatched while old runs are resumed.
    const dispatchedAt = new Map(
      stack.ghes
        .dispatches()
        .filter((d) => d.status < 300)
        .map((d) => [String(d.inputs.port_run_id), d.at]),
    );
    const newLatencyMs = fresh
      .filter((r) => r.publishedAt! <= resumedAt && dispatchedAt.has(r.id))
      .map((r) => dispatchedAt.get(r.id)! - r.publishedAt!)
      .sort((x, y) => x - y);
    const newP50S = (newLatencyMs[Math.floor(newLatencyMs.length * 0.5)] ?? NaN) / 1000;
    const newP99S = (newLatencyMs[Math.floor(newLatencyMs.length * 0.99)] ?? NaN) / 1000;
    say(
      `restart: window ${((windowEnd - windowStart) / 1000).toFixed(0)} s; ${githubRequests} GitHub and ${portRequests} Port requests counted; waiting for every run to finish`,
    );

    const v = await finalVerdict(stack, [...held, ...fresh], 'restart', say);
    return {
      count,
      inFlightAtStart,
      repos,
      resumeS: Math.max(...resumeEachS),
      resumeEachS,
      githubRequests,
      githubPerRun: githubRequests / count,
      portRequests,
      portPerRun: portRequests / count,
      port429s,
      newRuns: fresh.length,
      newP50S,
      newP99S,
      completedInWindow: [...finishedInWindow].filter((id) => heldIds.has(id)).length,
      windowS: (windowEnd - windowStart) / 1000,
      duplicates: v.duplicates,
      lost: v.lost,
      githubByRoute,
      portByRoute,
      problems: v.problems.slice(0, 10),
    };
  } catch (err) {
    for (const a of agents) process.stderr.write(`agent ${a.pid} output (last lines):\n${a.output().slice(-3000)}\n`);
    throw err;
  } finally {
    publishing = false;
    await Promise.all(agents.map((a) => a.stop()));
    await stack.close();
  }
}

/**
 * The chaos suites' verdict on the runs (duplicates, lost) once every one has its final status,
 * or after 10 minutes; says how many have finished every 5 s meanwhile.
 */
export async function finalVerdict(
  stack: LocalStack,
  runs: Array<{ id: string }>,
  phase: string,
  say: (line: string) => void,
): Promise<Verdict> {
  const all = runs.map((r) => ({ id: r.id }) as SimPortRun);
  const deadline = Date.now() + 10 * 60_000;
  let v = verdict(stack, all);
  while (v.lost > 0 && Date.now() < deadline) {
    say(`${phase}: ${v.completed}/${all.length} finished`);
    await sleep(5000);
    v = verdict(stack, all);
  }
  return v;
}

/** The table rows and JSON fields of the phase, for bench.ts; `name` prefixes both (phase "restart-https" shares them). */
export function restartReport(r: RestartResult) {
  return {
    rows: restartRows(r, 'restart'),
    json: restartJson(r, 'restart') as Record<'restart_resume_s', number> & Record<string, number>,
  };
}

export function restartRows(r: RestartResult, name: string): string[][] {
  const met = (ok: boolean) => (ok ? 'yes' : 'NO');
  return [
    [
      `${name}: rolling update of 2 replicas, ${r.inFlightAtStart} runs in flight / ${r.repos} repos`,
      `every run tracked again ${fmt(r.resumeS, 1)} s after a successor's start (${r.resumeEachS.map((x) => fmt(x, 1)).join(' s, ')} s)`,
      '<= 60 s',
      met(r.resumeS <= 60),
    ],
    [
      `${name}: GitHub requests per run in flight (${r.windowS.toFixed(0)} s window)`,
      `${fmt(r.githubPerRun, 3)} (${r.githubRequests})`,
      '<= 0.2',
      met(r.githubPerRun <= 0.2),
    ],
    [
      `${name}: Port requests per run in flight`,
      `${fmt(r.portPerRun, 3)} (${r.portRequests}); 429s: ${r.port429s}`,
      '<= 1.0, no 429',
      met(r.portPerRun <= 1 && r.port429s === 0),
    ],
    [
      `${name}: new messages during the update (${r.newRuns}), publish to dispatch`,
      `p50 ${fmt(r.newP50S, 1)} s, p99 ${fmt(r.newP99S, 1)} s`,
      '(measured)',
      '-',
    ],
    [
      `${name}: duplicates / lost (${r.count} held + ${r.newRuns} new runs)`,
      `${r.duplicates} / ${r.lost}`,
      '0 / 0',
      met(r.duplicates === 0 && r.lost === 0),
    ],
  ];
}

export function restartJson(r: RestartResult, prefix: string): Record<string, number> {
  return {
    [`${prefix}_resume_s`]: Number(fmt(r.resumeS, 1)),
    [`${prefix}_github_requests_per_run`]: Number(fmt(r.githubPerRun, 3)),
    [`${prefix}_port_requests_per_run`]: Number(fmt(r.portPerRun, 3)),
    [`${prefix}_port_429s`]: r.port429s,
    [`${prefix}_new_dispatch_p99_s`]: Number(fmt(r.newP99S, 1)),
    [`${prefix}_duplicates`]: r.duplicates,
    [`${prefix}_lost`]: r.lost,
  };
}

function fmt(x: number, d = 2): string {
  return Number.isFinite(x) ? x.toFixed(d) : String(x);
}
