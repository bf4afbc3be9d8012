// `make bench`: the agent (a real process, as deployed) on the real Kafka broker and the GHES and
// Port simulators. Six phases, each on its own topic and simulators so their numbers do not
// mix: throughput (a backlog already on the topic), latency at a steady rate, tracking cost for
// the batched and the naive watcher, memory with 10,000 runs in flight, what an installation
// token renewal costs (token-renewal.ts), the relay's rate and added latency (relay-phase.ts), and
// more (PHASES below). Each phase runs BENCH_REPEAT times (3 by default;
// phase.ts) and reports the median of its runs and their spread; beside each rate, the CPU time
// the agent process spent per unit of work (and the simulators' and the broker's), which depends
// far less on how busy the machine is. Phase port-api-idle counts the claims of an idle
// installation (port-api-idle-phase.ts). Prints a table, then one JSON line (medians, and `_worst`
// for the worst run). BENCH_SCALE=0.1 shrinks every count for a quick look; BENCH_ONLY=a,b runs
// only the named phases and prints their raw results too.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { recommendedHeapMb } from '../../agent/observability/heap-budget.js';
import { metricValue } from '../stack/agent-process.js';
import { brokerInfo, type KafkaBrokerInfo, startKafkaBroker } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import { type BenchRun, planRuns, publishRuns, startBenchStack } from './bench-stack.js';
import { type CompiledAgent, REPO_ROOT, buildAgent, startCompiledAgent } from './compiled-agent.js';
import { memoryOf } from './process-memory.js';
import { portApiPhase } from './port-api-phase.js';
import { type IdleClaimsResult, portApiIdlePhase } from './port-api-idle-phase.js';
import { tokenRenewal } from './token-renewal.js';
import { jobProgressPhase } from './job-progress-phase.js';
import { type RelayResult, relayPhase } from './relay-phase.js';
import { restartPhase, restartReport } from './restart-phase.js';
import { restartHttpsPhase, restartHttpsReport } from './restart-https-phase.js';
import { percentile, round, table } from './stats.js';
import {
  type BenchContext,
  type BenchPhase,
  type CpuShare,
  cpuMeterFor,
  cpuRow,
  figure,
  formatSpread,
  jsonFigure,
  perUnit,
} from './phase.js';

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? '3'));
const n = (x: number) => Math.max(10, Math.round(x * SCALE));
/** Simulated ms per real ms in the tracking phases: 1–5 minute runs last 3–15 s. */
const TIME_SCALE = 20;
/** The agent's default poll interval, scaled like the simulator's clock. */
const POLL_S = 10;
const t0 = Date.now();
const say = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
  onTick?: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    onTick?.();
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

let agentMains: string[] = [];
/** Agents started so far: experiments alternate builds (BENCH_AGENT_MAIN) and node arguments (BENCH_NODE_ARGS) by it. */
let agentStarts = 0;
/** Meters the agent's, this process's and the broker's CPU (set once the broker runs). */
let meterFor: (agent: CompiledAgent) => { stop(): CpuShare };

/**
 * The agent runs as its image runs it: docker/Dockerfile's NODE_OPTIONS (which the Helm chart
 * repeats) and its MALLOC_* variables. NODE_DEFAULTS is plain `node`, for reference.
 */
interface Runtime {
  nodeArgs: string[];
  env: Record<string, string>;
}
const IMAGE = imageRuntime();
const NODE_DEFAULTS: Runtime = { nodeArgs: [], env: {} };

function imageRuntime(): Runtime {
  const dockerfile = readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8');
  const options = /NODE_OPTIONS="([^"]+)"/.exec(dockerfile)?.[1];
  if (!options) throw new Error('bench: docker/Dockerfile sets no NODE_OPTIONS="..."');
  const env = Object.fromEntries([...dockerfile.matchAll(/\b(MALLOC_[A-Z_]+)=(\d+)/g)].map((m) => [m[1]!, m[2]!]));
  return { nodeArgs: options.split(' ').filter(Boolean), env };
}

const describeRuntime = (r: Runtime) => [...Object.entries(r.env).map(([k, v]) => `${k}=${v}`), 'node', ...r.nodeArgs].join(' ');

/** The image's runtime with the old-space limit a user sets for `maxInflightRuns` (the agent's own advice). */
const sizedFor = (maxInflightRuns: number): Runtime => ({
  env: IMAGE.env,
  nodeArgs: [
    ...IMAGE.nodeArgs.filter((a) => !a.startsWith('--max-old-space-size=')),
    `--max-old-space-size=${Math.max(recommendedHeapMb(maxInflightRuns), 160)}`,
  ],
});

