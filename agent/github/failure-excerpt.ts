import { toAgentError } from '../errors.js';
import type { FetchFn } from '../util/http-fetch.js';
import type { WorkflowJob } from './run-insight-api.js';
import { lineLink, lineName, stripControls } from './safe-text.js';

/** What a failed run brings back to Port: a line per failed job, and the excerpt for its summary. */
export interface FailureExcerpt {
  /** One per failed job (its failed step and link); at most MAX_JOB_LINES, then a count. */
  jobLines: string[];
  /** The last lines of the first failed step's log, ready for the run's summary; absent when it could not be read. */
  excerpt?: { job: string; step: string; text: string };
  /** Why the excerpt is missing, when it is (for the agent's log and the metric); `refused`: the log's storage host is not accepted (log-archive-rules.ts). */
  outcome: 'ok' | 'no_failed_job' | 'no_log' | 'error' | 'timeout' | 'refused';
  error?: string;
}

export interface ExcerptSettings {
  lines: number;
  maxBytes: number;
  /** The download stops after this many bytes of log. */
  logMaxBytes: number;
  timeoutMs: number;
}

export interface ExcerptDeps {
  api: {
    listJobs(owner: string, repo: string, runId: number, etag?: string, signal?: AbortSignal): Promise<{ jobs: WorkflowJob[] } | undefined>;
    jobLogLocation(owner: string, repo: string, jobId: number, signal?: AbortSignal): Promise<string>;
  };
  /**
   * Fetches the log from blob storage: never carries the GHES credentials (its own CA and proxy
   * settings: github.caFile and the proxy variables), and refuses a host or address it must not
   * read from with AgentError 'policy' (log-archive-fetch.ts).
   */
  storageFetch: FetchFn;
  /** The agent's secret scrubbing (GitHub already masks the workflow's secrets as ***). */
  scrub: (text: string) => string;
  settings: ExcerptSettings;
}

const FAILED = new Set(['failure', 'timed_out', 'startup_failure']);
const MAX_JOB_LINES = 10;

/**
 * The failed jobs of a completed run, and the tail of the first failed step's log: one jobs
 * request, one log-location request, one download from blob storage, all within
 * `settings.timeoutMs`. Never throws: what could not be read is left out, so a failure here
 * never changes the run's final status, and its time is bounded.
 */
export async function fetchFailureExcerpt(
  deps: ExcerptDeps,
  run: { owner: string; repo: string; runId: number },
  signal?: AbortSignal,
): Promise<FailureExcerpt> {
  // A timer of our own, not AbortSignal.timeout: that one is unref'd and cleared only when it fires.
  const timeout = new AbortController();
  const timer = timeout.signal;
  const handle = setTimeout(() => timeout.abort(new Error('timeout')), deps.settings.timeoutMs);
  const bound = signal ? AbortSignal.any([signal, timer]) : timer;
  let jobLines: string[] = [];
  try {
    const listed = await race(deps.api.listJobs(run.owner, run.repo, run.runId, undefined, bound), bound);
    const failed = (listed?.jobs ?? []).filter((j) => j.conclusion !== null && FAILED.has(j.conclusion));
    jobLines = describeFailedJobs(failed);
    const first = failed.find((j) => failedStep(j) !== undefined) ?? failed[0];
    if (!first) return { jobLines, outcome: 'no_failed_job' };
    const step = failedStep(first);
    const location = await race(deps.api.jobLogLocation(run.owner, run.repo, first.id, bound), bound);
    const log = await race(readCapped(deps.storageFetch, location, deps.settings.logMaxBytes, bound), bound);
    // What the steps printed is the workflow author's: no terminal escapes or controls reach Port.
    const lines = stepLines(stripControls(log), step);
    if (lines.length === 0) return { jobLines, outcome: 'no_log' };
    const text = deps.scrub(tail(lines, deps.settings.lines, deps.settings.maxBytes));
    return { jobLines, excerpt: { job: first.name, step: step?.name ?? first.name, text }, outcome: 'ok' };
  } catch (raw) {
    const timedOut = timer.aborted && !signal?.aborted;
    if (timedOut) return { jobLines, outcome: 'timeout', error: `took longer than ${deps.settings.timeoutMs} ms` };
    const err = toAgentError(raw);
    return { jobLines, outcome: err.code === 'policy' ? 'refused' : 'error', error: err.message };
  } finally {
    clearTimeout(handle);
  }
}

