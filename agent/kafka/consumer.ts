import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { type EachBatchPayload, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { DependencyHealth } from '../observability/dependency-health.js';
import type { Metrics } from '../observability/metrics.js';
import type { IncomingMessage } from './prepare-record.js';
import type { Clock } from '../util/backoff.js';
import { consumeBatch } from './consume-batch.js';
import { ConsumerState } from './consumer-state.js';

export interface KafkaSettings {
  brokers: string[];
  username: string;
  password: string;
  mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain';
  ssl: boolean;
  caFile: string;
  insecure: boolean;
  clientId: string;
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
}

export interface ConsumerLoop {
  start(): Promise<void>;
  /**
   * Shutdown, in the order that loses and duplicates nothing: stop taking messages, abort the
   * in-flight work (tracking, dispatch waits), keep the partitions (and heartbeating) while the
   * reports already queued are delivered and their offsets committed, until `deadlineMs`; then
   * cancel what is left (the next owner resumes it) and leave the group.
   */
  stop(opts?: { deadlineMs?: number }): Promise<void>;
  joined(): boolean;
  inFlight(): number;
}

/** kafkajs settings for Port's brokers: SASL over TLS, TLS verified, an optional private CA. */
export function kafkaClientConfig(s: KafkaSettings, logger: Logger): KafkaConfig {
  let ssl: KafkaConfig['ssl'] = false;
  if (s.ssl) {
    let ca: string[] | undefined;
    if (s.caFile) {
      try {
        ca = [...rootCertificates, readFileSync(s.caFile, 'utf8')];
      } catch (err) {
        throw new AgentError('config', `kafka.caFile: cannot read ${s.caFile} (${(err as NodeJS.ErrnoException).code})`);
      }
    }
    ssl = { ca, rejectUnauthorized: !s.insecure };
  }
  const log = logger.child({ component: 'kafkajs' });
  return {
    clientId: s.clientId,
    brokers: s.brokers,
    ssl,
    sasl: { mechanism: s.mechanism, username: s.username, password: s.password } as KafkaConfig['sasl'],
    connectionTimeout: 10_000,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      const level = entry.level <= logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      log.log(level, String(message), { namespace: entry.namespace, ...extra });
    },
  };
}

/**
 * The Kafka side. Messages are handed to `process` without waiting for them (a run may take
 * hours, and kafkajs only heartbeats between batches); each partition commits only up to its
 * oldest unfinished message. When a partition moves to another replica its work here is
 * aborted, and the new owner resumes the runs from Port's and GHES's records.
 */
