// Jobs and steps of a run attempt, and each job's log, from its script (types.ts JobScript).
// Shapes: GitHub's OpenAPI description of `job` (ghes-3.19.json, components/schemas/job): a job
// is queued until a runner takes it, then in_progress with its steps appearing as they start,
// then completed; a step after a failed one is skipped (GitHub's default `if: success()`).
// Job logs: "Download job logs for a workflow run" answers 302 with a Location on blob storage
// (same description, responses: 302 only); each log line starts with its ISO timestamp, steps
// open with `##[group]Run …`, a failing step ends with `##[error]Process completed with exit
// code 1.` (the runner's own wording, as seen in any public Actions log).
import type { SimClock } from './clock.js';
import { phaseAt } from './lifecycle.js';
import type { Attempt, RunRecord } from './state.js';
import type { Conclusion, JobScript } from './types.js';

export interface StepView {
  name: string;
  number: number;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  startedAtMs: number | null;
  completedAtMs: number | null;
  log: string[];
}

export interface JobView {
  id: number;
  index: number;
  name: string;
  /** queued, in_progress, completed; before the run starts, the run's own status. */
  status: string;
  conclusion: string | null;
  createdAtMs: number;
  startedAtMs: number | null;
  completedAtMs: number | null;
  steps: StepView[];
}

/** Stable per run, attempt and job: the first job keeps the id the single-job model used. */
export const jobIdOf = (runId: number, attempt: number, index: number): number => runId * 1000 + index * 100 + attempt;

const DEFAULT_JOBS: JobScript[] = [{ name: 'run', steps: [{ name: 'Run workflow' }] }];

/** Where every job of `attempt` stands now. Jobs exist once the run left the queue (waiting or running). */
export function jobsOf(clock: SimClock, run: RunRecord, attempt: Attempt): JobView[] {
  const s = attempt.script;
  const scripts = s.jobs && s.jobs.length > 0 ? s.jobs : DEFAULT_JOBS;
  const elapsed = clock.simElapsedSince(attempt.startedAtMs);
  // Before the run starts its jobs share its status (requested, pending, queued, waiting).
  const before = phaseAt(s, elapsed).status;
  const waitingStatus = before === 'in_progress' || before === 'completed' ? 'queued' : before;
  const inProgressAt = s.queuedMs + s.waitingMs;
  const share = s.durationMs / scripts.length;
  const cut = attempt.cut?.atSimMs ?? Infinity;
  const real = (sim: number): number => Math.round(clock.realAt(attempt.startedAtMs, sim));
  return scripts.map((job, index) => {
    const start = inProgressAt + index * share;
    const end = start + share;
    const steps = job.steps && job.steps.length > 0 ? job.steps : [{ name: 'Run workflow' }];
    const stepShare = share / steps.length;
    const failedAt = steps.findIndex((st) => st.conclusion === 'failure');
    const scripted: Conclusion = failedAt >= 0 ? 'failure' : index === scripts.length - 1 ? s.conclusion : 'success';
    const base = { id: jobIdOf(run.id, attempt.number, index), index, name: job.name, createdAtMs: attempt.startedAtMs };
    if (start >= cut && elapsed >= cut)
      return {
        ...base,
        status: 'completed',
        conclusion: attempt.cut!.conclusion,
        startedAtMs: real(cut),
        completedAtMs: real(cut),
        steps: [],
      };
    if (elapsed < start) return { ...base, status: waitingStatus, conclusion: null, startedAtMs: null, completedAtMs: null, steps: [] };
    const until = Math.min(end, cut);
    const done = elapsed >= until;
    const stepViews: StepView[] = [];
    steps.forEach((st, i) => {
      const sStart = start + i * stepShare;
      if (sStart > elapsed || sStart > until) return;
      const sEnd = Math.min(sStart + stepShare, until);
      const skipped = failedAt >= 0 && i > failedAt;
      const stepDone = elapsed >= sEnd;
      const cutHere = sEnd === cut && sEnd < sStart + stepShare;
      stepViews.push({
        name: st.name,
        number: i + 1,
        status: stepDone ? 'completed' : 'in_progress',
        conclusion: !stepDone ? null : skipped ? 'skipped' : cutHere ? 'cancelled' : (st.conclusion ?? 'success'),
        startedAtMs: real(sStart),
        completedAtMs: stepDone ? real(sEnd) : null,
        log: skipped
          ? []
          : [...(st.log ?? [`${st.name}: ok`]), ...(st.conclusion === 'failure' ? ['##[error]Process completed with exit code 1.'] : [])],
      });
    });
    const conclusion = !done ? null : until === cut && cut < end ? attempt.cut!.conclusion : scripted;
    return {
      ...base,
      status: done ? 'completed' : 'in_progress',
      conclusion,
      startedAtMs: real(start),
      completedAtMs: done ? real(until) : null,
      steps: stepViews,
    };
  });
}

/** The job's log as the runner uploads it: every line timestamped within its step. */
export function jobLog(job: JobView): string {
  const out: string[] = [];
  const stamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000Z');
  out.push(`${stamp(job.startedAtMs ?? job.createdAtMs)} Requested labels: self-hosted`);
  for (const st of job.steps) {
    if (st.conclusion === 'skipped' || st.startedAtMs === null) continue;
    const end = st.completedAtMs ?? st.startedAtMs;
    out.push(`${stamp(st.startedAtMs)} ##[group]Run ${st.name}`);
    out.push(`${stamp(st.startedAtMs)} ##[endgroup]`);
    st.log.forEach((line, i) => out.push(`${stamp(st.startedAtMs! + ((end - st.startedAtMs!) * (i + 1)) / (st.log.length + 1))} ${line}`));
  }
  out.push(`${stamp(job.completedAtMs ?? job.startedAtMs ?? job.createdAtMs)} Cleaning up orphan processes`);
  return `${out.join('\n')}\n`;
}
