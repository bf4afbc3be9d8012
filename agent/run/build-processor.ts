import type { AgentConfig } from '../config/schema.js';
import type { GithubParts } from '../github/build-github.js';
import type { Logger, SecretScrubber } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortParts } from '../port/build-port.js';
import { type Reporter, createReporter } from '../port/reporter.js';
import type { RunWatcher } from '../tracking/run-watcher.js';
import type { Clock } from '../util/backoff.js';
import { Semaphore } from '../util/semaphore.js';
import type { StopList } from '../util/stop-list.js';
import { createJobReadPacer } from './job-read-pacer.js';
import { createOrgRouting } from './org-routing.js';
import { createPortEndWatch } from './port-end-watch.js';
import { type MessageProcessor, createMessageProcessor } from './process-message.js';
import { createResumeLocator } from './resume-locator.js';
import { processorSettings } from './processor-deps.js';
import { createRunCancellation } from './run-cancellation.js';
import { createRunInsight } from './run-insight.js';

export interface ProcessorParts {
  processor: MessageProcessor;
  /** Port's reports of every run, in order per run: the intakes queue to it too. */
  reporter: Reporter;
  /** The dispatch stage's size: the claim intake's room and fairness are measured against it. */
  dispatchSlots: number;
}

/** At a stop, how long the reporter may deliver what the intakes left (reports of no partition or claim). */
const LAST_DRAIN_MS = 2000;

/**
 * The processor and what it reports and paces with: the reporter, the end watch of runs ended
 * in Port, the job-read budget, run insight and cancellation, from `tracking.*`, `insight.*`
 * and `github.*`. Adds the stops of its paced readers and of the reporter (drained first).
 */
export function buildProcessor(
  config: AgentConfig,
  deps: {
    port: PortParts;
    github: GithubParts;
    watcher: RunWatcher;
    /** The reporter tells of every PATCH Port accepted: the claim intake renews that run's lease by it. */
    onPatchDelivered: (runId: string) => void;
    secrets: SecretScrubber;
    clock: Clock;
    metrics: Metrics;
    logger: Logger;
    stops: StopList;
  },
): ProcessorParts {
  const { github, watcher, clock, metrics, logger, stops } = deps;
  const { api } = github;
  const port = deps.port.client;
  const t = config.tracking;
  const insight = config.insight;
  // Job progress's jobs lists, all runs together within a budget (issue 15).
  const jobReads = createJobReadPacer({ perMinute: insight.jobReadsPerMinute, clock });
  stops.add(() => jobReads.stop());
  // Runs ended in Port while their GHES run goes on (issue 13): paced reads of their records.
  const endWatch = createPortEndWatch({
    port,
    clock,
    logger,
    metrics,
    checkMs: t.portCheckSeconds * 1000,
    perMinute: t.portChecksPerMinute,
  });
  stops.add(() => endWatch.stop());
  const reporter = createReporter({
    port,
    clock,
    metrics,
    logger,
    onDelivered: (runId, report) => report.kind === 'patch' && deps.onPatchDelivered(runId),
    // A final status Port refuses because the run already ended: ended in Port, a free signal.
    onRefused: (runId, report, err) =>
      report.kind === 'patch' && report.patch.status !== undefined && err.status === 422 && endWatch.notifyFinal(runId),
  });
  stops.add(() => reporter.stop());
  stops.add((shutdown) => (shutdown.drain ? drainBriefly(reporter) : undefined));

  // Many times the GHES request bound, since each dispatch also waits on three Port round
  // trips; bounded so a backlog never becomes thousands of concurrent requests (memory,
  // timeouts). Measured by `make bench`: x4 gave 454 dispatches/s, x16 579/s, same memory.
  const dispatchSlots = config.github.maxConcurrency * 16;
  const processor = createMessageProcessor({
    settings: processorSettings(config),
    port,
    reporter,
    api,
    watcher,
    dispatchSlots: new Semaphore(dispatchSlots),
    dispatchPacer: github.dispatchPacer,
    resumeLocator: createResumeLocator({
      api,
      clock,
      logger,
      actor: github.actor,
      onRunNameMismatch: github.onRunNameMismatch,
      serverOffsetMs: github.skew.offsetMs,
    }),
    dispatch: github.dispatch,
    version: github.version,
    metrics,
    logger,
    clock,
    insight: createRunInsight({
      api,
      storageFetch: github.storageFetch,
      scrub: (text) => deps.secrets.scrub(text),
      clock,
      metrics,
      logger,
      jobReads,
      settings: {
        jobProgress: insight.jobProgress,
        approvals: insight.approvals,
        failureExcerpt: insight.failureExcerpt,
        excerpt: {
          lines: insight.excerptLines,
          maxBytes: insight.excerptMaxBytes,
          logMaxBytes: insight.logMaxBytes,
          timeoutMs: insight.excerptTimeoutSeconds * 1000,
        },
      },
    }),
    cancellation: createRunCancellation({
      cancel: { api, clock, version: github.version, graceMs: t.cancelGraceSeconds * 1000 },
      endWatch,
      metrics,
      logger,
    }),
    orgRoute: createOrgRouting(config.github),
    content: github.content,
    actor: github.actor,
  });
  return { processor, reporter, dispatchSlots };
}

/** Only reports of no partition or claim are left (the intakes cancelled the rest). */
async function drainBriefly(reporter: Reporter): Promise<void> {
  const drainTimeout = new AbortController();
  const t = setTimeout(() => drainTimeout.abort(), LAST_DRAIN_MS);
  await reporter.drain(drainTimeout.signal);
  clearTimeout(t);
}