export function createConsumerLoop(deps: {
  settings: KafkaSettings;
  /** `signal` aborts the work; `owned` aborts when the partition is no longer this replica's (cancels unsent reports). */
  process: (msg: IncomingMessage, signal: AbortSignal, owned: AbortSignal) => Promise<void>;
  /** True while the agent may take more work (in-flight runs and queued reports under their bounds). */
  hasCapacity: () => boolean;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** Fed with broker contact (fetches, heartbeats) and crashes, for /readyz. */
  health?: DependencyHealth;
  concurrentPartitions?: number;
}): ConsumerLoop {
  const { settings, metrics, clock } = deps;
  const log = deps.logger.child({ component: 'consumer', topic: settings.topic });
  const kafka = new Kafka(kafkaClientConfig(settings, deps.logger));
  const state = new ConsumerState({ topic: settings.topic, clock, log });
  const batchDeps = { process: deps.process, hasCapacity: deps.hasCapacity, clock, log };
  const eachBatch = (payload: EachBatchPayload) => consumeBatch(state, batchDeps, payload);

  async function connect(): Promise<void> {
    const c = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(settings.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    const contact = () => deps.health?.success('kafka');
    c.on(c.events.FETCH, contact);
    c.on(c.events.HEARTBEAT, contact);
    c.on(c.events.GROUP_JOIN, (e) => {
      contact();
      metrics.consumerRebalances.inc();
      const assigned = new Set<number>(e.payload.memberAssignment[settings.topic] ?? []);
      state.assignedNow = assigned;
      for (const p of [...state.partitions.keys()]) if (!assigned.has(p)) state.revoke(p, 'was reassigned');
      // Commits that failed while the broker was away (kafkajs rejoins without a CRASH after a
      // broker restart) are made good now for the partitions we kept.
      for (const [p, held] of state.partitions) void state.commit(p, held);
      state.joined = true;
      metrics.consumerConnected.set(1);
      log.info(`joined group ${settings.groupId} with partitions [${[...assigned].sort((a, b) => a - b).join(', ')}]`, {
        groupId: settings.groupId,
      });
      if (assigned.size === 0)
        log.warn(`no partition assigned: more replicas than partitions of ${settings.topic}; this replica stays idle`);
    });
    c.on(c.events.CRASH, (e) => {
      metrics.consumerCrashes.inc();
      state.joined = false;
      metrics.consumerConnected.set(0);
      const error = e.payload.error;
      // /readyz gets the error's class only: a broker's message (e.g. a SASL refusal's) is in the log line below.
      deps.health?.failure('kafka', `consumer crashed (${error.name}), details in the agent's log`);
      log.error(`consumer crashed: ${explainKafkaError(error, settings)}`, { restart: e.payload.restart });
      // The group may give our partitions to another replica before we rejoin: stop their
      // work now; after the rejoin the redelivered messages resume from Port's records.
      state.revokeAll('lost with the crashed consumer');
      if (!e.payload.restart && !state.stopping) void restart();
    });
    c.on(c.events.STOP, () => {
      state.joined = false;
      metrics.consumerConnected.set(0);
    });
    state.consumer = c;
    await c.connect();
    await c.subscribe({ topic: settings.topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: deps.concurrentPartitions ?? 6,
      eachBatch,
    });
  }

  /** kafkajs gives up on some failures (kafkajs#1513): start a fresh consumer, with backoff. */
  async function restart(): Promise<void> {
    state.revokeAll('lost with the crashed consumer');
    for (let attempt = 0; !state.stopping; attempt++) {
      await clock.sleep(Math.min(30_000, 1000 * 2 ** attempt));
      try {
        await state.consumer?.disconnect().catch(() => undefined);
        await connect();
        return;
      } catch (err) {
        log.error(`consumer restart failed: ${explainKafkaError(err as Error, settings)}`, { attempt });
      }
    }
  }

  return {
    async start() {
      try {
        await connect();
      } catch (err) {
        throw new AgentError('network', `Kafka: ${explainKafkaError(err as Error, settings)}`, { retriable: true, cause: err });
      }
    },
    async stop(opts = {}) {
      if (state.stopping) return;
      state.stopping = true;
      state.holding = true;
      const deadline = opts.deadlineMs ?? clock.now() + 10_000;
      for (const held of state.partitions.values()) held.work.abort();
      // Runs whose final report is queued finish now; the rest reject as aborted.
      while (state.active > 0 && clock.now() < deadline) await clock.sleep(100);
      await Promise.all([...state.partitions.entries()].map(([p, held]) => state.commitNow(p, held, deadline + 2000)));
      if (state.active > 0)
        log.warn(`shutdown deadline reached with ${state.active} message(s) still reporting; the next owner resumes them`);
      state.revokeAll('released at shutdown');
      state.holding = false;
      state.joined = false;
      metrics.consumerConnected.set(0);
      await state.consumer?.disconnect().catch(() => undefined);
    },
    joined: () => state.joined,
    inFlight: () => state.active,
  };
}

/** kafkajs errors in words a platform engineer can act on. */
export function explainKafkaError(err: Error, s: Pick<KafkaSettings, 'topic' | 'groupId' | 'username' | 'brokers'>): string {
  const type = (err as { type?: string }).type ?? '';
  const msg = err.message ?? String(err);
  if (type === 'TOPIC_AUTHORIZATION_FAILED' || /Topic authorization failed/i.test(msg)) {
    return `not authorized to read topic ${s.topic} as ${s.username} (Kafka ACL). Check kafka.topic (default <orgId>.github.runs) and the credentials Port issued.`;
  }
  if (type === 'GROUP_AUTHORIZATION_FAILED' || /Group authorization failed/i.test(msg)) {
    return `not authorized to use consumer group ${s.groupId} (Kafka ACL). Port's ACLs allow only groups starting with "<orgId>.": fix kafka.groupId.`;
  }
  // kafkajs reports a refused group as a coordinator it cannot find and drops the broker's reason.
  if (type === 'GROUP_COORDINATOR_NOT_AVAILABLE' || /Failed to find group coordinator/i.test(msg)) {
    return `cannot use consumer group ${s.groupId} (kafkajs: ${msg}). The usual cause is Kafka's ACLs refusing the group: Port allows only groups starting with "<orgId>.", so check kafka.groupId.`;
  }
  if (/SASL|authentication/i.test(msg))
    return `SASL authentication failed for user ${s.username}: check kafka.username/kafka.password or Port's credentials (${msg})`;
  if (/certificate|self[- ]signed|unable to verify/i.test(msg))
    return `TLS certificate of the brokers is not trusted (${msg}). Add the CA with kafka.caFile (or NODE_EXTRA_CA_CERTS).`;
  if (/does not host this topic-partition|UNKNOWN_TOPIC/i.test(msg))
    return `topic ${s.topic} does not exist on ${s.brokers.join(',')}: check kafka.topic (${msg})`;
  return msg;
}
