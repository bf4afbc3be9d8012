// `make bench`, HTTPS intake at rest: an installation with nothing to run, the agent claiming
// with its default settings (portApi.claimIntervalSeconds 10, Ocean's poll interval; both kinds
// claimed). Counts the claim-pending requests Port receives over a window after ready and gives
// them per hour (issue 24: at most 400; Ocean sends 720, both kinds every 10 s: port-ocean 0.56.2
// execution_manager.py _poll_action_runs, actions_and_workflow_runs.py claim_pending_runs).
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import { startBenchStack } from './bench-stack.js';
import type { WithAgent } from './phase.js';

export interface IdleClaimsResult {
  windowS: number;
  claims: number;
  perHour: number;
  byRoute: Map<string, number>;
}

/** The window: BENCH_IDLE_WINDOW_S (default 300 s; a shorter one rounds to the interval). */
export const idleWindowS = (env: NodeJS.ProcessEnv = process.env) => Math.max(20, Number(env.BENCH_IDLE_WINDOW_S ?? 300) || 300);

export async function portApiIdlePhase(
  broker: KafkaBrokerInfo,
  withAgent: WithAgent,
  say: (line: string) => void,
): Promise<IdleClaimsResult> {
  const stack = await startBenchStack(broker, { repos: 1, timeScale: 1 });
  const windowS = idleWindowS();
  say(`port-api-idle: no runs in Port; counting the agent's claims for ${windowS} s after ready (default claim settings)`);
  return withAgent(stack, { kafka: { enabled: false }, portApi: { enabled: true } }, async () => {
    const from = Date.now();
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const to = Date.now();
    const byRoute = new Map<string, number>();
    for (const r of stack.port.requests()) {
      if (r.at < from || r.at >= to || !r.route.endsWith('/claim-pending')) continue;
      byRoute.set(r.route, (byRoute.get(r.route) ?? 0) + 1);
    }
    const claims = [...byRoute.values()].reduce((a, b) => a + b, 0);
    return { windowS: (to - from) / 1000, claims, perHour: (claims * 3600) / ((to - from) / 1000), byRoute };
  });
}
