// `make bench`: the agent (a real process, as deployed) on the real Kafka broker and the GHES and
// Port simulators. Six phases, each on its own topic and simulators so their numbers do not
// mix: throughput (a backlog already on the topic), latency at a steady rate, tracking cost for
// the batched and the naive watcher, memory with 10,000 runs in flight, and what an installation
// token renewal costs (token-renewal.ts). Prints a table,
// then one JSON line. BENCH_SCALE=0.1 shrinks every count for a quick look.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recommendedHeapMb } from '../../agent/observability/heap-budget.js';
import { metricValue } from '../stack/agent-process.js';
import { brokerInfo, type KafkaBrokerInfo, startKafkaBroker } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import { type BenchRun, planRuns, publishRuns, startBenchStack } from './bench-stack.js';
import { type CompiledAgent, REPO_ROOT, buildAgent, startCompiledAgent } from './compiled-agent.js';
import { memoryOf } from './process-memory.js';
import { portApiPhase } from './port-api-phase.js';
import { tokenRenewal } from './token-renewal.js';
import { restartPhase, restartReport } from './restart-phase.js';
import { percentile, round, table } from './stats.js';

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const n = (x: number) => Math.max(10, Math.round(x * SCALE));
/** Simulated ms per real ms in the tracking phases: 1–5 minute runs last 3–15 s. */
const TIME_SCALE = 20;
/** The agent's default poll interval, scaled like the simulator's clock. */
const POLL_S = 10;
const t0 = Date.now();
const say = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 250, onTick?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    onTick?.();
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

let agentMain = '';

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
  nodeArgs: [...IMAGE.nodeArgs.filter((a) => !a.startsWith('--max-old-space-size=')), `--max-old-space-size=${Math.max(recommendedHeapMb(maxInflightRuns), 160)}`],
});

async function withAgent<T>(stack: LocalStack, overrides: Record<string, Record<string, unknown>>, fn: (agent: CompiledAgent) => Promise<T>, runtime: Runtime = IMAGE): Promise<T> {
  const nodeArgs = [...runtime.nodeArgs, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const agent = await startCompiledAgent(agentMain, stack, { log: { level: 'warn' }, ...overrides }, process.env.BENCH_ECHO === '1', nodeArgs, runtime.env);
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
  return withAgent(stack, { tracking: { pollIntervalSeconds: 30 }, limits: { maxInflightRuns: count + 1000 } }, async (agent) => {
    const readyAt = Date.now();
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
    const at = dispatchedIds(stack).map((d) => d.at);
    const first = Math.min(...at);
    const last = Math.max(...at);
    peakMb = Math.max(peakMb, memoryOf(agent.pid)?.peakMb ?? 0);
    return { count, perS: count / ((last - first) / 1000), fromReadyS: (last - readyAt) / 1000, startS: (readyAt - spawnAt) / 1000, peakMb, runtime };
  }, runtime);
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
    const runs = await steady('lt', seconds);
    await until('dispatching every steady-rate message', () => stack.ghes.dispatches().length >= warm.length + runs.length, 120_000);
    const dispatchedAt = new Map(stack.ghes.dispatches().map((d) => [String(d.inputs.port_run_id), d.at]));
    const ms = runs.map((r) => dispatchedAt.get(r.id)! - r.publishedAt!);
    if (process.env.BENCH_ONLY) {
      // Where the slow ones are: second of the run → worst latency in it.
      const worst = new Map<number, number>();
      runs.forEach((r, i) => worst.set(Math.floor((r.publishedAt! - start) / 1000), Math.max(worst.get(Math.floor((r.publishedAt! - start) / 1000)) ?? 0, ms[i]!)));
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
      for (const [k, v] of Object.entries(stage)) say(`latency stage ${k}: p50 ${percentile(v, 50)} p99 ${percentile(v, 99)} max ${Math.max(...v)}`);
      for (const l of (await agent.metrics()).split('\n')) if (/^nodejs_eventloop_lag_(p50|p99|max)_seconds|^nodejs_gc_duration_seconds_sum/.test(l)) say(l);
    }
    return { count: runs.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) };
  });
}

/** Runs of 1–5 simulated minutes; GitHub requests (dispatch excluded) per completed run; detection delay. */
async function tracking(broker: KafkaBrokerInfo, mode: 'batched' | 'naive', count: number, repos: number) {
  const stack = await startBenchStack(broker, { repos, timeScale: TIME_SCALE });
  const intervalS = POLL_S / TIME_SCALE;
  return withAgent(stack, { tracking: { mode, pollIntervalSeconds: intervalS } }, async () => {
    const before = stack.ghes.requests().length;
    // Durations spread evenly over 1–5 minutes (a fixed permutation, not random: repeatable).
    const runs = planRuns(mode === 'batched' ? 'tb' : 'tn', count, stack.repoNames, (i) => 60_000 + ((i * 7919) % count) * (240_000 / count), 5_000);
    await publishRuns(stack, runs);
    say(`tracking (${mode}): ${count} runs over ${repos} repositories, poll interval ${POLL_S} s simulated = ${intervalS} s real`);
    const final = () => runs.filter((r) => stack.port.getRun(r.id)?.status !== 'IN_PROGRESS').length;
    await until(`${mode}: every run reported`, () => final() >= count, (300_000 / TIME_SCALE) * 4 + 120_000, 1000, () => say(`tracking (${mode}): ${final()}/${count} reported`));
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
    return { mode, count, repos, completed, requests: counted, perRun: counted / completed, byRoute, detectP50: percentile(detect, 50), detectP95: percentile(detect, 95), intervalS };
  });
}

