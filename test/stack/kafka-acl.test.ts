// Proves the local broker is locked down the way Port's is: the agent user can read its own
// org's topic from groups under its org prefix, and nothing else.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Consumer, type KafkaConfig } from 'kafkajs';
import type { KafkaBrokerInfo } from './kafka-broker.js';
import { createOrgTopic, kafkaClientConfig } from './kafka-org.js';
import { getTestBroker } from './shared-broker.js';

const { Kafka } = kafkajs;

// Everything a kafkajs error says about itself, following wrapped causes, so a test can
// assert the broker's actual refusal rather than "something threw".
function describeError(err: unknown, seen = new Set<unknown>()): string[] {
  if (err === null || typeof err !== 'object' || seen.has(err)) return [];
  seen.add(err);
  const e = err as Record<string, unknown>;
  const own = [e.name, e.type, e.code, e.message].filter((v): v is string => typeof v === 'string');
  const nested = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return [...own, ...nested.flatMap((n) => describeError(n, seen))];
}

async function refusal(action: () => Promise<unknown>): Promise<string[]> {
  try {
    await action();
  } catch (err) {
    return describeError(err);
  }
  assert.fail('expected the broker to refuse');
}

function assertIncludes(facts: string[], expected: string): void {
  assert.ok(facts.includes(expected), `expected ${expected} in ${JSON.stringify(facts)}`);
}

// Fail fast: authorization errors are not retriable, and connection errors here are final.
function noRetry(config: KafkaConfig): KafkaConfig {
  return { ...config, retry: { retries: 0 }, connectionTimeout: 5000 };
}

/** Run a consumer until it delivers `count` messages or crashes; resolves with either. */
async function consume(consumer: Consumer, topic: string, count: number, timeoutMs = 30_000): Promise<string[]> {
  const received: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`received ${received.length}/${count} messages in ${timeoutMs} ms`)), timeoutMs);
    consumer.on(consumer.events.CRASH, (event) => {
      clearTimeout(timer);
      reject(event.payload.error);
    });
    consumer
      .run({
        eachMessage: async ({ message }) => {
          received.push(message.value?.toString() ?? '');
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received);
          }
        },
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        reject(err);
      });
  });
}

describe('local Kafka broker security (SASL_SSL, SCRAM-SHA-512, ACLs)', () => {
  const runId = randomBytes(4).toString('hex');
  const org = `org_${runId}`;
  const otherOrg = `other_${runId}`;
  let broker: KafkaBrokerInfo;
  let topic: string;
  let otherTopic: string;

  before(async () => {
    broker = await getTestBroker();
    topic = await createOrgTopic(broker, org);
    // Another org's topic exists, but the agent gets no ACL on it.
    otherTopic = `${otherOrg}.github.runs`;
    const admin = new Kafka(kafkaClientConfig(broker, 'admin')).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: otherTopic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  });

  it('creates the org topic with 6 partitions, idempotently', async () => {
    assert.equal(await createOrgTopic(broker, org), topic);
    const admin = new Kafka(kafkaClientConfig(broker, 'admin')).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(topics[0]?.partitions.length, 6);
    } finally {
      await admin.disconnect();
    }
  });

  it('lets the agent consume its org topic in group <org>.x', async () => {
    const value = `hello ${runId}`;
    const producer = new Kafka(kafkaClientConfig(broker, 'admin')).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value }] });
    await producer.disconnect();

    const consumer = new Kafka(kafkaClientConfig(broker, 'agent')).consumer({ groupId: `${org}.x` });
    try {
      assert.deepEqual(await consume(consumer, topic, 1), [value]);
    } finally {
      await consumer.disconnect();
    }
  });

  it("refuses the agent another org's topic", async () => {
    const consumer = new Kafka(noRetry(kafkaClientConfig(broker, 'agent'))).consumer({ groupId: `${org}.other-topic` });
    try {
      assertIncludes(await refusal(() => consume(consumer, otherTopic, 1)), 'TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses the agent a consumer group outside its org prefix', async () => {
    // kafkajs reports any FindCoordinator failure as KafkaJSGroupCoordinatorNotFound and keeps
    // the broker's reason only in its debug log, so capture that log to see the real refusal.
    const logged: unknown[] = [];
    const config: KafkaConfig = {
      ...noRetry(kafkaClientConfig(broker, 'agent')),
      logLevel: kafkajs.logLevel.DEBUG,
      logCreator:
        () =>
        ({ log }) => {
          if ((log as { error?: unknown }).error) logged.push((log as { error?: unknown }).error);
        },
    };
    const consumer = new Kafka(config).consumer({ groupId: `${otherOrg}.x` });
    try {
      assertIncludes(await refusal(() => consume(consumer, topic, 1)), 'KafkaJSGroupCoordinatorNotFound');
      assertIncludes(
        logged.flatMap((e) => describeError(e)),
        'GROUP_AUTHORIZATION_FAILED',
      );
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses the agent producing to its own topic', async () => {
    const producer = new Kafka(noRetry(kafkaClientConfig(broker, 'agent'))).producer();
    await producer.connect();
    try {
      assertIncludes(await refusal(() => producer.send({ topic, messages: [{ value: 'forged' }] })), 'TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses the agent creating a topic', async () => {
    const admin = new Kafka(noRetry(kafkaClientConfig(broker, 'agent'))).admin();
    await admin.connect();
    try {
      const facts = await refusal(() => admin.createTopics({ topics: [{ topic: `${org}.created-by-agent` }] }));
      assert.ok(
        facts.includes('TOPIC_AUTHORIZATION_FAILED') || facts.includes('CLUSTER_AUTHORIZATION_FAILED'),
        `expected an authorization failure in ${JSON.stringify(facts)}`,
      );
    } finally {
      await admin.disconnect();
    }
    const superAdmin = new Kafka(kafkaClientConfig(broker, 'admin')).admin();
    await superAdmin.connect();
    try {
      assert.ok(!(await superAdmin.listTopics()).includes(`${org}.created-by-agent`));
    } finally {
      await superAdmin.disconnect();
    }
  });

  it('rejects a wrong password', async () => {
    const config = noRetry(kafkaClientConfig(broker, 'agent'));
    const admin = new Kafka({
      ...config,
      sasl: { mechanism: 'scram-sha-512', username: broker.agent.username, password: 'wrong' },
    }).admin();
    try {
      assertIncludes(await refusal(() => admin.connect()), 'KafkaJSSASLAuthenticationError');
    } finally {
      await admin.disconnect();
    }
  });

  it('rejects a client that does not trust the broker CA', async () => {
    const admin = new Kafka({ ...noRetry(kafkaClientConfig(broker, 'admin')), ssl: true }).admin();
    try {
      const facts = await refusal(() => admin.connect());
      assert.ok(
        facts.includes('SELF_SIGNED_CERT_IN_CHAIN') || facts.includes('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'),
        `expected a certificate verification failure in ${JSON.stringify(facts)}`,
      );
    } finally {
      await admin.disconnect();
    }
  });

  after(() => {
    // Nothing to undo: topics and ACLs are namespaced by this run's unique org ids.
  });
});
