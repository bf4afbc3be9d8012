// `make bench`, phase "restart-https" (issue 15): the rolling update of phase "restart" for runs
// claimed over HTTPS (GitHub Ocean backend, workflow-node runs). 5,000 claimed runs in flight
// over 50 repositories and 10 actions (one in ten a workflow-node run) on two replicas with the
// HTTPS intake alone, then SIGTERM one replica, start its successor, then the same for the other,
// while held runs keep completing and new runs keep being queued in Port (10 a second). Counted
// from the simulators' records, as phase "restart" counts them (restart-phase.ts):
// - restart_https_resume_s: from a successor's spawn until the live replicas' runs in flight cover
//   every run GHES shows unfinished, both replicas holding some; the longer of the two;
// - restart_https_github_requests_per_run: GHES requests (dispatch POSTs excluded) from the first
//   SIGTERM until a minute after the second successor resumed, per held run;
// - restart_https_port_requests_per_run: Port requests in that window per held run, leaving out
//   what the window costs without a restart: the new runs' own traffic (their claims, acks,
//   reports), what a completion costs (its "Workflow completed" line, the read before its final
//   status, the final PATCH), the claim polls and the lease renewals of runs held all along
//   (empty PATCHes), each printed by itself;
// - 429s from the Port simulator's rate limit, duplicates and lost runs (the chaos verdict).
//
// Port lists at most 1,000 runs a list (no cursor): the agent lists each action by itself when
// a list comes back full; workflow-node runs have no such filter, hence one in ten here (500).
import { metricValue } from '../stack/agent-process.js';
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import type { SimPortRun } from '../sim/port/types.js';
import { BENCH_WORKFLOW, planRuns, startBenchStack } from './bench-stack.js';
import { type CompiledAgent, startCompiledAgent } from './compiled-agent.js';
import {
  finalVerdict,
  RESTART_PORT_RATE_LIMIT,
  reportsDelivered,
  type RestartDeps,
  type RestartResult,
  restartJson,
  restartRows,
} from './restart-phase.js';

const SETTLE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUN_PATH = /^\/v1\/(?:actions\/runs|workflows\/nodes\/runs)\/((?:r|wfnr)_[A-Za-z0-9_-]+)(\/logs)?$/;

export interface RestartHttpsResult extends RestartResult {
  claimPolls: number;
  leaseRenewals: number;
  handOverWrites: number;
}