/** 10,000 runs in flight (the default limits.maxInflightRuns): the agent's peak resident memory. */
async function memory(broker: KafkaBrokerInfo, runtime: Runtime = IMAGE) {
  const count = n(10_000);
  const stack = await startBenchStack(broker, { repos: 50, timeScale: 1 });
  return withAgent(stack, { tracking: { pollIntervalSeconds: 2 }, limits: { maxInflightRuns: count } }, async (agent) => {
    await publishRuns(stack, planRuns('mm', count, stack.repoNames, () => 3600_000));
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
      for (const r of stack.ghes.requests().slice(logBefore)) byRoute.set(`${r.route} ${r.status}${/page=[2-9]/.test(r.path) ? ' page>1' : ''}`, (byRoute.get(`${r.route} ${r.status}${/page=[2-9]/.test(r.path) ? ' page>1' : ''}`) ?? 0) + 1);
      say(`memory: GHES requests while holding ${JSON.stringify(Object.fromEntries(byRoute))}`);
      for (const r of stack.ghes.requests().slice(logBefore).filter((x) => x.status === 200).slice(0, 8)) say(`  ${r.path} cond=${r.conditional}`);
    }
    const m = memoryOf(agent.pid)!;
    const metrics = await agent.metrics();
    const heapMb = metricValue(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20;
    const externalMb = metricValue(metrics, 'nodejs_external_memory_bytes') / 2 ** 20;
    say(`memory: RSS ${round(m.rssMb)} MB (peak ${round(m.peakMb)}), V8 heap used ${round(heapMb)} MB, external ${round(externalMb)} MB`);
    if (process.env.BENCH_ONLY) for (const l of metrics.split('\n')) if (/^nodejs_heap_space_size_(total|used)_bytes|^nodejs_heap_size_total/.test(l)) say(l);
    return { count, inflight, peakMb: m.peakMb, rssMb: m.rssMb, heapMb, externalMb, heldS: (Date.now() - reachedAt) / 1000 };
  }, runtime);
}

/** Phase "restart" (restart-phase.ts): two replicas as in the image, sized for the runs they hold. */
function restartOf(info: KafkaBrokerInfo) {
  const runtime = sizedFor(n(10_000) + 2000);
  return restartPhase(info, n(10_000), { agentMain, nodeArgs: runtime.nodeArgs, env: runtime.env, say });
}