async function withAgent<T>(
  stack: LocalStack,
  overrides: Record<string, Record<string, unknown>>,
  fn: (agent: CompiledAgent) => Promise<T>,
  runtime: Runtime = IMAGE,
): Promise<T> {
  // BENCH_NODE_ARGS: "a b|c" alternates between "a b" and "c" from one agent start to the next.
  const variants = (process.env.BENCH_NODE_ARGS ?? '').split('|');
  const extraArgs = variants[agentStarts % variants.length]!.split(' ').filter(Boolean);
  const agentMain = agentMains[agentStarts % agentMains.length]!;
  agentStarts++;
  if (variants.length > 1 || agentMains.length > 1) say(`agent ${agentMain} ${extraArgs.join(' ')}`);
  const nodeArgs = [...runtime.nodeArgs, ...extraArgs];
  // BENCH_NODE_ARGS and BENCH_AGENT_ENV ("NAME=value ...") add to the runtime, for experiments.
  const env = {
    ...runtime.env,
    ...Object.fromEntries(
      (process.env.BENCH_AGENT_ENV ?? '')
        .split(' ')
        .filter((kv) => kv.includes('='))
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ),
  };
  const agent = await startCompiledAgent(
    agentMain,
    stack,
    { log: { level: 'warn' }, ...overrides },
    process.env.BENCH_ECHO === '1',
    nodeArgs,
    env,
  );
  try {
    await agent.waitReady(120_000);
    return await fn(agent);
  } catch (err) {
    process.stderr.write(`agent output (last lines):\n${agent.output().slice(-4000)}\n`);
    throw err;
  } finally {
    await agent.stop();
    await stack.close();
  }
}

const dispatchedIds = (stack: LocalStack) => stack.ghes.dispatches().filter((d) => d.status === 200 || d.status === 204);

/** 20,000 messages already on the topic; the agent starts; time until every one is dispatched. */
async function throughput(broker: KafkaBrokerInfo) {
  const count = n(20_000);
  const stack = await startBenchStack(broker, { repos: 50, timeScale: 1 });
  const runs = planRuns('tp', count, stack.repoNames, () => 3600_000);
  await publishRuns(stack, runs);
  say(`throughput: ${count} messages on ${stack.topic}; starting the agent`);
  const spawnAt = Date.now();
  // Every run stays in flight (an hour long): the heap is sized for that many, as the agent advises.
  const runtime = sizedFor(count + 1000);
  return withAgent(
    stack,
    { tracking: { pollIntervalSeconds: 30 }, limits: { maxInflightRuns: count + 1000 } },
    async (agent) => {
      const readyAt = Date.now();
      const cpu = meterFor(agent);
      const gcBefore = metricValue(await agent.metrics(), 'nodejs_gc_duration_seconds_sum');
      const before = stack.ghes.dispatches().length;
      let peakMb = 0;
      await until(
        'dispatching the backlog',
        () => stack.ghes.dispatches().length >= count,
        15 * 60_000,
        500,
        () => {
          const m = memoryOf(agent.pid);
          if (m) peakMb = Math.max(peakMb, m.peakMb);
          say(`throughput: ${stack.ghes.dispatches().length}/${count} dispatched`);
        },
      );
      // CPU per dispatch between ready and the last dispatch (start-up excluded; the few dispatched
      // before the harness saw "ready" are not counted).
      const dispatchedNow = stack.ghes.dispatches().length - before;
      const cpuPer = perUnit(cpu.stop(), dispatchedNow);
      // GC pauses of the agent's main thread (prom-client's, from perf_hooks), per dispatch: wall-clock
      // durations, so on a busy machine they include time the agent waited for a core.
      const gcMs = ((metricValue(await agent.metrics(), 'nodejs_gc_duration_seconds_sum') - gcBefore) * 1000) / dispatchedNow;
      const at = dispatchedIds(stack).map((d) => d.at);
      const first = Math.min(...at);
      const last = Math.max(...at);
      peakMb = Math.max(peakMb, memoryOf(agent.pid)?.peakMb ?? 0);
      return {
        count,
        perS: count / ((last - first) / 1000),
        fromReadyS: (last - readyAt) / 1000,
        startS: (readyAt - spawnAt) / 1000,
        peakMb,
        runtime,
        cpu: cpuPer,
        gcMs,
      };
    },
    runtime,
  );
}

