// `make bench`, HTTPS intake: runs of the GitHub Ocean backend (and workflow-node runs) waiting in
// Port's queue for the agent to claim; the agent runs with the HTTPS intake alone (no Kafka).
// Measures claimed runs dispatched per second, and the requests to Port per run besides the
// reports (claims, acknowledgements, run reads, orphan look-ups, auth, the integration record).
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import { BENCH_WORKFLOW, planRuns, startBenchStack } from './bench-stack.js';
import type { CompiledAgent } from './compiled-agent.js';
import { type CpuShare, perUnit } from './phase.js';

/** The routes that carry reports (the run's link, log lines, statuses, lease renewals): not counted. */
const REPORT_ROUTES = new Set([
  '/v1/actions/runs/:id PATCH',
  '/v1/actions/runs/:id/logs POST',
  '/v1/workflows/nodes/runs/:id PATCH',
  '/v1/workflows/nodes/runs/:id/logs POST',
]);

export interface PortApiResult {
  count: number;
  perS: number;
  fromReadyS: number;
  completed: number;
  requestsPerRun: number;
  byRoute: Map<string, number>;
  /** CPU ms per claimed run dispatched, between ready and the last dispatch. */
  cpu: CpuShare;
}

export async function portApiPhase(
  broker: KafkaBrokerInfo,
  count: number,
  withAgent: <T>(
    stack: LocalStack,
    overrides: Record<string, Record<string, unknown>>,
    fn: (agent: CompiledAgent) => Promise<T>,
  ) => Promise<T>,
  until: (what: string, done: () => boolean, timeoutMs: number, everyMs?: number, onTick?: () => void) => Promise<void>,
  say: (line: string) => void,
  meterCpu: (agent: CompiledAgent) => { stop(): CpuShare },
): Promise<PortApiResult> {
  const stack = await startBenchStack(broker, { repos: 50, timeScale: 1 });
  // Minute-long runs (tracking stays light while the backlog is dispatched), one in five a workflow-node run, over ten actions: all queued before the agent starts.
  const runs = planRuns('pa', count, stack.repoNames, () => 60_000).map((r, i) =>
    stack.createIntegrationRun(
      { org: stack.ghOrg, repo: r.repo, workflow: BENCH_WORKFLOW, workflowInputs: { duration_ms: String(r.durationMs), queued_ms: '0' } },
      { kind: i % 5 === 4 ? 'workflow-node' : 'action', actionIdentifier: `action_${i % 10}` },
    ),
  );
  say(`port-api: ${count} runs queued in Port for installation ghes-agent; starting the agent (HTTPS intake only)`);
  const overrides = {
    kafka: { enabled: false },
    portApi: { enabled: true },
    tracking: { pollIntervalSeconds: 10 },
    limits: { maxInflightRuns: count + 1000 },
  };
  return withAgent(stack, overrides, async (agent) => {
    const readyAt = Date.now();
    const meter = meterCpu(agent);
    const before = stack.ghes.dispatches().length;
    const dispatched = () => stack.ghes.dispatches().filter((d) => d.status === 200 || d.status === 204);
    await until(
      'dispatching the claimed runs',
      () => dispatched().length >= count,
      10 * 60_000,
      500,
      () => say(`port-api: ${dispatched().length}/${count} dispatched`),
    );
    const cpu = perUnit(meter.stop(), stack.ghes.dispatches().length - before);
    const at = dispatched().map((d) => d.at);
    const first = Math.min(...at);
    const last = Math.max(...at);
    if (process.env.BENCH_ONLY) {
      // Where a run's time goes, from the simulators' logs: label → dispatch → link → ack.
      const first = new Map<string, Record<string, number>>();
      for (const r of stack.port.requests()) {
        const b = r.body as { runId?: string; nodeRunIdentifier?: string } | undefined;
        const id = /\/(r_[A-Za-z0-9]+|wfnr_[A-Za-z0-9]+)/.exec(r.path)?.[1] ?? b?.runId ?? b?.nodeRunIdentifier;
        if (!id) continue;
        const e = first.get(id) ?? {};
        const k = r.route.endsWith('/ack') ? 'ack' : `${r.method} ${r.route.includes('logs') ? 'log' : 'run'}`;
        e[k] ??= r.at;
        first.set(id, e);
      }
      const gh = new Map(stack.ghes.dispatches().map((d) => [String(d.inputs.port_run_id), d.at]));
      const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
      const stage = (name: string, f: (e: Record<string, number>, id: string) => number | undefined) => {
        const xs = [...first].map(([id, e]) => f(e, id)).filter((x): x is number => x !== undefined && Number.isFinite(x));
        say(`port-api stage ${name}: p50 ${pct(xs, 0.5)} ms, p90 ${pct(xs, 0.9)} ms (${xs.length})`);
      };
      stage('ready → label', (e) => (e['PATCH run'] === undefined ? undefined : e['PATCH run'] - readyAt));
      stage('label → dispatch', (e, id) => (e['PATCH run'] === undefined ? undefined : gh.get(id)! - e['PATCH run']));
      stage('dispatch → ack', (e, id) => (e.ack === undefined ? undefined : e.ack - gh.get(id)!));
    }
    const final = () => runs.filter((r) => stack.port.getRun(r.id)?.status !== 'IN_PROGRESS').length;
    await until(
      'every claimed run reported',
      () => final() >= count,
      5 * 60_000,
      1000,
      () => say(`port-api: ${final()}/${count} reported`),
    );
    const byRoute = new Map<string, number>();
    let counted = 0;
    for (const r of stack.port.requests()) {
      const key = `${r.route} ${r.method}`;
      if (REPORT_ROUTES.has(key)) continue;
      counted++;
      byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
    }
    return {
      count,
      perS: count / ((last - first) / 1000),
      fromReadyS: (last - readyAt) / 1000,
      completed: final(),
      requestsPerRun: counted / final(),
      byRoute,
      cpu,
    };
  });
}
