import { type ExcerptSettings, fetchFailureExcerpt } from '../github/failure-excerpt.js';
import type { PendingDeployment, WorkflowJob } from '../github/run-insight-api.js';
import { fenced, lineName, markdownName } from '../github/safe-text.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import type { FetchFn } from '../util/http-fetch.js';
import type { JobReadPacer } from './job-read-pacer.js';

/** The GHES run a Port run follows. */
export interface InsightRun {
  portRunId: string;
  org: string;
  repo: string;
  ghRunId: number;
  htmlUrl: string;
}

export interface InsightSettings {
  jobProgress: boolean;
  approvals: boolean;
  failureExcerpt: boolean;
  excerpt: ExcerptSettings;
}

/** What a tracked run hands the watcher: status changes and sweeps in, Port log lines out. */
export interface InsightHooks {
  onStatus(status: string): void;
  /** The status sweep's pace, while the run is in progress: job progress is read here. */
  onSweep: () => void;
}

export interface RunInsight {
  /**
   * `resumed`: the run was followed before, by this agent's previous life or another replica,
   * which logged its jobs so far: a job that started or ended before this call gets no line
   * (issue 15: a rolling update would otherwise log every running job's "started" line again, a
   * Port request per run), and no read is spent only to learn that. GHES stamps the jobs with its
   * clock: a clock skew of s seconds can drop or repeat the line of a job that changed within s
   * seconds of the resumption.
   */
  follow(run: InsightRun, say: (line: string) => void, signal: AbortSignal, opts?: { resumed?: boolean }): InsightHooks;
  /** The failed jobs and the failed step's last lines, for a run that completed in failure; never throws. */
  onFailure(run: InsightRun, signal: AbortSignal): Promise<{ lines: string[]; summary?: string }>;
}

export interface InsightDeps {
  api: {
    listJobs(
      owner: string,
      repo: string,
      runId: number,
      etag?: string,
      signal?: AbortSignal,
    ): Promise<{ jobs: WorkflowJob[]; etag?: string } | undefined>;
    jobLogLocation(owner: string, repo: string, jobId: number, signal?: AbortSignal): Promise<string>;
    pendingDeployments(owner: string, repo: string, runId: number, signal?: AbortSignal): Promise<PendingDeployment[]>;
  };
  storageFetch: FetchFn;
  scrub: (text: string) => string;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  settings: InsightSettings;
  /** Job progress's budget of jobs lists, shared by every run (job-read-pacer.ts). */
  jobReads: JobReadPacer;
}

/**
 * Tells the user where a run is and why it failed, at a bounded cost in GitHub requests:
 * job progress is one conditional jobs list per run per status sweep while it is in progress
 * (a 304 when no job changed), all runs together within `insight.jobReadsPerMinute`; approvals
 * one pending_deployments read per waiting run, and a failure one jobs list, one log location
 * and one download from blob storage.
 */
export function createRunInsight(deps: InsightDeps): RunInsight {
  const { settings } = deps;
  const log = deps.logger.child({ component: 'insight' });

  return {
    follow(run, say, signal, opts = {}) {
      let etag: string | undefined;
      const quietBeforeMs = opts.resumed === true ? deps.clock.now() : undefined;
      const seen = new Map<number, string>();
      let reading = false;
      let approvalsTold = false;
      return {
        onStatus(status) {
          if (status !== 'waiting' || approvalsTold || !settings.approvals) return;
          approvalsTold = true;
          void deps.api
            .pendingDeployments(run.org, run.repo, run.ghRunId, signal)
            .then((pending) => {
              if (pending.length > 0) say(approvalLine(pending, run.htmlUrl));
            })
            .catch((err: unknown) =>
              log.warn('reading pending deployments failed', { runId: run.portRunId, error: (err as Error).message }),
            );
        },
        onSweep() {
          if (!settings.jobProgress || reading || signal.aborted) return;
          reading = true;
          const read = () =>
            void deps.api
              .listJobs(run.org, run.repo, run.ghRunId, etag, signal)
              .then((res) => {
                if (!res) return;
                etag = res.etag;
                for (const line of progressLines(seen, res.jobs, quietBeforeMs)) say(line);
              })
              .catch((err: unknown) =>
                log.debug('reading job progress failed; next sweep reads again', { runId: run.portRunId, error: (err as Error).message }),
              )
              .finally(() => {
                reading = false;
              });
          // Waiting for its turn until the run ends: then no read (and the next follow starts afresh).
          deps.jobReads.enqueue(run.portRunId, read, signal);
        },
      };
    },

    async onFailure(run, signal) {
      if (!settings.failureExcerpt) return { lines: [] };
      const found = await fetchFailureExcerpt(
        { api: deps.api, storageFetch: deps.storageFetch, scrub: deps.scrub, settings: settings.excerpt },
        { owner: run.org, repo: run.repo, runId: run.ghRunId },
        signal,
      );
      deps.metrics.failureExcerpts.inc({ outcome: found.outcome });
      if (found.error)
        log.warn(`no failure excerpt for run ${run.portRunId}: ${found.error}`, { runId: run.portRunId, outcome: found.outcome });
      const lines = found.jobLines.map(deps.scrub);
      if (!found.excerpt) return { lines };
      // Markdown in Port: the names escaped, the log in a fence its text cannot close (safe-text.ts).
      const summary = `Failed: job "${markdownName(found.excerpt.job)}", step "${markdownName(found.excerpt.step)}". Last lines of its log:\n\n${fenced(found.excerpt.text)}`;
      return { lines, summary };
    },
  };
}

/** "Waiting for approval: environment production (reviewers: bob, @acme/platform). Review: <url>"; names from GHES made safe (safe-text.ts). */
export function approvalLine(pending: PendingDeployment[], htmlUrl: string): string {
  const envs = pending.map(
    (p) =>
      `${lineName(p.environment)} (reviewers: ${p.reviewers.length > 0 ? p.reviewers.map(lineName).join(', ') : 'none named: anyone with write access'})`,
  );
  return `Waiting for approval: ${pending.length > 1 ? 'environments' : 'environment'} ${envs.join('; ')}. Review: ${htmlUrl}`;
}

/**
 * Lines for the jobs that started or ended since `seen` (job id → last status), which is updated.
 * `quietBeforeMs`: a job that started (or ended) before it is recorded without a line (a resumed
 * run: its previous follower logged it).
 */
export function progressLines(seen: Map<number, string>, jobs: WorkflowJob[], quietBeforeMs?: number): string[] {
  const lines: string[] = [];
  for (const job of jobs) {
    const before = seen.get(job.id);
    if (before === job.status) continue;
    seen.set(job.id, job.status);
    const changedAt = Date.parse((job.status === 'completed' ? job.completed_at : job.started_at) ?? '');
    if (quietBeforeMs !== undefined && Number.isFinite(changedAt) && changedAt < quietBeforeMs) continue;
    // The job's name is the workflow author's (safe-text.ts).
    if (job.status === 'in_progress' && before !== 'in_progress') lines.push(`Job "${lineName(job.name)}" started`);
    else if (job.status === 'completed')
      lines.push(`Job "${lineName(job.name)}" ${lineName(job.conclusion ?? 'completed')}${durationOf(job)}`);
  }
  return lines;
}

function durationOf(job: WorkflowJob): string {
  const ms = job.started_at && job.completed_at ? Date.parse(job.completed_at) - Date.parse(job.started_at) : NaN;
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  return ` in ${s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`}`;
}