/** A steady 100 messages/s; message timestamp → dispatch received by GHES. */
async function latency(broker: KafkaBrokerInfo) {
  const rate = 100;
  const seconds = Math.max(5, Math.round(30 * SCALE));
  const stack = await startBenchStack(broker, { repos: 50, timeScale: 1 });
  return withAgent(stack, { tracking: { pollIntervalSeconds: 30 } }, async (agent) => {
    // A steady stream of `rate` messages/s for `secs` seconds, sent in tenths of a second.
    const steady = async (prefix: string, secs: number): Promise<BenchRun[]> => {
      const sent: BenchRun[] = [];
      const begin = Date.now();
      for (let tick = 0; tick < secs * 10; tick++) {
        const batch = planRuns(`${prefix}${String(tick).padStart(4, '0')}`, rate / 10, stack.repoNames, () => 3600_000);
        await publishRuns(stack, batch);
        sent.push(...batch);
        await sleep(Math.max(0, begin + (tick + 1) * 100 - Date.now()));
      }
      return sent;
    };
    // Warm-up at the same rate: tokens, repository look-ups, connections and the JITs of the
    // agent and the broker, as in an agent that has been running for a while.
    const warm = await steady('lw', 10);
    await until('the warm-up', () => stack.ghes.dispatches().length >= warm.length, 120_000);
    say(`latency: ${rate} messages/s for ${seconds} s (after a 10 s warm-up at that rate)`);
    const start = Date.now();
    const cpu = meterFor(agent);
    const runs = await steady('lt', seconds);
    await until('dispatching every steady-rate message', () => stack.ghes.dispatches().length >= warm.length + runs.length, 120_000);
    const cpuPer = perUnit(cpu.stop(), runs.length);
    const dispatchedAt = new Map(stack.ghes.dispatches().map((d) => [String(d.inputs.port_run_id), d.at]));
    const ms = runs.map((r) => dispatchedAt.get(r.id)! - r.publishedAt!);
    if (process.env.BENCH_ONLY) {
      // Where the slow ones are: second of the run → worst latency in it.
      const worst = new Map<number, number>();
      runs.forEach((r, i) =>
        worst.set(
          Math.floor((r.publishedAt! - start) / 1000),
          Math.max(worst.get(Math.floor((r.publishedAt! - start) / 1000)) ?? 0, ms[i]!),
        ),
      );
      say(`latency: worst per second ${JSON.stringify([...worst].map(([k, v]) => `${k}:${v}`))}`);
      // Stages, from the simulators' request logs: publish → Port GET → Port PATCH → GHES POST.
      const portAt = new Map<string, { get?: number; patch?: number }>();
      for (const r of stack.port.requests()) {
        const id = /\/v1\/actions\/runs\/([^/]+)$/.exec(r.path)?.[1];
        if (!id) continue;
        const e = portAt.get(id) ?? {};
        if (r.method === 'GET' && e.get === undefined) e.get = r.at;
        if (r.method === 'PATCH' && e.patch === undefined) e.patch = r.at;
        portAt.set(id, e);
      }
      const stage = { kafka: [] as number[], get: [] as number[], patch: [] as number[] };
      for (const r of runs) {
        const e = portAt.get(r.id);
        if (e?.get === undefined || e.patch === undefined) continue;
        stage.kafka.push(e.get - r.publishedAt!);
        stage.get.push(e.patch - e.get);
        stage.patch.push(dispatchedAt.get(r.id)! - e.patch);
      }
      for (const [k, v] of Object.entries(stage))
        say(`latency stage ${k}: p50 ${percentile(v, 50)} p99 ${percentile(v, 99)} max ${Math.max(...v)}`);
      for (const l of (await agent.metrics()).split('\n'))
        if (/^nodejs_eventloop_lag_(p50|p99|max)_seconds|^nodejs_gc_duration_seconds_sum/.test(l)) say(l);
    }
    return { count: runs.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms), cpu: cpuPer };
  });
}

/** Runs of 1–5 simulated minutes; GitHub requests (dispatch excluded) per completed run; detection delay. */
async function tracking(broker: KafkaBrokerInfo, mode: 'batched' | 'naive', count: number, repos: number) {
  const stack = await startBenchStack(broker, { repos, timeScale: TIME_SCALE });
  const intervalS = POLL_S / TIME_SCALE;
  return withAgent(stack, { tracking: { mode, pollIntervalSeconds: intervalS }, insight: { jobProgress: false } }, async (agent) => {
    const before = stack.ghes.requests().length;
    const cpu = meterFor(agent);
    // Durations spread evenly over 1–5 minutes (a fixed permutation, not random: repeatable).
    const runs = planRuns(
      mode === 'batched' ? 'tb' : 'tn',
      count,
      stack.repoNames,
      (i) => 60_000 + ((i * 7919) % count) * (240_000 / count),
      5_000,
    );
    await publishRuns(stack, runs);
    say(`tracking (${mode}): ${count} runs over ${repos} repositories, poll interval ${POLL_S} s simulated = ${intervalS} s real`);
    const final = () => runs.filter((r) => stack.port.getRun(r.id)?.status !== 'IN_PROGRESS').length;
    await until(
      `${mode}: every run reported`,
      () => final() >= count,
      (300_000 / TIME_SCALE) * 4 + 120_000,
      1000,
      () => say(`tracking (${mode}): ${final()}/${count} reported`),
    );
    const cpuUsed = cpu.stop();
    const requests = stack.ghes.requests().slice(before);
    const byRoute = new Map<string, number>();
    let counted = 0;
    for (const r of requests) {
      if (r.method === 'POST' && /\/dispatches$/.test(r.route ?? '')) continue;
      counted++;
      const key = `${r.route ?? `${r.method} ${r.path}`}${r.status === 304 ? ' (304)' : ''}`;
      byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
    }
    const completed = runs.filter((r) => stack.port.getRun(r.id)?.status === 'SUCCESS').length;
    // Completion on the simulator: created_at + queued + duration, in real ms.
    const simRuns = new Map(stack.ghes.runs().map((r) => [String(r.inputs.port_run_id), r]));
    const detect: number[] = [];
    for (const r of runs) {
      const sim = simRuns.get(r.id);
      const ended = stack.port.getRun(r.id)?.endedAt;
      if (!sim || !ended) continue;
      const completedAt = Date.parse(sim.createdAt) + (r.queuedMs + r.durationMs) / TIME_SCALE;
      detect.push((Date.parse(ended) - completedAt) / 1000);
    }
    // CPU per completed run: its dispatch and all of its tracking up to the terminal report.
    return {
      mode,
      count,
      repos,
      completed,
      requests: counted,
      perRun: counted / completed,
      byRoute,
      detectP50: percentile(detect, 50),
      detectP95: percentile(detect, 95),
      intervalS,
      cpu: perUnit(cpuUsed, completed),
    };
  });
}