/** "Failed job "test", step "Run tests": <link>" per failed job; names and link as safe-text.ts makes them. */
export function describeFailedJobs(failed: WorkflowJob[]): string[] {
  const lines = failed.slice(0, MAX_JOB_LINES).map((j) => {
    const step = failedStep(j);
    return `Failed job "${lineName(j.name)}"${step ? `, step "${lineName(step.name)}"` : ''} (${lineName(j.conclusion)}): ${lineLink(j.html_url)}`.trimEnd();
  });
  if (failed.length > MAX_JOB_LINES) lines.push(`… and ${failed.length - MAX_JOB_LINES} more failed jobs`);
  return lines;
}

export function failedStep(job: WorkflowJob): WorkflowJob['steps'][number] | undefined {
  return job.steps?.find((s) => s.conclusion !== null && FAILED.has(s.conclusion));
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ?/;

/**
 * The log lines written during `step`: each line of a job log starts with its timestamp, and
 * steps report theirs to the second (so the window reaches a second past the step's end).
 * Without a step, or when no line falls in its window, the log's last lines stand in.
 */
export function stepLines(log: string, step: { started_at: string | null; completed_at: string | null } | undefined): string[] {
  const all = log.split(/\r?\n/).filter((l) => l.length > 0);
  const from = step?.started_at ? Date.parse(step.started_at) : NaN;
  const to = step?.completed_at ? Date.parse(step.completed_at) + 1000 : NaN;
  const unstamped = (line: string) => line.replace(STAMP, '');
  const clean = (line: string) => line.replace(/^##\[error\]/, 'Error: ');
  const noise = (line: string) => /^##\[(group|endgroup)\]/.test(line);
  let window: string[] = [];
  if (Number.isFinite(from) && Number.isFinite(to)) {
    window = all
      .filter((line) => {
        const m = STAMP.exec(line);
        const at = m ? Date.parse(m[1]!) : NaN;
        return at >= from && at <= to;
      })
      .map(unstamped);
  }
  if (window.length === 0) window = all.map(unstamped);
  // Steps shorter than the second-precision window share it with their neighbours: the runner
  // opens every step with "##[group]Run …" and a failing one ends with "##[error]…", so the
  // failed step is the last opening at or before its last error, through that error.
  const lastError = lastIndex(window, window.length, (l) => l.startsWith('##[error]'));
  const end = lastError >= 0 ? lastError + 1 : window.length;
  const start = Math.max(
    0,
    lastIndex(window, end, (l) => l.startsWith('##[group]Run ')),
  );
  return window
    .slice(start, end)
    .filter((l) => !noise(l))
    .map(clean);
}

function lastIndex(lines: string[], before: number, test: (l: string) => boolean): number {
  for (let i = before - 1; i >= 0; i--) if (test(lines[i]!)) return i;
  return -1;
}

/** The last `lines` lines, within `maxBytes` (UTF-8), the newest kept. */
export function tail(lines: string[], maxLines: number, maxBytes: number): string {
  const kept: string[] = [];
  let bytes = 0;
  for (let i = lines.length - 1; i >= 0 && kept.length < maxLines; i--) {
    const line = lines[i]!.length > 500 ? `${lines[i]!.slice(0, 500)}…` : lines[i]!;
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > maxBytes) break;
    kept.unshift(line);
    bytes += size;
  }
  return kept.join('\n');
}

/** Downloads at most `maxBytes` of the log, with no credentials: the signed URL is the only key. */
async function readCapped(fetch: FetchFn, url: string, maxBytes: number, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { method: 'GET', headers: { accept: 'text/plain' }, signal });
  if (!res.ok) {
    await res.body.dump().catch(() => undefined);
    throw new Error(`the log storage answered ${res.status}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk;
    chunks.push(size + b.length > maxBytes ? b.subarray(0, maxBytes - size) : b);
    size += b.length;
    if (size >= maxBytes) {
      res.body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Rejects when `signal` aborts even if `p` does not listen to it. */
function race<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
