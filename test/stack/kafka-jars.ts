import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

export const KAFKA_VERSION = '3.9.1';
export const REPO_ROOT = resolve(here, '../..');
export const DEFAULT_KAFKA_LIBS = join(REPO_ROOT, '.cache', `kafka-${KAFKA_VERSION}`, 'libs');

/** Ensure Kafka's jars are in the cache (downloads them from Maven Central once). Returns the libs dir. */
export async function ensureKafkaJars(libsDir = DEFAULT_KAFKA_LIBS, log: (line: string) => void = () => {}): Promise<string> {
  // Same marker fetch-jars.sh writes last: its presence means a complete download.
  if (existsSync(join(libsDir, '.complete'))) return libsDir;
  log(`downloading Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libsDir}`);
  try {
    await run(join(here, 'kafka', 'fetch-jars.sh'), [libsDir], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`fetching Kafka jars failed (needs mvn and Java 17 on PATH): ${e.message}\n${output}`, { cause: err });
  }
  return libsDir;
}
