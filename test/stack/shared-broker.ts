// One broker for every integration test file: the runner (test/run-tests.ts) starts it and
// names its connection details in GHES_AGENT_TEST_KAFKA; a test file run on its own starts a
// private broker instead, torn down when the process exits.
import { readFile } from 'node:fs/promises';
import { brokerInfo, startKafkaBroker, type KafkaBrokerInfo } from './kafka-broker.js';

export const TEST_KAFKA_ENV = 'GHES_AGENT_TEST_KAFKA';

// The one deliberate piece of module state: a file with several tests calling getTestBroker()
// must get one JVM (512 MiB heap each), not one per call.
let privateBroker: Promise<KafkaBrokerInfo> | undefined;

export async function getTestBroker(env: NodeJS.ProcessEnv = process.env): Promise<KafkaBrokerInfo> {
  const file = env[TEST_KAFKA_ENV];
  if (file) {
    const info = JSON.parse(await readFile(file, 'utf8')) as KafkaBrokerInfo;
    if (!Array.isArray(info.brokers) || !info.caPem || !info.admin?.password || !info.agent?.password) {
      throw new Error(`${TEST_KAFKA_ENV}=${file} does not hold broker connection details`);
    }
    return info;
  }
  // The broker's own exit hook kills the JVM and deletes its data dir when this process
  // ends, and it does not keep the event loop alive, so nothing more is needed here.
  privateBroker ??= startKafkaBroker({ log: (line) => process.stderr.write(`[kafka] ${line}\n`) }).then(brokerInfo);
  return privateBroker;
}