async function main(): Promise<void> {
  say('compiling the agent (tsc → .cache/bench-build)');
  agentMain = buildAgent();
  say('starting Kafka (KRaft, SASL_SSL + SCRAM-SHA-512)');
  const broker = await startKafkaBroker({});
  const info = brokerInfo(broker);
  try {
    // BENCH_ONLY=<phase> runs one phase and prints its raw result (for profiling).
    const only = process.env.BENCH_ONLY;
    if (only) {
      const phases: Record<string, () => Promise<unknown>> = {
        throughput: () => throughput(info),
        latency: () => latency(info),
        tracking: () => tracking(info, 'batched', n(2_000), 50),
        naive: () => tracking(info, 'naive', n(200), 5),
        memory: () => memory(info),
        'port-api': () => portApiPhase(info, n(4_000), withAgent, until, say),
        'memory-node-defaults': () => memory(info, NODE_DEFAULTS),
        'token-renewal': () => tokenRenewal(info, withAgent, say),
        restart: () => restartOf(info),
      };
      console.log(JSON.stringify(await phases[only]!(), (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v)));
      return;
    }
    const tp = await throughput(info);
    say(`throughput: ${round(tp.perS)} dispatches/s`);
    const lat = await latency(info);
    say(`latency: p50 ${lat.p50} ms, p99 ${lat.p99} ms`);
    const batched = await tracking(info, 'batched', n(2_000), 50);
    // Naive cost per run does not depend on how many runs there are: a tenth of the runs over a
    // tenth of the repositories measures it without flooding a 2-core machine with GETs.
    const naive = await tracking(info, 'naive', n(200), 5);
    const mem = await memory(info);
    const memDefaults = await memory(info, NODE_DEFAULTS);
    const pa = await portApiPhase(info, n(4_000), withAgent, until, say);
    const renewal = await tokenRenewal(info, withAgent, say);
    const restart = restartReport(await restartOf(info));

    const target = (ok: boolean) => (ok ? 'yes' : 'NO');
    const ratio = naive.perRun / batched.perRun;
    console.log('\nghes-agent benchmark (compiled agent as a process; real Kafka; GHES 3.21 and Port simulators on loopback; 2 cores shared by all)');
    console.log(`agent runs as in its image: ${describeRuntime(IMAGE)}; throughput phase: ${describeRuntime(tp.runtime)}\n`);
    console.log(
      table([
        ['scenario', 'result', 'target', 'met'],
        [`throughput: ${tp.count} messages already on the topic`, `${round(tp.perS)} dispatches/s (all dispatched ${round(tp.fromReadyS)} s after ready)`, '>= 500/s', target(tp.perS >= 500)],
        [`latency at 100 messages/s (${lat.count} messages)`, `p50 ${round(lat.p50, 0)} ms, p99 ${round(lat.p99, 0)} ms (max ${round(lat.max, 0)} ms)`, 'p99 <= 50 ms', target(lat.p99 <= 50)],
        [`tracking, batched: ${batched.count} runs / ${batched.repos} repos, 1-5 min`, `${round(batched.perRun, 2)} GitHub requests per completed run (${batched.requests} for ${batched.completed})`, '<= 1.5', target(batched.perRun <= 1.5)],
        [`tracking, naive: ${naive.count} runs / ${naive.repos} repos, 1-5 min`, `${round(naive.perRun, 2)} per completed run (${naive.requests} for ${naive.completed}); batched uses ${round(ratio, 1)}x fewer`, '>= 20x fewer', target(ratio >= 20)],
        [
          'completion detected (batched)',
          `p50 ${round(batched.detectP50, 2)} s, p95 ${round(batched.detectP95, 2)} s (poll interval ${batched.intervalS} s real)`,
          `p95 <= ${batched.intervalS + 1} s`,
          target(batched.detectP95 <= batched.intervalS + 1),
        ],
        [`memory: ${mem.inflight} runs in flight`, `peak RSS ${round(mem.peakMb)} MB (now ${round(mem.rssMb)} MB, V8 heap used ${round(mem.heapMb)} MB); ${tp.count} in flight: ${round(tp.peakMb)} MB`, '<= 200 MB', target(mem.peakMb <= 200)],
        [`memory, same, plain node (Node's heap sizing, glibc's malloc defaults)`, `peak RSS ${round(memDefaults.peakMb)} MB (now ${round(memDefaults.rssMb)} MB, V8 heap used ${round(memDefaults.heapMb)} MB)`, '(reference)', '-'],
        [`HTTPS intake: ${pa.count} runs queued in Port (1 in 5 workflow-node)`, `${round(pa.perS)} claimed runs dispatched/s (all ${round(pa.fromReadyS)} s after ready)`, '>= 200/s', target(pa.perS >= 200)],
        [`HTTPS intake: Port requests per run besides reports (${pa.completed} runs)`, `${round(pa.requestsPerRun, 2)} (${[...pa.byRoute].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')})`, '<= 3', target(pa.requestsPerRun <= 3)],
        [
          `installation token renewal: ${renewal.repos} repos, unchanged runs, ${renewal.renewals} renewals in ${renewal.windowS} s`,
          `${round(renewal.per200, 2)} list 200s per repository per renewal (${renewal.lists200} 200s, ${renewal.lists304} 304s, ${renewal.unauthorized} 401s)`,
          '(measured)',
          '-',
        ],
        ...restart.rows,
      ]),
    );
    console.log('\nGitHub requests by route (tracking phases, dispatch POSTs excluded)');
    for (const r of [batched, naive]) for (const [route, c] of [...r.byRoute].sort((a, b) => b[1] - a[1])) console.log(`  ${r.mode.padEnd(8)} ${String(c).padStart(7)}  ${route}`);
    console.log(
      JSON.stringify({
        dispatch_per_s: round(tp.perS),
        dispatch_p50_ms: round(lat.p50, 1),
        dispatch_p99_ms: round(lat.p99, 1),
        inflight_runs: mem.inflight,
        github_requests_per_completed_run: round(batched.perRun, 3),
        naive_requests_per_completed_run: round(naive.perRun, 3),
        rss_mb_at_peak: round(mem.peakMb),
        rss_mb_at_peak_node_default_heap: round(memDefaults.peakMb),
        completion_detect_p95_s: round(batched.detectP95, 3),
        completion_detect_p50_s: round(batched.detectP50, 3),
        poll_interval_real_s: batched.intervalS,
        time_scale: TIME_SCALE,
        throughput_messages: tp.count,
        throughput_peak_rss_mb: round(tp.peakMb),
        port_api_dispatch_per_s: round(pa.perS),
        port_api_port_requests_per_run: round(pa.requestsPerRun, 3),
        list_200s_per_repo_per_token_renewal: round(renewal.per200, 3),
        ...restart.json,
        scale: SCALE,
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
