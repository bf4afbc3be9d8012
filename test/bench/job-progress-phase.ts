// Bench phase "job-progress": what insight.jobProgress costs in GitHub requests per run. The
// same runs (1–5 simulated minutes, two jobs each, batched watcher at the default pace) are
// tracked twice, each time on fresh simulators: with job progress off, then on. The difference
// per completed run is the cost (conditional jobs lists at the status sweep's pace while a run is
// in progress; a 304 when no job changed, which GitHub does not count against the rate limit).
import type { KafkaBrokerInfo } from '../stack/kafka-broker.js';
import type { LocalStack } from '../stack/local-stack.js';
import { BENCH_WORKFLOW, planRuns, publishRuns, startBenchStack } from './bench-stack.js';

type WithAgent = <T>(stack: LocalStack, overrides: Record<string, Record<string, unknown>>, fn: () => Promise<T>) => Promise<T>;
type Until = (
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs?: number,
  onTick?: () => void,
) => Promise<void>;

const JOBS = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs';

export interface JobProgressPass {
  jobProgress: boolean;
  completed: number;
  /** GitHub requests per completed run, dispatch POSTs excluded. */
  perRun: number;
  jobs200: number;
  jobs304: number;
  /** Job lines written to Port per run. */
  linesPerRun: number;
}

export async function jobProgressPhase(
  broker: KafkaBrokerInfo,
  count: number,
  opts: { timeScale: number; pollS: number; withAgent: WithAgent; until: Until; say: (line: string) => void },
): Promise<{ count: number; off: JobProgressPass; on: JobProgressPass; extraPerRun: number }> {
  const pass = async (jobProgress: boolean): Promise<JobProgressPass> => {
    const repos = 10;
    const stack = await startBenchStack(broker, { repos, timeScale: opts.timeScale });
    // Two jobs per run, each half of it: a start and an end line each.
    for (const name of stack.repoNames) {
      stack.ghes.addWorkflow(stack.ghOrg, name, {
        path: BENCH_WORKFLOW,
        runName: 'Bench ${{ inputs.port_run_id }}',
        inputs: { port_run_id: { required: false }, duration_ms: { required: true }, queued_ms: { required: false } },
        script: (d) => ({
          conclusion: 'success',
          queuedMs: Number(d.inputs.queued_ms ?? 0),
          durationMs: Number(d.inputs.duration_ms),
          jobs: [{ name: 'build' }, { name: 'deploy' }],
        }),
      });
    }
    const intervalS = opts.pollS / opts.timeScale;
    return opts.withAgent(stack, { tracking: { pollIntervalSeconds: intervalS }, insight: { jobProgress } }, async () => {
      const before = stack.ghes.requests().length;
      const runs = planRuns(
        jobProgress ? 'jp' : 'jo',
        count,
        stack.repoNames,
        (i) => 60_000 + ((i * 7919) % count) * (240_000 / count),
        5_000,
      );
      await publishRuns(stack, runs);
      opts.say(`job progress ${jobProgress ? 'on' : 'off'}: ${count} runs over ${repos} repositories`);
      const final = () => runs.filter((r) => stack.port.getRun(r.id)?.status !== 'IN_PROGRESS').length;
      await opts.until(
        `job progress ${jobProgress}: every run reported`,
        () => final() >= count,
        (300_000 / opts.timeScale) * 4 + 120_000,
        1000,
      );
      const requests = stack.ghes
        .requests()
        .slice(before)
        .filter((r) => !(r.method === 'POST' && /\/dispatches$/.test(r.route ?? '')));
      const completed = runs.filter((r) => stack.port.getRun(r.id)?.status === 'SUCCESS').length;
      const jobs = requests.filter((r) => r.route === JOBS);
      const lines = runs.reduce((n, r) => n + (stack.port.getRun(r.id)?.logs.filter((l) => l.message.startsWith('Job "')).length ?? 0), 0);
      return {
        jobProgress,
        completed,
        perRun: requests.length / completed,
        jobs200: jobs.filter((r) => r.status === 200).length,
        jobs304: jobs.filter((r) => r.status === 304).length,
        linesPerRun: lines / completed,
      };
    });
  };
  const off = await pass(false);
  const on = await pass(true);
  return { count, off, on, extraPerRun: on.perRun - off.perRun };
}
