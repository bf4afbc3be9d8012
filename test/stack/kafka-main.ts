// Runs the local Kafka broker as its own process (for `make stack-up` style use):
//   node --import tsx test/stack/kafka-main.ts [--port N] [--info-file path]
// Prints one JSON line (KafkaBrokerInfo plus dataDir and pid) on stdout once ready, writes
// the same to --info-file if given (what GHES_AGENT_TEST_KAFKA may point at), then keeps the
// broker up until SIGINT/SIGTERM, when it stops it and deletes its data.
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { brokerInfo, startKafkaBroker } from './kafka-broker.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'info-file': { type: 'string' },
  },
});
const port = values.port === undefined ? undefined : Number(values.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  throw new Error(`--port must be a TCP port number, got ${values.port}`);
}

const t0 = Date.now();
const broker = await startKafkaBroker({ port, log: (line) => process.stderr.write(`[kafka] ${line}\n`) });
const infoFile = values['info-file'];
const info = { ...brokerInfo(broker), dataDir: broker.dataDir, pid: process.pid };
if (infoFile) writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
process.stderr.write(`[kafka] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
process.stdout.write(`${JSON.stringify(info)}\n`);

// The broker does not hold the event loop open by itself; this timer does, until a signal.
const keepAlive = setInterval(() => {}, 1 << 30);
const stop = (): void => {
  clearInterval(keepAlive);
  void broker.destroy().finally(() => {
    if (infoFile) rmSync(infoFile, { force: true });
    process.exit(0);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
