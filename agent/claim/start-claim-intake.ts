import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AgentConfig } from '../config/schema.js';
import { type DependencyHealth, observeCalls } from '../observability/dependency-health.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createClaimApi } from '../port/claim-api.js';
import { createIntegrationApi } from '../port/integration-api.js';
import type { PortRunApi } from '../port/port-client.js';
import type { PortHttp } from '../port/port-http.js';
import type { Reporter } from '../port/reporter.js';
import type { MessageProcessor } from '../run/process-message.js';
import { type Clock, type RetryOptions, retry } from '../util/backoff.js';
import { type ClaimIntake, createClaimIntake } from './claim-intake.js';
import { checkClaimSetup } from './setup-checks.js';

/**
 * The HTTPS intake from `portApi.*`: checks the credential and the installation (exit 2 when
 * Port refuses them), then claims. Its room for new runs is what limits.maxInflightRuns,
 * limits.maxQueuedReports and the dispatch stage have left.
 */
export async function startClaimIntake(
  config: Pick<AgentConfig, 'portApi' | 'limits'>,
  deps: {
    portHttp: PortHttp;
    port: PortRunApi;
    processor: MessageProcessor;
    reporter: Reporter;
    dispatchSlots: number;
    inFlight: () => number;
    hasCapacity: () => boolean;
    metrics: Metrics;
    logger: Logger;
    clock: Clock;
    dependencies: DependencyHealth;
    startupRetry: RetryOptions;
    version: string;
  },
): Promise<ClaimIntake> {
  const { clock } = deps;
  const settings = config.portApi;
  const maxInflightRuns = config.limits.maxInflightRuns;
  const integrations = observeCalls(createIntegrationApi({ http: deps.portHttp }), 'port', deps.dependencies);
  await retry(
    () =>
      checkClaimSetup({
        tokenClaims: () => deps.portHttp.tokenClaims(),
        integrations,
        settings: { ...settings, version: deps.version },
        logger: deps.logger,
      }),
    deps.startupRetry,
  );
  const claimApi = observeCalls(
    createClaimApi({
      http: deps.portHttp,
      routes: { ...settings.routes },
      reservedHeader: settings.reservedHeader,
      onExcess: (kind, asked, answered) => {
        deps.metrics.limitReached.inc({ limit: 'claim_excess' });
        deps.logger.warn(
          `Port handed out ${answered} ${kind} run(s) to a claim for ${asked}: the first ${asked} are held, the rest left for Port to offer again after the visibility timeout`,
          {
            component: 'claim',
            kind,
            asked,
            answered,
          },
        );
      },
    }),
    'port',
    deps.dependencies,
  );
  // `room` reads `intake` only once claiming runs (claimRound, after start()), never while it is built.
  const intake: ClaimIntake = createClaimIntake({
    settings: {
      installationId: settings.installationId,
      kinds: settings.workflowNodeRuns ? ['action', 'workflow-node'] : ['action'],
      batchSize: settings.claimBatchSize,
      intervalMs: settings.claimIntervalSeconds * 1000,
      visibilityTimeoutMs: settings.visibilityTimeoutMs,
      maxSharePercent: settings.maxActionSharePercent,
      leaseMs: settings.leaseSeconds * 1000,
      rediscoveryIntervalMs: settings.rediscoveryIntervalSeconds * 1000,
    },
    claimApi,
    port: deps.port,
    processor: deps.processor,
    reporter: deps.reporter,
    room: () => (deps.hasCapacity() ? Math.min(maxInflightRuns - deps.inFlight(), deps.dispatchSlots - intake.dispatching()) : 0),
    trackingRoom: () => (deps.hasCapacity() ? maxInflightRuns - deps.inFlight() : 0),
    dispatchCapacity: deps.dispatchSlots,
    metrics: deps.metrics,
    logger: deps.logger,
    clock,
    // The pod's name says which replica tracks a run taken over; the suffix tells a restarted pod of the same name apart.
    replicaId: `${hostname()}-${randomBytes(3).toString('hex')}`,
  });
  deps.metrics.claimIntakeUp.set(0);
  await retry(() => intake.start(), deps.startupRetry);
  return intake;
}
