// Per-organization setup mirroring Port's: one topic `<org>.github.runs`, and the agent user
// allowed only to read it from consumer groups under the `<org>.` prefix.
import kafkajs, { type KafkaConfig } from 'kafkajs';
import { fixKafkajsIdleLoop } from '../../agent/kafka/kafkajs-idle-loop-fix.js';
import type { KafkaBrokerInfo } from './kafka-broker.js';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

export function orgTopic(org: string): string {
  return `${org}.github.runs`;
}

/** kafkajs config for one of the broker's users, over SASL_SSL trusting the broker's CA. */
export function kafkaClientConfig(broker: KafkaBrokerInfo, user: 'admin' | 'agent', clientId = `test-${user}`): KafkaConfig {
  fixKafkajsIdleLoop(); // every harness client, demo and chaos included (kafkajs-idle-loop-fix.ts)
  const { username, password } = broker[user];
  return {
    clientId,
    brokers: [...broker.brokers],
    ssl: { ca: [broker.caPem] },
    sasl: { mechanism: 'scram-sha-512', username, password },
    logLevel: logLevel.NOTHING,
  };
}

/** Create `<org>.github.runs` (default 6 partitions) and the agent's ACLs. Idempotent. */
export async function createOrgTopic(broker: KafkaBrokerInfo, org: string, opts: { partitions?: number } = {}): Promise<string> {
  if (!/^[A-Za-z0-9_-]+$/.test(org)) throw new Error(`org id must be [A-Za-z0-9_-]+, got ${JSON.stringify(org)}`);
  const topic = orgTopic(org);
  const admin = new Kafka(kafkaClientConfig(broker, 'admin', 'stack-org-setup')).admin();
  await admin.connect();
  try {
    // Resolves false (no error) when the topic already exists.
    await admin.createTopics({
      topics: [{ topic, numPartitions: opts.partitions ?? 6, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const allow = {
      principal: `User:${broker.agent.username}`,
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
    };
    // Kafka stores ACL bindings as a set, so creating an existing one again is a no-op.
    await admin.createAcls({
      acl: [
        {
          ...allow,
          resourceType: AclResourceTypes.TOPIC,
          resourceName: topic,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          operation: AclOperationTypes.READ,
        },
        {
          ...allow,
          resourceType: AclResourceTypes.TOPIC,
          resourceName: topic,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          operation: AclOperationTypes.DESCRIBE,
        },
        {
          ...allow,
          resourceType: AclResourceTypes.GROUP,
          resourceName: `${org}.`,
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          operation: AclOperationTypes.READ,
        },
        {
          ...allow,
          resourceType: AclResourceTypes.GROUP,
          resourceName: `${org}.`,
          resourcePatternType: ResourcePatternTypes.PREFIXED,
          operation: AclOperationTypes.DESCRIBE,
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  return topic;
}
