// stop()/start() keep the data (what broker-restart chaos tests rely on); destroy() removes it.
// Uses its own broker, not the shared one, because it takes the broker down.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { startKafkaBroker } from './kafka-broker.js';
import { createOrgTopic, kafkaClientConfig } from './kafka-org.js';

const { Kafka } = kafkajs;

describe('KafkaBroker lifecycle', () => {
  it('survives stop/start with its topics, messages and users, and destroy removes it', async () => {
    const broker = await startKafkaBroker();
    try {
      const topic = await createOrgTopic(broker, 'restart', { partitions: 2 });
      const producer = new Kafka(kafkaClientConfig(broker, 'admin')).producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'before restart' }] });
      await producer.disconnect();

      await broker.stop();
      const down = new Kafka({ ...kafkaClientConfig(broker, 'admin'), retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
      await assert.rejects(down.connect());
      await down.disconnect();

      await broker.start();
      // The agent's SCRAM user and ACLs live in the metadata log: they must survive too.
      const consumer = new Kafka(kafkaClientConfig(broker, 'agent')).consumer({ groupId: 'restart.g' });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const value = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message after restart')), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? '');
          },
        });
      });
      await consumer.disconnect();
      assert.equal(value, 'before restart');
    } finally {
      await broker.destroy();
    }
    assert.equal(existsSync(broker.dataDir), false);
  });
});
