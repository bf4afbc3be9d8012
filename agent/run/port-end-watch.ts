import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortRun, RunReadHint } from '../types/port-run.js';
import type { Clock } from '../util/backoff.js';

export interface PortEndWatch {
  /**
   * Follows a tracked run until `remove` is called; `onEnded` fires once if Port shows it final.
   * `hint.externalRunId`: what its dispatch wrote, by which a workflow-node run is read (port-client.ts).
   */
  add(runId: string, onEnded: (status: string) => void, hint?: RunReadHint): () => void;
  /** Port refused a final report because the run is already final: the same signal, free. */
  notifyFinal(runId: string): void;
  size(): number;
  stop(): void;
}

interface Entry {
  runId: string;
  hint: RunReadHint | undefined;
  onEnded: (status: string) => void;
  lastCheckMs: number;
  ended: boolean;
}

/**
 * Notices runs ended in Port while their GHES run goes on (someone set them to FAILURE in Port's
 * UI or API). Port pushes nothing, so the agent reads run records, at a bounded cost: each
 * tracked run at most once per `checkMs`, and all of them together at most `perMinute` reads a
 * minute (with more runs, each is read less often). The runs are read oldest-checked first, so
 * none starves. A refused final report (Port: "already ended") is a free signal on top.
 */
export function createPortEndWatch(deps: {
  port: { getRun(runId: string, hint?: RunReadHint): Promise<PortRun | undefined> };
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  checkMs: number;
  perMinute: number;
}): PortEndWatch {
  /**
   * The runs followed, in the order they are due: a run is added, and moved back once checked,
   * with `lastCheckMs` = now, so insertion order is ascending `lastCheckMs` and the first entry
   * is the next to check (O(1), where a scan of 10,000 runs in flight per added run was a tenth
   * of the agent's CPU at a backlog's pace; issue 16). Should the clock step back, a run added
   * after the step is checked at most that much later than checkMs.
   */
  const entries = new Map<string, Entry>();
  const log = deps.logger.child({ component: 'port-end-watch' });
  const stopper = new AbortController();
  let running = false;
  const gapMs = 60_000 / Math.max(1, deps.perMinute);

  function ended(e: Entry, status: string): void {
    if (e.ended) return;
    e.ended = true;
    entries.delete(e.runId);
    try {
      e.onEnded(status);
    } catch (err) {
      log.error('handling a run ended in Port failed', { runId: e.runId, error: (err as Error).message });
    }
  }

  async function loop(): Promise<void> {
    running = true;
    try {
      while (!stopper.signal.aborted && entries.size > 0) {
        // The Map is kept in check order (see above): its first entry is the one checked longest ago.
        const next = entries.values().next().value!;
        const dueAt = next.lastCheckMs + deps.checkMs;
        if (dueAt > deps.clock.now()) {
          // Runs added meanwhile are due later still, and a removed one is skipped on waking: no
          // wake-up is needed before dueAt (issue 16: waking on each new run cost a scan of them all).
          await deps.clock.sleep(dueAt - deps.clock.now(), stopper.signal).catch(() => undefined);
          continue;
        }
        next.lastCheckMs = deps.clock.now();
        // To the end of the order: checked last.
        entries.delete(next.runId);
        entries.set(next.runId, next);
        try {
          // A run not found (a node run whose externalRunId names another run, too) reads as running.
          const run = await deps.port.getRun(next.runId, next.hint);
          if (run && (run.status === 'SUCCESS' || run.status === 'FAILURE')) {
            deps.metrics.portEndChecks.inc({ result: 'ended' });
            if (entries.get(next.runId) === next) ended(next, run.status);
          } else deps.metrics.portEndChecks.inc({ result: 'running' });
        } catch (err) {
          deps.metrics.portEndChecks.inc({ result: 'error' });
          log.debug('reading a run from Port failed; read again later', { runId: next.runId, error: (err as Error).message });
        }
        await deps.clock.sleep(gapMs, stopper.signal).catch(() => undefined);
      }
    } finally {
      running = false;
    }
  }

  return {
    add(runId, onEnded, hint) {
      const e: Entry = { runId, hint, onEnded, lastCheckMs: deps.clock.now(), ended: false };
      // Deleted first so a run added again goes to the end of the check order.
      entries.delete(runId);
      entries.set(runId, e);
      if (deps.checkMs > 0 && !running && !stopper.signal.aborted) void loop();
      return () => {
        if (entries.get(runId) === e) entries.delete(runId);
      };
    },
    notifyFinal(runId) {
      const e = entries.get(runId);
      if (!e) return;
      deps.metrics.portEndChecks.inc({ result: 'refused' });
      ended(e, 'final');
    },
    size: () => entries.size,
    stop() {
      stopper.abort();
    },
  };
}