export async function restartHttpsPhase(broker: KafkaBrokerInfo, count: number, deps: RestartDeps): Promise<RestartHttpsResult> {
  const { say } = deps;
  const repos = 50;
  const stack = await startBenchStack(broker, { repos, timeScale: 1, port: { rateLimit: RESTART_PORT_RATE_LIMIT } });
  const overrides = {
    log: { level: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    kafka: { enabled: false },
    portApi: { enabled: true },
    tracking: { pollIntervalSeconds: 10 },
    limits: { maxInflightRuns: count + 2000 },
  };
  const start = () => startCompiledAgent(deps.agentMain, stack, overrides, process.env.BENCH_ECHO === '1', deps.nodeArgs, deps.env);
  const agents: CompiledAgent[] = [];
  const live = new Set<CompiledAgent>();
  const inflight = async (a: CompiledAgent) => metricValue(await a.metrics().catch(() => ''), 'ghes_agent_runs_in_flight');
  const queue = (prefix: string, n: number, durationMs: (i: number) => number, offset = 0) =>
    planRuns(prefix, n, stack.repoNames, durationMs).map((r, i) =>
      stack.createIntegrationRun(
        { org: stack.ghOrg, repo: r.repo, workflow: BENCH_WORKFLOW, workflowInputs: { duration_ms: String(r.durationMs), queued_ms: '0' } },
        { kind: (i + offset) % 10 === 9 ? 'workflow-node' : 'action', actionIdentifier: `action_${(i + offset) % 10}` },
      ),
    );
  let publishing = true;
  try {
    const a = await start();
    const b = await start();
    agents.push(a, b);
    await Promise.all([a.waitReady(), b.waitReady()]);
    live.add(a).add(b);
    // Held runs end 4-7 minutes after they were queued: none before the rolling update begins.
    const held = queue('rh', count, (i) => 240_000 + ((i * 7919) % count) * (180_000 / count));
    const heldIds = new Set(held.map((r) => r.id));
    say(
      `restart-https: ${count} runs over ${repos} repositories queued in Port; waiting until all are dispatched and tracked by the two replicas`,
    );
    const dispatchedHeld = () =>
      new Set(
        stack.ghes
          .dispatches()
          .filter((d) => d.status < 300 && heldIds.has(String(d.inputs.port_run_id)))
          .map((d) => String(d.inputs.port_run_id)),
      ).size;
    const unfinished = () => stack.ghes.runs().filter((r) => r.status !== 'completed').length;
    const reachDeadline = Date.now() + 10 * 60_000;
    let tracked = 0;
    while ((tracked = (await inflight(a)) + (await inflight(b))) < unfinished() || dispatchedHeld() < count) {
      if (Date.now() > reachDeadline)
        throw new Error(`restart-https: only ${tracked}/${count} runs in flight after 10 min (${dispatchedHeld()} dispatched)`);
      say(`restart-https: ${dispatchedHeld()} dispatched, ${tracked} in flight`);
      await sleep(2000);
    }
    await reportsDelivered([a, b], stack, held, 'restart-https', say);
    const fresh: SimPortRun[] = [];
    const publisher = (async () => {
      for (let tick = 0; publishing; tick++) {
        fresh.push(...queue(`hn${String(tick).padStart(4, '0')}`, 5, () => 30_000, tick * 5));
        await sleep(500);
      }
    })();

    const ghesBefore = stack.ghes.requests().length;
    const portBefore = stack.port.requests().length;
    const windowStart = Date.now();
    const inFlightAtStart = tracked;
    say(`restart-https: ${tracked} runs in flight; rolling update begins`);
    async function resumed(successor: CompiledAgent, spawnedAt: number): Promise<number> {
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const each = await Promise.all([...live].map(inflight));
        const sum = each.reduce((x, y) => x + y, 0);
        const active = unfinished();
        if (each.every((x) => x > 0) && sum >= active) return (Date.now() - spawnedAt) / 1000;
        if (Date.now() > deadline)
          throw new Error(
            `restart-https: runs not tracked again 10 min after ${successor.pid} started (${sum} tracked, ${active} unfinished)`,
          );
        await sleep(250);
      }
    }
    const resumeEachS: number[] = [];
    for (const old of [a, b]) {
      say(`restart-https: SIGTERM to replica ${old.pid}`);
      live.delete(old);
      await old.stop();
      const spawnedAt = Date.now();
      const successor = await start();
      agents.push(successor);
      await successor.waitReady();
      live.add(successor);
      resumeEachS.push(await resumed(successor, spawnedAt));
      say(
        `restart-https: successor ${successor.pid} ready ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s after start; every run tracked again after ${resumeEachS.at(-1)!.toFixed(1)} s`,
      );
    }
    const resumedAt = Date.now();
    say(`restart-https: counting requests for another ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const windowEnd = Date.now();
    publishing = false;
    await publisher;

    const githubByRoute = new Map<string, number>();
    let githubRequests = 0;
    for (const r of stack.ghes.requests().slice(ghesBefore)) {
      if (r.at > windowEnd || (r.method === 'POST' && /\/dispatches$/.test(r.route ?? ''))) continue;
      githubRequests++;
      const key = `${r.route ?? `${r.method} ${r.path}`}${r.status === 304 ? ' (304)' : ''}`;
      githubByRoute.set(key, (githubByRoute.get(key) ?? 0) + 1);
    }
    const portWindow = stack.port
      .requests()
      .slice(portBefore)
      .filter((r) => r.at <= windowEnd);
    const isFinal = (body: Record<string, unknown> | undefined) => typeof body?.status === 'string' && body.status !== 'IN_PROGRESS';
    const finishedInWindow = new Set<string>();
    for (const r of portWindow) {
      const id = RUN_PATH.exec(r.path)?.[1];
      if (id && r.method === 'PATCH' && isFinal(r.body as Record<string, unknown> | undefined)) finishedInWindow.add(id);
    }
    const portByRoute = new Map<string, number>();
    const readBeforeFinalLeftOut = new Set<string>();
    let portRequests = 0;
    let claimPolls = 0;
    let leaseRenewals = 0;
    let handOverWrites = 0;
    for (let i = portWindow.length - 1; i >= 0; i--) {
      const r = portWindow[i]!;
      const body = r.body as Record<string, unknown> | undefined;
      if (/claim-pending$/.test(r.route)) {
        claimPolls++;
        continue;
      }
      const m = RUN_PATH.exec(r.path);
      const id = m?.[1] ?? (/\/ack$/.test(r.route) ? String(body?.runId ?? body?.nodeRunIdentifier ?? '') : undefined);
      if (id !== undefined && !heldIds.has(id)) continue; // a new run's traffic
      if (id && finishedInWindow.has(id)) {
        if (r.method === 'PATCH' && isFinal(body)) continue;
        const message =
          typeof body?.message === 'string'
            ? body.message
            : Array.isArray(body?.logs)
              ? String((body.logs[0] as { message?: unknown })?.message ?? '')
              : '';
        if (m?.[2] && message.startsWith('Workflow completed')) continue;
        if (r.method === 'GET' && !readBeforeFinalLeftOut.has(id)) {
          readBeforeFinalLeftOut.add(id);
          continue;
        }
      }
      if (r.method === 'PATCH' && m && !m[2] && body && Object.keys(body).length === 0) {
        leaseRenewals++;
        continue;
      }
      // An action run's statusLabel; a node run's statusLabel.text (as Ocean sends it).
      const rawLabel = body?.statusLabel;
      const label = typeof rawLabel === 'object' && rawLabel !== null ? (rawLabel as Record<string, unknown>).text : rawLabel;
      if (r.method === 'PATCH' && m && typeof label === 'string' && label.startsWith('Handed over')) handOverWrites++;
      portRequests++;
      const key = `${r.method} ${r.route}${r.status === 429 ? ' (429)' : ''}`;
      portByRoute.set(key, (portByRoute.get(key) ?? 0) + 1);
    }
    const port429s = stack.port.requests().filter((r) => r.status === 429).length;
    const dispatchedAt = new Map(
      stack.ghes
        .dispatches()
        .filter((d) => d.status < 300)
        .map((d) => [String(d.inputs.port_run_id), d.at]),
    );
    const newLatencyMs = fresh
      .filter((r) => Date.parse(r.createdAt) <= resumedAt && dispatchedAt.has(r.id))
      .map((r) => dispatchedAt.get(r.id)! - Date.parse(r.createdAt))
      .sort((x, y) => x - y);
    say(
      `restart-https: window ${((windowEnd - windowStart) / 1000).toFixed(0)} s; ${githubRequests} GitHub and ${portRequests} Port requests counted; waiting for every run to finish`,
    );

    const v = await finalVerdict(stack, [...held, ...fresh], 'restart-https', say);
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
      newP50S: (newLatencyMs[Math.floor(newLatencyMs.length * 0.5)] ?? NaN) / 1000,
      newP99S: (newLatencyMs[Math.floor(newLatencyMs.length * 0.99)] ?? NaN) / 1000,
      completedInWindow: [...finishedInWindow].filter((id) => heldIds.has(id)).length,
      windowS: (windowEnd - windowStart) / 1000,
      duplicates: v.duplicates,
      lost: v.lost,
      githubByRoute,
      portByRoute,
      problems: v.problems.slice(0, 10),
      claimPolls,
      leaseRenewals,
      handOverWrites,
    };
  } catch (err) {
    for (const x of agents) process.stderr.write(`agent ${x.pid} output (last lines):\n${x.output().slice(-3000)}\n`);
    throw err;
  } finally {
    publishing = false;
    await Promise.all(agents.map((x) => x.stop()));
    await stack.close();
  }
}

/** The rows and JSON fields of the phase: phase "restart"'s, and what the window cost besides. */
export function restartHttpsReport(r: RestartHttpsResult) {
  return {
    rows: [
      ...restartRows(r, 'restart-https'),
      [
        `restart-https: not counted above (the window's steady cost)`,
        `${r.claimPolls} claim polls, ${r.leaseRenewals} lease renewals; counted: ${r.handOverWrites} hand-over writes`,
        '(measured)',
        '-',
      ],
    ],
    json: {
      ...restartJson(r, 'restart_https'),
      restart_https_hand_over_writes: r.handOverWrites,
      restart_https_lease_renewals: r.leaseRenewals,
    },
  };
}