/** 10,000 runs in flight (the default limits.maxInflightRuns): the agent's peak resident memory. */
async function memory(broker: KafkaBrokerInfo, runtime: Runtime = IMAGE) {
  const count = n(10_000);
  const stack = await startBenchStack(broker, { repos: 50, timeScale: 1 });
  return withAgent(
    stack,
    { tracking: { pollIntervalSeconds: 2 }, limits: { maxInflightRuns: count } },
    async (agent) => {
      await publishRuns(
        stack,
        planRuns('mm', count, stack.repoNames, () => 3600_000),
      );
      say(`memory: ${count} runs to bring in flight`);
      let inflight = 0;
      await until(
        `${count} runs in flight`,
        async () => (inflight = metricValue(await agent.metrics(), 'ghes_agent_runs_in_flight')) >= count,
        15 * 60_000,
        1000,
        () => say(`memory: ${inflight}/${count} in flight, RSS ${round(memoryOf(agent.pid)?.rssMb ?? NaN)} MB`),
      );
      const reachedAt = Date.now();
      const logBefore = stack.ghes.requests().length;
      // Hold while every repository is polled a few times.
      await sleep(20_000);
      if (process.env.BENCH_ONLY) {
        const byRoute = new Map<string, number>();
        for (const r of stack.ghes.requests().slice(logBefore))
          byRoute.set(
            `${r.route} ${r.status}${/page=[2-9]/.test(r.path) ? ' page>1' : ''}`,
            (byRoute.get(`${r.route} ${r.status}${/page=[2-9]/.test(r.path) ? ' page>1' : ''}`) ?? 0) + 1,
          );
        say(`memory: GHES requests while holding ${JSON.stringify(Object.fromEntries(byRoute))}`);
        for (const r of stack.ghes
          .requests()
          .slice(logBefore)
          .filter((x) => x.status === 200)
          .slice(0, 8))
          say(`  ${r.path} cond=${r.conditional}`);
      }
      const m = memoryOf(agent.pid)!;
      const metrics = await agent.metrics();
      const heapMb = metricValue(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20;
      const externalMb = metricValue(metrics, 'nodejs_external_memory_bytes') / 2 ** 20;
      say(
        `memory: RSS ${round(m.rssMb)} MB (peak ${round(m.peakMb)}; now anonymous ${round(m.anonMb)} + file-backed ${round(m.fileMb)}), V8 heap used ${round(heapMb)} MB, external ${round(externalMb)} MB`,
      );
      if (process.env.BENCH_ONLY)
        for (const l of metrics.split('\n')) if (/^nodejs_heap_space_size_(total|used)_bytes|^nodejs_heap_size_total/.test(l)) say(l);
      return {
        count,
        inflight,
        peakMb: m.peakMb,
        rssMb: m.rssMb,
        anonMb: m.anonMb,
        fileMb: m.fileMb,
        heapMb,
        externalMb,
        heldS: (Date.now() - reachedAt) / 1000,
      };
    },
    runtime,
  );
}

type Tp = Awaited<ReturnType<typeof throughput>>;
type Lat = Awaited<ReturnType<typeof latency>>;
type Track = Awaited<ReturnType<typeof tracking>>;
type Mem = Awaited<ReturnType<typeof memory>>;
type PortApi = Awaited<ReturnType<typeof portApiPhase>>;
type Renewal = Awaited<ReturnType<typeof tokenRenewal>>;
type JobProgress = Awaited<ReturnType<typeof jobProgressPhase>>;
type Restart = Awaited<ReturnType<typeof restartPhase>>;

const met = (ok: boolean) => (ok ? 'yes' : 'NO');
/** Requests by route, summed over a phase's runs. */
const routesOf = (results: Track[]) => {
  const sum = new Map<string, number>();
  for (const r of results) for (const [k, v] of r.byRoute) sum.set(k, (sum.get(k) ?? 0) + v);
  return sum;
};

/**
 * The phases, in order. Each `report` sees all the runs of its phase; a target is met only if
 * its worst run meets it (a figure of docs/performance.md holds on the slowest run).
 */
const PHASES: BenchPhase<any>[] = [
  {
    name: 'throughput',
    runs: 'repeat',
    run: (ctx) => throughput(ctx.broker),
    report(rs: Tp[]) {
      const perS = figure(rs, (r) => r.perS);
      const cpu = figure(rs, (r) => r.cpu.agent);
      return {
        rows: [
          [
            `throughput: ${rs[0]!.count} messages already on the topic`,
            `${formatSpread(perS, 1, ' dispatches/s')} (all dispatched ${formatSpread(
              figure(rs, (r) => r.fromReadyS),
              1,
              ' s',
            )} after ready)`,
            '>= 500/s',
            met(perS.min >= 500),
          ],
          cpuRow('  CPU per dispatch (throughput)', 'dispatch', rs),
          [
            '  agent GC pauses per dispatch (throughput)',
            `${formatSpread(
              figure(rs, (r) => r.gcMs),
              3,
              ' ms',
            )} (wall-clock: on a busy machine it holds waits for a core)`,
            '(measured)',
            '-',
          ],
        ],
        json: {
          ...jsonFigure('dispatch_per_s', perS, 'higher'),
          ...jsonFigure('agent_cpu_ms_per_dispatch', cpu, 'lower', 3),
          agent_gc_ms_per_dispatch: round(figure(rs, (r) => r.gcMs).median, 3),
          bench_cpu_ms_per_dispatch: round(figure(rs, (r) => r.cpu.bench).median, 3),
          broker_cpu_ms_per_dispatch: round(figure(rs, (r) => r.cpu.broker).median, 3),
          throughput_messages: rs[0]!.count,
          ...jsonFigure(
            'throughput_peak_rss_mb',
            figure(rs, (r) => r.peakMb),
            'lower',
          ),
        },
        notes: [`throughput phase runs the agent as: ${describeRuntime(rs[0]!.runtime)}`],
      };
    },
  },
  {
    name: 'latency',
    runs: 'repeat',
    run: (ctx) => latency(ctx.broker),
    report(rs: Lat[]) {
      const p99 = figure(rs, (r) => r.p99);
      return {
        rows: [
          [
            `latency at 100 messages/s (${rs[0]!.count} messages)`,
            `p50 ${formatSpread(
              figure(rs, (r) => r.p50),
              0,
              ' ms',
            )}, p99 ${formatSpread(p99, 0, ' ms')}, max ${formatSpread(
              figure(rs, (r) => r.max),
              0,
              ' ms',
            )}`,
            'p99 <= 50 ms',
            met(p99.max <= 50),
          ],
          cpuRow('  CPU per message (latency)', 'message', rs),
        ],
        json: {
          ...jsonFigure(
            'dispatch_p50_ms',
            figure(rs, (r) => r.p50),
            'lower',
          ),
          ...jsonFigure('dispatch_p99_ms', p99, 'lower'),
          ...jsonFigure(
            'agent_cpu_ms_per_message',
            figure(rs, (r) => r.cpu.agent),
            'lower',
            3,
          ),
        },
      };
    },
  },
  {
    name: 'tracking',
    runs: 'repeat',
    run: (ctx) => tracking(ctx.broker, 'batched', ctx.n(2_000), 50),
    report(rs: Track[]) {
      const perRun = figure(rs, (r) => r.perRun);
      const p95 = figure(rs, (r) => r.detectP95);
      const r0 = rs[0]!;
      return {
        rows: [
          [
            `tracking, batched: ${r0.count} runs / ${r0.repos} repos, 1-5 min`,
            `${formatSpread(perRun, 2)} GitHub requests per completed run`,
            '<= 1.5',
            met(perRun.max <= 1.5),
          ],
          [
            'completion detected (batched)',
            `p50 ${formatSpread(
              figure(rs, (r) => r.detectP50),
              2,
              ' s',
            )}, p95 ${formatSpread(p95, 2, ' s')} (poll interval ${r0.intervalS} s real)`,
            `p95 <= ${r0.intervalS + 1} s`,
            met(p95.max <= r0.intervalS + 1),
          ],
          cpuRow('  CPU per tracked run (batched)', 'completed run', rs),
        ],
        json: {
          ...jsonFigure('github_requests_per_completed_run', perRun, 'lower', 3),
          ...jsonFigure('completion_detect_p95_s', p95, 'lower', 3),
          completion_detect_p50_s: round(figure(rs, (r) => r.detectP50).median, 3),
          poll_interval_real_s: r0.intervalS,
          time_scale: TIME_SCALE,
          ...jsonFigure(
            'agent_cpu_ms_per_tracked_run',
            figure(rs, (r) => r.cpu.agent),
            'lower',
            3,
          ),
        },
        notes: [
          'GitHub requests by route, batched (all runs; dispatch POSTs excluded)',
          ...[...routesOf(rs)].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(7)}  ${k}`),
        ],
      };
    },
  },
  {
    name: 'naive',
    runs: 'repeat',
    // Naive cost per run does not depend on how many runs there are: a tenth of the runs over a
    // tenth of the repositories measures it without flooding a 2-core machine with GETs.
    run: (ctx) => tracking(ctx.broker, 'naive', ctx.n(200), 5),
    report(rs: Track[], earlier) {
      const perRun = figure(rs, (r) => r.perRun);
      // Against the batched watcher's runs of this bench: median over median, and the worst pair.
      const batched = figure((earlier.tracking ?? []) as Track[], (r) => r.perRun);
      const ratio = perRun.median / batched.median;
      const worstRatio = perRun.min / batched.max;
      return {
        rows: [
          [
            `tracking, naive: ${rs[0]!.count} runs / ${rs[0]!.repos} repos, 1-5 min`,
            `${formatSpread(perRun, 2)} GitHub requests per completed run; batched uses ${round(ratio, 1)}x fewer (worst pair ${round(worstRatio, 1)}x)`,
            '>= 20x fewer',
            batched.n ? met(worstRatio >= 20) : '- (no batched runs)',
          ],
          cpuRow('  CPU per tracked run (naive)', 'completed run', rs),
        ],
        json: {
          ...jsonFigure('naive_requests_per_completed_run', perRun, 'higher', 3),
          naive_over_batched: round(ratio, 1),
          naive_over_batched_worst: round(worstRatio, 1),
          ...jsonFigure(
            'agent_cpu_ms_per_tracked_run_naive',
            figure(rs, (r) => r.cpu.agent),
            'lower',
            3,
          ),
        },
        notes: [
          'GitHub requests by route, naive (all runs; dispatch POSTs excluded)',
          ...[...routesOf(rs)].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(7)}  ${k}`),
        ],
      };
    },
  },
  {
    name: 'memory',
    runs: 'repeat',
    run: (ctx) => memory(ctx.broker),
    report(rs: Mem[]) {
      const peak = figure(rs, (r) => r.peakMb);
      return {
        rows: [
          [
            `memory: ${rs[0]!.inflight} runs in flight`,
            `peak RSS ${formatSpread(peak, 0, ' MB')}; after the hold ${formatSpread(
              figure(rs, (r) => r.rssMb),
              0,
              ' MB',
            )} = anonymous ${formatSpread(
              figure(rs, (r) => r.anonMb),
              0,
              ' MB',
            )} + file-backed ${formatSpread(
              figure(rs, (r) => r.fileMb),
              0,
              ' MB',
            )}; V8 heap used ${formatSpread(
              figure(rs, (r) => r.heapMb),
              0,
              ' MB',
            )}`,
            '<= 200 MB',
            met(peak.max <= 200),
          ],
        ],
        json: {
          inflight_runs: rs[0]!.inflight,
          ...jsonFigure('rss_mb_at_peak', peak, 'lower'),
          rss_anon_mb_after: round(figure(rs, (r) => r.anonMb).median),
          rss_file_mb_after: round(figure(rs, (r) => r.fileMb).median),
        },
      };
    },
  },
  {
    name: 'memory-node-defaults',
    runs: 1,
    run: (ctx) => memory(ctx.broker, NODE_DEFAULTS),
    report(rs: Mem[]) {
      return {
        rows: [
          [
            `memory, same, plain node (Node's heap sizing, glibc's malloc defaults)`,
            `peak RSS ${formatSpread(
              figure(rs, (r) => r.peakMb),
              0,
              ' MB',
            )}`,
            '(reference)',
            '-',
          ],
        ],
        json: { rss_mb_at_peak_node_default_heap: round(figure(rs, (r) => r.peakMb).median) },
      };
    },
  },
  {
    name: 'port-api',
    runs: 'repeat',
    run: (ctx) => portApiPhase(ctx.broker, ctx.n(4_000), ctx.withAgent, ctx.until, ctx.say, ctx.cpu),
    report(rs: PortApi[]) {
      const perS = figure(rs, (r) => r.perS);
      const perRun = figure(rs, (r) => r.requestsPerRun);
      const routes = new Map<string, number>();
      for (const r of rs) for (const [k, v] of r.byRoute) routes.set(k, (routes.get(k) ?? 0) + v);
      return {
        rows: [
          [
            `HTTPS intake: ${rs[0]!.count} runs queued in Port (1 in 5 workflow-node)`,
            `${formatSpread(perS, 1, ' claimed runs dispatched/s')}`,
            '>= 200/s',
            met(perS.min >= 200),
          ],
          [
            `HTTPS intake: Port requests per run besides reports`,
            `${formatSpread(perRun, 2)} (${[...routes]
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`,
            '<= 3',
            met(perRun.max <= 3),
          ],
          cpuRow('  CPU per claimed run dispatched', 'run', rs),
        ],
        json: {
          ...jsonFigure('port_api_dispatch_per_s', perS, 'higher'),
          ...jsonFigure('port_api_port_requests_per_run', perRun, 'lower', 3),
          ...jsonFigure(
            'port_api_agent_cpu_ms_per_dispatch',
            figure(rs, (r) => r.cpu.agent),
            'lower',
            3,
          ),
        },
      };
    },
  },
  {
    name: 'port-api-idle',
    // A count of claims at a fixed cadence, the same on every run: once.
    runs: 1,
    run: (ctx) => portApiIdlePhase(ctx.broker, ctx.withAgent, ctx.say),
    report(rs: IdleClaimsResult[]) {
      const r = rs[0]!;
      return {
        rows: [
          [
            `HTTPS intake, idle installation: claims over ${round(r.windowS, 0)} s (${[...r.byRoute].map(([k, v]) => `${k} ${v}`).join(', ')})`,
            `${round(r.perHour, 0)} claim requests per hour`,
            '<= 400',
            met(r.perHour <= 400),
          ],
        ],
        json: { port_api_idle_claims_per_hour: round(r.perHour, 0) },
      };
    },
  },
  {
    name: 'token-renewal',
    // A count of requests, the same on every run (docs/performance.md: 2.0 and 2.0): once.
    runs: 1,
    run: (ctx) => tokenRenewal(ctx.broker, ctx.withAgent, ctx.say),
    report(rs: Renewal[]) {
      const r = rs[0]!;
      return {
        rows: [
          [
            `installation token renewal: ${r.repos} repos, unchanged runs, ${r.renewals} renewals in ${r.windowS} s`,
            `${round(r.per200, 2)} list 200s per repository per renewal (${r.lists200} 200s, ${r.lists304} 304s, ${r.unauthorized} 401s)`,
            '(measured)',
            '-',
          ],
        ],
        json: { list_200s_per_repo_per_token_renewal: round(r.per200, 3) },
      };
    },
  },
  {
    name: 'job-progress',
    // insight.jobProgress's cost: the same runs tracked with it off and on (two passes per run).
    runs: 'repeat',
    run: (ctx) =>
      jobProgressPhase(ctx.broker, ctx.n(200), {
        timeScale: TIME_SCALE,
        pollS: POLL_S,
        withAgent: ctx.withAgent,
        until: ctx.until,
        say: ctx.say,
      }),
    report(rs: JobProgress[]) {
      const extra = figure(rs, (r) => r.extraPerRun);
      const jp = rs[0]!;
      return {
        rows: [
          [
            `job progress (insight.jobProgress): ${jp.count} runs of 2 jobs, 1-5 min`,
            `${formatSpread(extra, 2, ' extra GitHub requests per run')} (first run: ${round(jp.on.perRun, 2)} on vs ${round(jp.off.perRun, 2)} off; jobs lists ${jp.on.jobs200} 200s, ${jp.on.jobs304} 304s; ${round(jp.on.linesPerRun, 1)} job lines per run)`,
            '(measured)',
            '-',
          ],
        ],
        json: { ...jsonFigure('job_progress_extra_requests_per_run', extra, 'lower', 3) },
      };
    },
  },
  {
    name: 'relay',
    // The relay (issue 26): requests per second and per core with token verification, and the
    // latency it adds over a direct Port call (relay-phase.ts). Measured, no target.
    runs: 'repeat',
    run: (ctx) => relayPhase(ctx, ctx.n(5_000), ctx.n(1_000)),
    report(rs: RelayResult[]) {
      const perS = figure(rs, (r) => r.perS);
      const perCore = figure(rs, (r) => r.perCoreS);
      const addedP50 = figure(rs, (r) => r.relayP50 - r.directP50);
      const addedP99 = figure(rs, (r) => r.relayP99 - r.directP99);
      const r0 = rs[0]!;
      return {
        rows: [
          [
            `relay: ${r0.count} UPSERTs with OIDC tokens of ${r0.repos} repositories, ${r0.concurrency} callers`,
            `${formatSpread(perS, 0, ' requests/s')}; ${formatSpread(perCore, 0, ' per agent core')} (1000 / agent CPU ms per request)`,
            '(measured)',
            '-',
          ],
          [
            `relay: latency added over a direct Port call (${r0.pairs} pairs, one at a time)`,
            `p50 +${formatSpread(addedP50, 2, ' ms')}, p99 +${formatSpread(addedP99, 2, ' ms')} (direct p50 ${formatSpread(
              figure(rs, (r) => r.directP50),
              2,
              ' ms',
            )}, relayed p50 ${formatSpread(
              figure(rs, (r) => r.relayP50),
              2,
              ' ms',
            )}); ${rs.reduce((n, r) => n + r.failures, 0)} answers not 201`,
            '(measured)',
            '-',
          ],
          cpuRow('  CPU per relay request', 'request', rs),
        ],
        json: {
          ...jsonFigure('relay_requests_per_s', perS, 'higher'),
          ...jsonFigure('relay_requests_per_agent_core_s', perCore, 'higher'),
          ...jsonFigure(
            'relay_agent_cpu_ms_per_request',
            figure(rs, (r) => r.cpu.agent),
            'lower',
            3,
          ),
          ...jsonFigure('relay_added_p50_ms', addedP50, 'lower', 2),
          ...jsonFigure('relay_added_p99_ms', addedP99, 'lower', 2),
          relay_failures: rs.reduce((n, r) => n + r.failures, 0),
        },
      };
    },
  },
  {
    name: 'restart',
    // 10,000 runs in flight and a rolling update of two replicas: several minutes each, once by
    // default (BENCH_ONLY=restart BENCH_REPEAT=3 for the spread).
    runs: process.env.BENCH_ONLY?.split(',').includes('restart') ? 'repeat' : 1,
    run: (ctx) => {
      const runtime = sizedFor(ctx.n(10_000) + 2000);
      return restartPhase(ctx.broker, ctx.n(10_000), {
        agentMain: agentMains[0]!,
        nodeArgs: runtime.nodeArgs,
        env: runtime.env,
        say: ctx.say,
      });
    },
    report(rs: Restart[]) {
      // Each run's own rows when repeated: the phase's figures are counts of one update each.
      const reports = rs.map((r) => restartReport(r));
      const worst = reports.reduce((w, r) => (r.json.restart_resume_s > w.json.restart_resume_s ? r : w), reports[0]!);
      return { rows: reports.flatMap((r) => r.rows), json: worst.json };
    },
  },
  {
    name: 'restart-https',
    // Phase "restart" for runs claimed over HTTPS (restart-https-phase.ts): once by default.
    runs: process.env.BENCH_ONLY?.split(',').includes('restart-https') ? 'repeat' : 1,
    run: (ctx) => {
      const runtime = sizedFor(ctx.n(5000) + 2000);
      return restartHttpsPhase(ctx.broker, ctx.n(5000), {
        agentMain: agentMains[0]!,
        nodeArgs: runtime.nodeArgs,
        env: runtime.env,
        say: ctx.say,
      });
    },
    report(rs: Awaited<ReturnType<typeof restartHttpsPhase>>[]) {
      const worst = rs.reduce((w, r) => (r.resumeS > w.resumeS ? r : w), rs[0]!);
      return { rows: rs.flatMap((r) => restartHttpsReport(r).rows), json: restartHttpsReport(worst).json };
    },
  },
];

