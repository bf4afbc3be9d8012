import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { fixKafkajsIdleLoop } from '../../kafka/kafkajs-idle-loop-fix.js';
import { type KafkaSettings, kafkaClientConfig } from '../../kafka/consumer.js';
import type { Logger } from '../../observability/logger.js';

export type KafkaProbeSettings = Omit<KafkaSettings, 'sessionTimeoutMs'>;

/**
 * Read-only questions to the brokers with the agent's own client settings, none of which joins
 * the consumer group or commits anything: metadata, a one-byte Fetch (the proof that the ACLs
 * let this user READ the topic), DescribeGroups and OffsetFetch (DESCRIBE on the group, which
 * Kafka's READ implies).
 */
export interface KafkaProbe {
  connect(): Promise<{ clusterId: string; brokers: number }>;
  partitions(topic: string): Promise<number[]>;
  /** Resolves when the broker served a Fetch of the partition; throws kafkajs' error otherwise. */
  fetchOne(topic: string, partition: number): Promise<void>;
  describeGroup(groupId: string): Promise<{ state: string; members: number }>;
  committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]>;
  close(): Promise<void>;
}

export function createKafkaProbe(settings: KafkaProbeSettings, logger: Logger): KafkaProbe {
  fixKafkajsIdleLoop(); // (no negative-delay warning in the check's output on Node 24)
  const config = kafkaClientConfig({ ...settings, sessionTimeoutMs: 30_000 }, logger);
  // A preflight answers at once: no minutes of kafkajs retries before saying what is wrong; and
  // it reports each failure in its check's line, so kafkajs' own error logs would only repeat it.
  const kafka = new kafkajs.Kafka({
    ...config,
    retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 2000 },
    connectionTimeout: 10_000,
    requestTimeout: 15_000,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin: Admin = kafka.admin();
  let cluster: InternalCluster | undefined;

  return {
    async connect() {
      await admin.connect();
      const c = await admin.describeCluster();
      return { clusterId: c.clusterId, brokers: c.brokers.length };
    },
    async partitions(topic) {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      return (md.topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
    },
    async fetchOne(topic, partition) {
      cluster ??= privateCluster(kafka);
      await cluster.connect();
      await cluster.addTargetTopic(topic);
      const leaders = cluster.findLeaderForPartitions(topic, [partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) throw new Error(`no leader for ${topic}[${partition}]`);
      const broker = await cluster.findBroker({ nodeId });
      // Fetch needs READ on the topic (an unauthorized one answers TOPIC_AUTHORIZATION_FAILED
      // before anything else); offset 0, one byte, no wait: nothing is consumed or committed.
      await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: 1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: '0', maxBytes: 1 }] }],
      });
    },
    async describeGroup(groupId) {
      const { groups } = await admin.describeGroups([groupId]);
      const g = groups[0];
      if (!g) throw new Error(`no answer for group ${groupId}`);
      return { state: g.state, members: g.members.length };
    },
    async committedOffsets(groupId, topic) {
      const res = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
    },
    async close() {
      await Promise.all([admin.disconnect().catch(() => undefined), cluster?.disconnect().catch(() => undefined)]);
    },
  };
}

/**
 * kafkajs offers no Fetch outside a consumer group, and a consumer would join the group. Its
 * Kafka instance holds the factory of its (internal) cluster under a private symbol; kafkajs
 * 2.2.4 is pinned in package-lock.json, and test/integration/check-command.test.ts proves this
 * against the real broker's ACLs, so a kafkajs upgrade that moves it fails there, not here.
 */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(b: { nodeId: string }): Promise<{ fetch(request: object): Promise<unknown> }>;
}

function privateCluster(kafka: Kafka): InternalCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = sym ? (kafka as unknown as Record<symbol, (o: object) => unknown>)[sym] : undefined;
  if (!create) throw new Error('this kafkajs version does not expose its cluster; cannot prove READ without joining the group');
  return create({ allowAutoTopicCreation: false, isolationLevel: 1 }) as InternalCluster;
}
