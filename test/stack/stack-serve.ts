// The long-running half of `make stack-up` (started detached by stack-cli.ts, never by hand):
//   node --import tsx test/stack/stack-serve.ts --dir .cache/stack
// Starts Kafka (data in <dir>/kafka), the org topic, the GHES simulator with the sample repo and
// the Port simulator, writes <dir>/stack.json and <dir>/agent.yaml once all of them answer, and
// keeps them up until SIGTERM/SIGINT, when it stops them and deletes the broker's data.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startGhesSim } from '../sim/ghes/server.js';
import { startPortSim } from '../sim/port/server.js';
import { freePort } from './free-port.js';
import { startKafkaBroker } from './kafka-broker.js';
import { createOrgTopic } from './kafka-org.js';
import { addSampleRepo } from './local-stack.js';
import { STACK_ORG, STACK_GH_ORG, type StackInfo, stackFiles } from './stack-files.js';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
if (!values.dir) throw new Error('--dir is required');
const dir = resolve(values.dir);
const files = stackFiles(dir);
mkdirSync(files.secretsDir, { recursive: true, mode: 0o700 });
const log = (line: string): void => void process.stderr.write(`[stack] ${new Date().toISOString()} ${line}\n`);

/** Written whole or not at all: `up` polls for this file and must never read half of it. */
function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

const t0 = Date.now();
// A fresh broker each time: a data dir left by a killed stack holds a half-known state.
rmSync(files.kafkaDir, { recursive: true, force: true });
const broker = await startKafkaBroker({ dataDir: files.kafkaDir, log });
const topic = await createOrgTopic(broker, STACK_ORG);
log(`topic ${topic} ready`);

const ghes = await startGhesSim({ runAppearDelayMs: 200 });
ghes.addInstallation(STACK_GH_ORG);
addSampleRepo(ghes, STACK_GH_ORG);
const pat = `ghp_${randomBytes(18).toString('hex')}`;
ghes.addToken(pat, { orgs: [STACK_GH_ORG], login: 'port-bot' });

const port = await startPortSim({
  orgId: STACK_ORG,
  clientId: `client_${randomBytes(6).toString('hex')}`,
  clientSecret: `secret_${randomBytes(18).toString('hex')}`,
  kafka: { brokers: broker.brokers, username: broker.agent.username, password: broker.agent.password },
});

writeFileSync(files.privateKey, ghes.app.privateKeyPem, { mode: 0o600 });
writeFileSync(files.githubToken, pat, { mode: 0o600 });
writeFileSync(files.portClientSecret, port.clientSecret, { mode: 0o600 });

const metricsPort = await freePort();
// The agent gets Kafka from Port's /v1/kafka-credentials, as in production; only the CA of
// the throwaway broker has to be named.
const agentConfig = {
  port: { orgId: STACK_ORG, clientId: port.clientId, clientSecretFile: files.portClientSecret, apiUrl: port.url },
  kafka: { caFile: broker.caFile },
  github: { url: ghes.origin, appId: String(ghes.app.appId), privateKeyFile: files.privateKey },
  tracking: { pollIntervalSeconds: 2 },
  server: { host: '127.0.0.1', port: metricsPort },
  log: { level: 'info' },
};
writeFileSync(files.agentConfig, `# Written by make stack-up for the stack described in stack.json.\n${stringify(agentConfig)}`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  rmSync(files.stackJson, { force: true });
  await Promise.allSettled([ghes.close(), port.close()]);
  await broker.destroy().catch((err: Error) => log(`broker stop: ${err.message}`));
  log('stopped');
  process.exit(0);
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

const info: StackInfo = {
  pid: process.pid,
  startedAt: new Date(t0).toISOString(),
  readyMs: Date.now() - t0,
  kafka: {
    brokers: broker.brokers,
    caFile: broker.caFile,
    admin: broker.admin,
    agent: broker.agent,
    topic,
    groupPrefix: `${STACK_ORG}.`,
    dataDir: broker.dataDir,
  },
  ghes: {
    url: ghes.origin,
    apiUrl: ghes.url,
    appId: ghes.app.appId,
    appSlug: ghes.app.slug,
    privateKeyFile: files.privateKey,
    token: pat,
    tokenFile: files.githubToken,
    org: STACK_GH_ORG,
    repo: 'infra',
    workflows: ['deploy.yml', 'fail.yml', 'cancel.yml', 'skip.yml', 'approve.yml', 'no-run-name.yml', 'needs-env.yml'],
  },
  port: {
    url: port.url,
    orgId: STACK_ORG,
    clientId: port.clientId,
    clientSecret: port.clientSecret,
    clientSecretFile: files.portClientSecret,
  },
  agent: { configFile: files.agentConfig, metricsUrl: `http://127.0.0.1:${metricsPort}` },
};
writeAtomic(files.stackJson, JSON.stringify(info, null, 2) + '\n');
log(`ready in ${(info.readyMs / 1000).toFixed(1)} s`);

// The broker and the servers must not be what keeps this process alive: this timer is, so
// the process lives exactly until a signal.
setInterval(() => {}, 1 << 30);