async function main(): Promise<void> {
  // BENCH_AGENT_MAIN: an agent already compiled (its agent/main.js), to compare two builds under the same conditions.
  // A comma-separated list alternates between builds from one agent start to the next.
  if (process.env.BENCH_AGENT_MAIN) agentMains = process.env.BENCH_AGENT_MAIN.split(',');
  else {
    say('compiling the agent (tsc → .cache/bench-build)');
    agentMains = [buildAgent()];
  }
  say('starting Kafka (KRaft, SASL_SSL + SCRAM-SHA-512)');
  const broker = await startKafkaBroker({});
  meterFor = cpuMeterFor(broker.pid);
  const ctx: BenchContext = {
    broker: brokerInfo(broker),
    n,
    say,
    until,
    withAgent: (stack, o, fn) => withAgent(stack, o, fn),
    cpu: (agent) => meterFor(agent),
  };
  try {
    // BENCH_ONLY=a,b runs the named phases and prints each run's raw result too (for profiling).
    const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
    const unknown = only?.filter((o) => !PHASES.some((p) => p.name === o)) ?? [];
    if (unknown.length) throw new Error(`BENCH_ONLY: no phase ${unknown.join(', ')} (phases: ${PHASES.map((p) => p.name).join(', ')})`);
    const phases = only ? PHASES.filter((p) => only.includes(p.name)) : PHASES;
    const reports: ReturnType<BenchPhase<unknown>['report']>[] = [];
    const done: Record<string, unknown[]> = {};
    for (const phase of phases) {
      const times = phase.runs === 'repeat' ? REPEAT : 1;
      const results: unknown[] = [];
      for (let i = 1; i <= times; i++) {
        say(`phase ${phase.name}: run ${i} of ${times}`);
        const r = await phase.run(ctx);
        results.push(r);
        if (only)
          console.log(
            JSON.stringify({ phase: phase.name, run: i, ...(r as object) }, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v)),
          );
      }
      done[phase.name] = results;
      const report = phase.report(results, done);
      reports.push(report);
      for (const row of report.rows) say(`${phase.name}: ${row[0]!.trim()}: ${row[1]}`);
    }

    console.log(
      `\nghes-agent benchmark (compiled agent as a process; real Kafka; GHES 3.21 and Port simulators on loopback; ${cpus().length} cores shared by all)`,
    );
    console.log(`agent runs as in its image: ${describeRuntime(IMAGE)}; Node ${process.version}`);
    console.log(
      `each figure: median (lowest–highest, runs) over ${REPEAT} runs per phase (BENCH_REPEAT); a target is met only if the worst run meets it`,
    );
    console.log(
      `CPU: user + system ms from /proc per unit of work; "bench process" is this process, which runs both simulators and the publisher\n`,
    );
    console.log(table([['scenario', 'result', 'target', 'met'], ...reports.flatMap((r) => r.rows)]));
    for (const note of reports.flatMap((r) => r.notes ?? [])) console.log(note);
    console.log(
      JSON.stringify({
        ...Object.assign({}, ...reports.map((r) => r.json)),
        runs_per_phase: REPEAT,
        scale: SCALE,
        node: process.version,
        cores: cpus().length,
      }),
    );
  } finally {
    await broker.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
