// A local stack shaped for the benchmark: many repositories with one workflow whose run
// length comes from an input, and a publisher that writes thousands of signed Port runs.
import type { GhesSimOptions } from '../sim/ghes/types.js';
import type { PortSimOptions } from '../sim/port/types.js';
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import { type LocalStack, startLocalStack } from '../stack/local-stack.js';
import { buildRunMessage, signRunMessage } from '../sim/publisher.js';

export const BENCH_WORKFLOW = 'bench.yml';

export interface BenchRun {
  id: string;
  repo: string;
  /** Simulated run length (ms) after a short queue. */
  durationMs: number;
  queuedMs: number;
  publishedAt?: number;
}

export async function startBenchStack(
  broker: KafkaBrokerInfo,
  opts: { repos: number; timeScale: number; partitions?: number; ghes?: GhesSimOptions; port?: Partial<PortSimOptions> },
): Promise<LocalStack & { repoNames: string[] }> {
  // No x-poll-interval: its real seconds would floor the time-scaled poll intervals of the tracking phases.
  const stack = await startLocalStack({
    broker,
    partitions: opts.partitions ?? 6,
    port: opts.port,
    ghes: { version: '3.21.0', timeScale: opts.timeScale, runAppearDelayMs: 0, pollIntervalS: 0, ...opts.ghes },
  });
  const repoNames: string[] = [];
  for (let i = 0; i < opts.repos; i++) {
    const name = `svc-${String(i).padStart(2, '0')}`;
    repoNames.push(name);
    stack.ghes.addRepo({ owner: stack.ghOrg, name, defaultBranch: 'main' });
    stack.ghes.addWorkflow(stack.ghOrg, name, {
      path: BENCH_WORKFLOW,
      runName: 'Bench ${{ inputs.port_run_id }}',
      inputs: { port_run_id: { required: false }, duration_ms: { required: true }, queued_ms: { required: false } },
      script: (d) => ({ conclusion: 'success', queuedMs: Number(d.inputs.queued_ms ?? 0), durationMs: Number(d.inputs.duration_ms) }),
    });
  }
  return { ...stack, repoNames };
}

/** Creates the runs in the Port simulator and publishes their messages, `batch` per send, stamping each with the send time. */
export async function publishRuns(stack: LocalStack, runs: BenchRun[], batch = 500): Promise<void> {
  for (let i = 0; i < runs.length; i += batch) {
    const slice = runs.slice(i, i + batch);
    const now = Date.now();
    const messages = slice.map((r) => {
      const run = stack.port.createRun({
        runId: r.id,
        invocation: {
          type: 'GITHUB',
          org: stack.ghOrg,
          repo: r.repo,
          workflow: BENCH_WORKFLOW,
          workflowInputs: { duration_ms: String(r.durationMs), queued_ms: String(r.queuedMs) },
        },
      });
      r.publishedAt = now;
      return {
        key: run.id,
        value: JSON.stringify(signRunMessage(buildRunMessage({ orgId: stack.port.orgId, run }), stack.port.clientSecret)),
        timestamp: String(now),
      };
    });
    await stack.producer.send({ topic: stack.topic, messages });
  }
}

/** `count` runs spread over the repositories round-robin, durations from `duration(i)`. */
export function planRuns(prefix: string, count: number, repos: string[], duration: (i: number) => number, queuedMs = 0): BenchRun[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `r_${prefix}${String(i).padStart(7, '0')}`,
    repo: repos[i % repos.length]!,
    durationMs: duration(i),
    queuedMs,
  }));
}
