import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric of the agent, on a registry of its own (no global prom-client state, so tests
 * can create as many agents as they like). Labels are bounded sets: outcome words, route
 * templates and status classes, never run ids or free text.
 */
export function createMetrics(opts: { version?: string; defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const p = 'ghes_agent_';
  const registers = [registry];

  const buildInfo = new Gauge({
    name: `${p}build_info`,
    help: 'Build information; always 1.',
    labelNames: ['version', 'node_version'],
    registers,
  });
  buildInfo.set({ version: opts.version ?? '0.0.0', node_version: process.version }, 1);

  return {
    registry,
    messages: new Counter({
      name: `${p}messages_total`,
      help: 'Kafka messages handled, by outcome.',
      labelNames: ['outcome'],
      registers,
    }),
    dispatches: new Counter({
      name: `${p}dispatches_total`,
      help: 'Workflow dispatch attempts, by outcome and reason.',
      labelNames: ['outcome', 'reason'],
      registers,
    }),
    messageToDispatch: new Histogram({
      name: `${p}message_to_dispatch_seconds`,
      help: 'Time from the Kafka message timestamp to the dispatch accepted by GHES.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    runsInFlight: new Gauge({
      name: `${p}runs_in_flight`,
      help: 'Workflow runs dispatched or resumed and not yet finished.',
      registers,
    }),
    runsCompleted: new Counter({
      name: `${p}runs_completed_total`,
      help: 'Workflow runs seen completed, by GitHub conclusion.',
      labelNames: ['conclusion'],
      registers,
    }),
    runsTimedOut: new Counter({
      name: `${p}runs_timed_out_total`,
      help: 'Runs reported FAILURE because they exceeded tracking.maxWaitSeconds.',
      registers,
    }),
    runDuration: new Histogram({
      name: `${p}run_duration_seconds`,
      help: 'Time from dispatch to observed completion of a workflow run.',
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600],
      registers,
    }),
    githubRequests: new Counter({
      name: `${p}github_requests_total`,
      help: 'Requests to the GHES REST API, by route template, method and status class.',
      labelNames: ['route', 'method', 'status_class'],
      registers,
    }),
    githubRequestDuration: new Histogram({
      name: `${p}github_request_duration_seconds`,
      help: 'GHES REST API request latency.',
      labelNames: ['route', 'method'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    githubRateLimitRemaining: new Gauge({
      name: `${p}github_rate_limit_remaining`,
      help: 'Last x-ratelimit-remaining seen from GHES, by resource (absent when GHES does not rate limit).',
      labelNames: ['resource'],
      registers,
    }),
    portRequests: new Counter({
      name: `${p}port_requests_total`,
      help: "Requests to Port's API, by operation and outcome.",
      labelNames: ['operation', 'outcome'],
      registers,
    }),
    portReportsPending: new Gauge({
      name: `${p}port_reports_pending`,
      help: 'Reports to Port queued and not yet delivered.',
      registers,
    }),
    consumerCrashes: new Counter({
      name: `${p}consumer_crashes_total`,
      help: 'Kafka consumer crashes (kafkajs CRASH events).',
      registers,
    }),
    consumerRebalances: new Counter({
      name: `${p}consumer_rebalances_total`,
      help: 'Consumer group joins (each rebalance ends in one).',
      registers,
    }),
    consumerConnected: new Gauge({
      name: `${p}consumer_connected`,
      help: '1 while the consumer is a member of its group, else 0.',
      registers,
    }),
    limitReached: new Counter({
      name: `${p}limit_reached_total`,
      help: 'Times a resource bound was hit (limit: message_bytes, inflight_runs, queued_reports, dispatch_rate); the agent refuses or waits, never crashes.',
      labelNames: ['limit'],
      registers,
    }),
    githubClockSkew: new Gauge({
      name: `${p}github_clock_skew_seconds`,
      help: "GHES's clock minus this host's, from the Date header of its responses; App JWTs are made on GHES's clock.",
      registers,
    }),
    signatureVariants: new Counter({
      name: `${p}signature_variants_total`,
      help: 'Signed messages verified, by the form of the message the signature matched (signature_variant: signature_keys_deleted, headers_deleted).',
      labelNames: ['signature_variant'],
      registers,
    }),
    ready: new Gauge({
      name: `${p}ready`,
      help: '1 when /readyz answers ready, else 0.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** "2xx", "4xx", … or "error" when no response came back. */
export function statusClass(status: number | undefined): string {
  if (!status || status < 100) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
