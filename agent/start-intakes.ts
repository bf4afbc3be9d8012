import type { ClaimIntake } from './claim/claim-intake.js';
import { startClaimIntake } from './claim/start-claim-intake.js';
import type { AgentConfig } from './config/schema.js';
import { buildConsumer } from './kafka/build-consumer.js';
import type { ConsumerLoop } from './kafka/consumer.js';
import type { DependencyHealth } from './observability/dependency-health.js';
import type { Logger, SecretScrubber } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { PortParts } from './port/build-port.js';
import type { ProcessorParts } from './run/build-processor.js';
import type { Clock, RetryOptions } from './util/backoff.js';
import { createCapacityGate } from './util/capacity-gate.js';
import type { StopList } from './util/stop-list.js';

/**
 * The two intakes as they come up. Made before anything starts, so that /readyz, the in-flight
 * count and the reporter's lease renewals see each intake from the moment it exists.
 */
export class Intakes {
  /** The HTTPS intake, once its first claims went through. */
  claim: ClaimIntake | undefined;
  /** The Kafka consumer, from its creation (not yet a member of its group while it connects). */
  consumer: ConsumerLoop | undefined;
  /** Every enabled intake started. */
  started = false;
  /** The intakes to stop, in the order they started (one whose start failed has nothing to stop). */
  readonly #running: Array<ClaimIntake | ConsumerLoop> = [];

  /**
   * Every run in hand counts, from both intakes and whatever its stage (dispatching or
   * tracked): a batch would otherwise all pass before the first is tracked.
   */
  inFlight(): number {
    return (this.consumer?.inFlight() ?? 0) + (this.claim?.held() ?? 0);
  }

  /** Why the intakes cannot take runs, for /readyz. */
  notReady(): string[] {
    const reasons: string[] = [];
    if (this.consumer && !this.consumer.joined()) reasons.push('not a member of the consumer group');
    if (this.claim) reasons.push(...this.claim.notReady());
    return reasons;
  }

  /** What works only in part while ready (a kind of run no longer claimed), for /readyz's answer. */
  notes(): string[] {
    return this.claim?.notes() ?? [];
  }

  /** A PATCH Port accepted renews the lease of a claimed run (claim-intake.ts). */
  delivered(runId: string): void {
    this.claim?.delivered(runId);
  }

  running(intake: ClaimIntake | ConsumerLoop): void {
    this.#running.push(intake);
  }

  /** Both at once, each until the deadline: the consumer keeps its partitions and the claim intake hands its runs over meanwhile. */
  stop(deadlineMs: number): Promise<unknown> {
    return Promise.all([...this.#running].reverse().map((intake) => intake.stop({ deadlineMs })));
  }
}

/**
 * The HTTPS intake first, so that a credential or installation Port refuses stops the start
 * (exit 2) before the agent connects to Kafka; then the Kafka consumer.
 */
export async function startIntakes(
  config: AgentConfig,
  deps: {
    intakes: Intakes;
    port: PortParts;
    processing: ProcessorParts;
    secrets: SecretScrubber;
    clock: Clock;
    metrics: Metrics;
    logger: Logger;
    log: Logger;
    dependencies: DependencyHealth;
    startupRetry: RetryOptions;
    stops: StopList;
    agentVersion: string;
  },
): Promise<void> {
  const { intakes, processing, metrics, logger } = deps;
  const { processor, reporter } = processing;
  const inFlight = () => intakes.inFlight();
  const hasCapacity = createCapacityGate({
    bounds: [
      { limit: 'inflight_runs', setting: 'limits.maxInflightRuns', max: config.limits.maxInflightRuns, current: inFlight },
      {
        limit: 'queued_reports',
        setting: 'limits.maxQueuedReports',
        max: config.limits.maxQueuedReports,
        current: () => reporter.pending(),
      },
    ],
    metrics,
    logger,
  });
  deps.stops.add((shutdown) => intakes.stop(shutdown.deadlineMs));

  if (config.portApi.enabled) {
    const claim = await startClaimIntake(config, {
      ...deps,
      portHttp: deps.port.http,
      port: deps.port.client,
      processor,
      reporter,
      dispatchSlots: processing.dispatchSlots,
      inFlight,
      hasCapacity,
      version: deps.agentVersion,
    });
    intakes.claim = claim;
    intakes.running(claim);
  }
  if (config.kafka.enabled) {
    const kafka = await buildConsumer(config, { ...deps, port: deps.port.client, processor, reporter, hasCapacity });
    intakes.consumer = kafka.loop;
    await kafka.start();
    intakes.running(kafka.loop);
  } else {
    deps.log.info('kafka.enabled is false: no Kafka connection (runs come from the HTTPS intake only)');
  }
  intakes.started = true;
}
