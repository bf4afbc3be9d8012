import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainKafkaError } from '../../agent/kafka/consumer.js';

const settings = { topic: 'org_1.github.runs', groupId: 'other.x', username: 'agent', brokers: ['b:9196'] };

test('a refused group, which kafkajs reports as a missing coordinator, points at kafka.groupId', () => {
  const text = explainKafkaError(
    Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound' }),
    settings,
  );
  assert.match(text, /kafka\.groupId/);
  assert.match(text, /other\.x/);
});

test('topic ACL refusal names kafka.topic', () => {
  assert.match(
    explainKafkaError(Object.assign(new Error('Not authorized'), { type: 'TOPIC_AUTHORIZATION_FAILED' }), settings),
    /kafka\.topic/,
  );
});
