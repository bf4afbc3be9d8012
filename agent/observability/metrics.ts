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
      help: "Runs handed to the agent, by outcome and intake ('kafka': Port's GitHub App backend; 'port-api': claimed over HTTPS).",
      labelNames: ['outcome', 'intake'],
      registers,
    }),
    dispatches: new Counter({
      name: `${p}dispatches_total`,
      help: 'Workflow dispatch attempts, by outcome, reason and intake.',
      labelNames: ['outcome', 'reason', 'intake'],
      registers,
    }),
    messageToDispatch: new Histogram({
      name: `${p}message_to_dispatch_seconds`,
      help: 'Time from the run reaching Port (Kafka message timestamp, or claim) to the dispatch accepted by GHES, by intake.',
      labelNames: ['intake'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    runsInFlight: new Gauge({
      name: `${p}runs_in_flight`,
      help: 'Workflow runs dispatched or resumed and not yet finished, by intake.',
      labelNames: ['intake'],
      registers,
    }),
    runsCompleted: new Counter({
      name: `${p}runs_completed_total`,
      help: 'Workflow runs seen completed, by GitHub conclusion and intake.',
      labelNames: ['conclusion', 'intake'],
      registers,
    }),
    // Issue 13: what the agent tells the user beyond SUCCESS/FAILURE, and what it costs.
    failureExcerpts: new Counter({
      name: `${p}failure_excerpts_total`,
      help: "Failed runs whose failed jobs and step log the agent looked up, by outcome: ok, no_failed_job, no_log, error, timeout, refused (the log's storage host is not accepted: github.logHosts, https only, no loopback, link-local or metadata address); all but ok: the final status went without the excerpt.",
      labelNames: ['outcome'],
      registers,
    }),
    runCancels: new Counter({
      name: `${p}run_cancels_total`,
      help: 'GHES runs the agent cancelled, by trigger (port: the run was ended in Port; timeout: tracking.cancelOnTimeout) and result (cancelled, force_cancelled, already_completed, did_not_take, failed).',
      labelNames: ['trigger', 'result'],
      registers,
    }),
    portEndChecks: new Counter({
      name: `${p}port_end_checks_total`,
      help: "Reads of a tracked run's Port record to notice a run ended in Port, by result (running, ended, error); and ended runs noticed from a refused final report (refused).",
      labelNames: ['result'],
      registers,
    }),
    runsTimedOut: new Counter({
      name: `${p}runs_timed_out_total`,
      help: 'Runs reported FAILURE because they exceeded tracking.maxWaitSeconds, by intake.',
      labelNames: ['intake'],
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
    portRateLimitRemaining: new Gauge({
      name: `${p}port_rate_limit_remaining`,
      help: "Last x-ratelimit-remaining seen from Port's API (requests left in the organization's window).",
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
      help: 'Times a resource bound was hit (limit: message_bytes, inflight_runs, queued_reports, dispatch_rate, port_rate, github_response_deadline, github_response_bytes, port_response_deadline, port_response_bytes, claim_excess); the agent refuses or waits, never crashes.',
      labelNames: ['limit'],
      registers,
    }),
    claimDuration: new Histogram({
      name: `${p}claim_duration_seconds`,
      help: "Latency of Port's claim-pending requests (HTTPS intake), by run kind.",
      labelNames: ['kind'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    runsClaimed: new Counter({
      name: `${p}runs_claimed_total`,
      help: 'Runs handed out to this agent by claim-pending (HTTPS intake), by run kind (action, workflow-node).',
      labelNames: ['kind'],
      registers,
    }),
    runsAcknowledged: new Counter({
      name: `${p}runs_acknowledged_total`,
      help: 'Claimed runs this agent acknowledged (HTTPS intake), by run kind.',
      labelNames: ['kind'],
      registers,
    }),
    claimConflicts: new Counter({
      name: `${p}claim_conflicts_total`,
      help: 'Acknowledgements Port refused with 409 (another worker has the run), by run kind.',
      labelNames: ['kind'],
      registers,
    }),
    runsAbandoned: new Counter({
      name: `${p}runs_abandoned_total`,
      help: 'Claimed runs let go unacknowledged (their claim ran out before the dispatch, or shutdown): Port offers them again. By run kind.',
      labelNames: ['kind'],
      registers,
    }),
    runsAdopted: new Counter({
      name: `${p}runs_adopted_total`,
      help: 'Acknowledged runs nobody worked on any more (their replica died) that this agent took over, by run kind.',
      labelNames: ['kind'],
      registers,
    }),
    claimIntakeUp: new Gauge({
      name: `${p}claim_intake_up`,
      help: "1 while the HTTPS intake's last claim succeeded, else 0 (also 0 when portApi is off: see intake_enabled).",
      registers,
    }),
    rateLimitDelays: new Counter({
      name: `${p}rate_limit_delays_total`,
      help: 'Runs held back a second or more by GitHub\'s budget (the per-repository dispatch pace, or a rate-limited dispatch), each told so in Port with a log line ("Delayed due to low remaining rate limit", as Ocean writes it), by intake.',
      labelNames: ['intake'],
      registers,
    }),
    ackFirstFallbacks: new Counter({
      name: `${p}ack_first_fallbacks_total`,
      help: "Claimed runs acknowledged before their first write because Port refused that write while they were unacknowledged (a 4xx other than 404/409/429): Ocean's order, by intake.",
      labelNames: ['intake'],
      registers,
    }),
    claimKindDisabled: new Gauge({
      name: `${p}claim_kind_disabled`,
      help: '1 for a kind of run (action, workflow-node) this agent stopped claiming because its claim route answered 404 or 403 (the route, the header or the role is missing); the other kind goes on.',
      labelNames: ['kind'],
      registers,
    }),
    intakeEnabled: new Gauge({
      name: `${p}intake_enabled`,
      help: "1 for each intake the configuration turns on (intake: kafka, port-api), else 0: alerts on an intake's health apply only where it is on.",
      labelNames: ['intake'],
      registers,
    }),
    githubClockSkew: new Gauge({
      name: `${p}github_clock_skew_seconds`,
      help: "GHES's clock minus this host's, from the Date header of its responses; App JWTs are made on GHES's clock.",
      registers,
    }),
    // Issue 23: runs planted to be adopted in place of the agent's own (agent/github/own-run.ts).
    runNameMismatches: new Counter({
      name: `${p}run_name_mismatches_total`,
      help: "GitHub runs whose run-name shows a Port run id the agent looked for but which it did not take as its own, per look-up, by reason: other_actor (dispatched by someone else), other_workflow (a run of another workflow), unverifiable (the agent's own login, or the run's actor or workflow, unknown). Such a run is never tracked; other_actor is what a planted run looks like.",
      labelNames: ['reason'],
      registers,
    }),
    signatureVariants: new Counter({
      name: `${p}signature_variants_total`,
      help: 'Signed messages verified, by the form of the message the signature matched (signature_variant: signature_keys_deleted, headers_deleted).',
      labelNames: ['signature_variant'],
      registers,
    }),
    unsignedAccepted: new Counter({
      name: `${p}unsigned_messages_accepted_total`,
      help: 'Unsigned Kafka messages accepted unchecked because signature.mode is if-present (Port signs every run message: anyone able to write to the topic can send these).',
      registers,
    }),
    // Issue 26: the relay (agent/relay/), for workflows reporting to Port through the agent.
    relayRequests: new Counter({
      name: `${p}relay_requests_total`,
      help: "Relay requests, by route (token, upsert_entity, get_entity, delete_entity, search_entities, patch_run, add_run_log, unknown) and outcome: ok (Port answered 2xx), port_error (Port's answer, passed back, was not 2xx), unauthenticated (no, or no valid, OIDC token), forbidden (outside the token's run or the relay policy), rate_limited (relay.requestsPerRepoPerMinute), too_large (relay.maxBodyBytes), timeout (relay.requestDeadlineMs), bad_request, not_found, error (Port unreachable).",
      labelNames: ['route', 'outcome'],
      registers,
    }),
    relayRequestDuration: new Histogram({
      name: `${p}relay_request_duration_seconds`,
      help: 'Time the relay took to answer a request, token verification and Port included, by route.',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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

/**
 * Series that exist from the start, at 0, for each intake the configuration turns on (and for
 * the HTTPS intake's run kinds): a counter first seen at 1 shows no increase to rate() and
 * increase(), so alerts such as GhesAgentRunsTimingOut would miss the first event.
 */
export function initIntakeSeries(metrics: Metrics, intakes: Array<'kafka' | 'port-api'>): void {
  for (const intake of intakes) {
    metrics.intakeEnabled.set({ intake }, 1);
    metrics.runsTimedOut.inc({ intake }, 0);
    metrics.runsInFlight.set({ intake }, 0);
    metrics.messageToDispatch.zero({ intake });
  }
  for (const intake of (['kafka', 'port-api'] as const).filter((i) => !intakes.includes(i))) metrics.intakeEnabled.set({ intake }, 0);
  if (!intakes.includes('port-api')) return;
  for (const kind of ['action', 'workflow-node']) {
    for (const c of [metrics.runsClaimed, metrics.runsAcknowledged, metrics.claimConflicts, metrics.runsAbandoned, metrics.runsAdopted])
      c.inc({ kind }, 0);
    metrics.claimKindDisabled.set({ kind }, 0);
  }
}

/** "2xx", "4xx", … or "error" when no response came back. */
export function statusClass(status: number | undefined): string {
  if (!status || status < 100) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
