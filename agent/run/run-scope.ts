import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortRun } from '../types/port-run.js';
import type { RunRequest } from '../types/run-request.js';

/** Which intake a run came through: a metric label, never a branch of the processing. */
export type Intake = 'kafka' | 'port-api';

/** Log fields saying where a run came from (a Kafka record, a claim). */
export type RunWhere = Record<string, string | number>;

/**
 * What an intake knows about a run beyond the run itself. Everything that differs per intake
 * (where a run's offset or claim lives, how it is finished) is expressed here as data and
 * callbacks, so the processing is one path for every intake.
 */
export interface RunContext {
  intake: Intake;
  where: RunWhere;
  /** When the run reached Port's hands (Kafka timestamp, claim time): no GitHub run for it can be older. */
  writtenAtMs: number;
  /** Port's record of the run when the intake already has it (a claim answer is the run record); read from Port otherwise. */
  record?: PortRun;
  /**
   * The intake's lease on the run runs out at this time (epoch ms): no dispatch request is sent
   * after it, because another replica may then be given the run. Kafka has none (the partition
   * is held as long as the consumer lives).
   */
  dispatchBy?: number;
  /**
   * Called once Port's record makes a redelivery of the run resume rather than redo it (its
   * dispatch is recorded, or it was resumed), before tracking starts: the claim intake
   * acknowledges the run here. Resolving false means the run is no longer this replica's:
   * nothing more is done for it.
   */
  handOff?: (dispatched: { link?: string; externalRunId?: string }) => Promise<boolean>;
  /**
   * Acknowledges the run now, before its dispatch is recorded (Ocean's order): the fallback when
   * Port refuses a write to the run while it is unacknowledged (ack-first.ts). Resolving false
   * means the run is no longer this replica's. Claimed runs only.
   */
  ackFirst?: () => Promise<boolean>;
  /**
   * Since when this replica holds the run's partition (Kafka, epoch ms): a message written
   * before may have been handled by a previous owner, and is first looked for on GHES (issue 15).
   */
  heldSinceMs?: number;
}

/** Thrown when a run's lease ran out before its dispatch: the intake lets it go, Port offers it again. */
export class LeaseExpired extends AgentError {
  constructor(runId: string) {
    super('timeout', `the claim on run ${runId} ran out before its dispatch; it is left to the next claim`, { retriable: false });
  }
}

/**
 * Counts a message's outcome (ghes_agent_messages_total): the one place the processing says
 * `messages.inc`, for a run in hand (RunScope.count) and for one nothing is done for.
 */
export function countMessage(metrics: Pick<Metrics, 'messages'>, intake: Intake, outcome: string): void {
  metrics.messages.inc({ outcome, intake });
}

/**
 * One run in the processor's hands, from its job to its final report: what was passed as
 * `(run, ctx, signal, owned)` through every step, and the run's logger and counter. Modelled on
 * probot's `Context` (src/context.ts: the event, its logger and its octokit, one object per
 * event). A class, so a run costs one object and no closures (the processor's hot path).
 *
 * `signal` aborts the work (tracking, dispatch); `owned` aborts when the run now belongs to
 * another replica, and cancels the reports not yet sent. At shutdown only `signal` aborts first,
 * so reports already queued are still delivered while this replica holds the run.
 */
export class RunScope<R extends Pick<RunRequest, 'runId'> = RunRequest> {
  #log: Logger | undefined;

  constructor(
    readonly run: R,
    readonly ctx: RunContext,
    readonly signal: AbortSignal,
    readonly owned: AbortSignal,
    /** The processor's logger: lines about the run that name it by their fields. */
    readonly base: Logger,
    private readonly metrics: Pick<Metrics, 'messages'>,
  ) {}

  /**
   * The run's own logger (its run id, repository, workflow and where it came from on every
   * line); made at first use, so a refusal or a resumption that logs through `base` makes none.
   */
  get log(): Logger {
    if (this.#log === undefined) {
      const run = this.run as Partial<RunRequest> & Pick<RunRequest, 'runId'>;
      this.#log = this.base.child({ runId: run.runId, repo: `${run.org}/${run.repo}`, workflow: run.workflow, ...this.ctx.where });
    }
    return this.#log;
  }

  /** Counts the run's outcome (ghes_agent_messages_total{outcome,intake}). */
  count(outcome: string): void {
    countMessage(this.metrics, this.ctx.intake, outcome);
  }

  /** Throws when the intake's lease on the run ran out (`now` past `dispatchBy`): past it, another replica may be given the run. */
  checkLease(nowMs: number): void {
    if (this.ctx.dispatchBy !== undefined && nowMs > this.ctx.dispatchBy) throw new LeaseExpired(this.run.runId);
  }
}
