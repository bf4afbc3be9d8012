import type { AgentConfig } from '../config/schema.js';
import type { DependencyHealth } from '../observability/dependency-health.js';
import type { Logger, SecretScrubber } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PortClient } from '../port/port-client.js';
import type { Reporter } from '../port/reporter.js';
import type { MessageProcessor } from '../run/process-message.js';
import { type Clock, type RetryOptions, retry } from '../util/backoff.js';
import { checkTlsTrust } from '../util/tls-preflight.js';
import { type ConsumerLoop, createConsumerLoop } from './consumer.js';
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix.js';
import { createRecordPreparer, guardRecords, recordTrust } from './prepare-record.js';

export interface KafkaIntake {
  /** The consumer, not yet connected: /readyz and the in-flight count look at it from now. */
  loop: ConsumerLoop;
  /** Connects and joins the group, retried until the broker lets it (a CA it cannot trust is a configuration error). */
  start(): Promise<void>;
}

/** The Kafka intake from `kafka.*`: the brokers and credentials configured, or else Port's. */
export async function buildConsumer(
  config: AgentConfig,
  deps: {
    port: Pick<PortClient, 'getKafkaCredentials'>;
    processor: MessageProcessor;
    reporter: Reporter;
    hasCapacity: () => boolean;
    secrets: SecretScrubber;
    metrics: Metrics;
    logger: Logger;
    log: Logger;
    clock: Clock;
    dependencies: DependencyHealth;
    startupRetry: RetryOptions;
  },
): Promise<KafkaIntake> {
  const { processor, reporter, metrics, logger, log, clock, startupRetry } = deps;
  const kafka = config.kafka;
  const fix = fixKafkajsIdleLoop();
  if (!fix.applied) log.warn(`kafkajs idle-loop fix not applied: ${fix.reason}`);
  const kafkaCreds = kafka.brokers.length
    ? { brokers: kafka.brokers, username: kafka.username, password: kafka.password }
    : await retry(() => deps.port.getKafkaCredentials(), startupRetry);
  deps.secrets.add(kafkaCreds.password);
  const loop = createConsumerLoop({
    settings: {
      brokers: kafkaCreds.brokers,
      username: kafkaCreds.username,
      password: kafkaCreds.password,
      mechanism: kafka.saslMechanism,
      ssl: kafka.ssl,
      caFile: kafka.caFile,
      insecure: kafka.tlsInsecureSkipVerify,
      clientId: kafka.clientId,
      groupId: kafka.groupId,
      topic: kafka.topic,
      sessionTimeoutMs: kafka.sessionTimeoutMs,
    },
    process: guardRecords(createRecordPreparer({ config, processor, metrics, logger, clock }), {
      reporter,
      metrics,
      logger,
      clock,
      trust: recordTrust(config),
    }),
    health: deps.dependencies,
    hasCapacity: deps.hasCapacity,
    metrics,
    logger,
    clock,
  });
  return {
    loop,
    async start() {
      await retry(async () => {
        if (kafka.ssl && !kafka.tlsInsecureSkipVerify) {
          await checkTlsTrust({
            hostPort: kafkaCreds.brokers[0] ?? '',
            caFile: kafka.caFile,
            setting: 'kafka.caFile',
            what: 'the Kafka broker',
          });
        }
        await loop.start();
      }, startupRetry);
      log.info(`consuming ${kafka.topic} as group ${kafka.groupId}`);
    },
  };
}
