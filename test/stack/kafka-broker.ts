// A real Apache Kafka broker (KRaft, single node) for tests, the demo and the benchmark,
// secured as Port's is: clients only reach SASL_SSL with SCRAM-SHA-512, behind a throwaway CA.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { fixKafkajsIdleLoop } from '../../agent/kafka/kafkajs-idle-loop-fix.js';
import { generateCa, issueServerCert, LOOPBACK_SANS } from './certs.js';
import { freePort } from './free-port.js';
import { ensureKafkaJars } from './kafka-jars.js';
import { brokerProperties, LOG4J_PROPERTIES, type BrokerPorts } from './kafka-properties.js';
import { reapLeftoverBrokers, removePidRecord, writePidRecord } from './broker-leftovers.js';

const { Kafka, logLevel } = kafkajs;
const run = promisify(execFile);

export interface KafkaUser {
  username: string;
  password: string;
}

/** The serializable part of a broker: what a client needs to connect. */
export interface KafkaBrokerInfo {
  brokers: string[];
  caPem: string;
  caFile: string;
  admin: KafkaUser;
  agent: KafkaUser;
}

export interface KafkaBroker extends KafkaBrokerInfo {
  dataDir: string;
  /** Stop the JVM, keep data (for broker-restart chaos tests). */
  stop(): Promise<void>;
  /** Start again on the same ports and data; resolves when ready. */
  start(): Promise<void>;
  /** Stop and delete the data dir. */
  destroy(): Promise<void>;
  /** The broker JVM's process id while it runs (the bench reads its CPU time from /proc). */
  pid: () => number | undefined;
}

export interface StartKafkaBrokerOptions {
  /** Client (SASL_SSL) port; a free one by default. */
  port?: number;
  /** Defaults to a fresh dir under <tmp>/ghes-agent-kafka (removed on destroy and at exit). */
  dataDir?: string;
  /** Progress lines from the harness (not the broker's own log, which goes to <dataDir>/broker.log). */
  log?: (line: string) => void;
  /** How long to wait for readiness; default 90 s (a cold JVM on 2 cores is slow). */
  readyTimeoutMs?: number;
}

export const DEFAULT_BASE_DIR = join(tmpdir(), 'ghes-agent-kafka');
const ADVERTISED_HOST = 'localhost';
const HEAP = '512m';

export function brokerInfo(broker: KafkaBrokerInfo): KafkaBrokerInfo {
  const { brokers, caPem, caFile, admin, agent } = broker;
  return { brokers: [...brokers], caPem, caFile, admin: { ...admin }, agent: { ...agent } };
}

export function tailOf(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log)';
  }
}

interface Credentials {
  admin: KafkaUser;
  agent: KafkaUser;
}

function newPassword(): string {
  return randomBytes(18)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x');
}

// Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. About one in 32
// starts with '-', which is why it is passed as --cluster-id=<id>, never as a separate argument.
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export async function startKafkaBroker(opts: StartKafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = opts.log ?? (() => {});
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;

  const reaped = reapLeftoverBrokers(DEFAULT_BASE_DIR);
  if (reaped.killed.length > 0 || reaped.removed.length > 0) {
    log(`reaped leftover brokers: killed ${reaped.killed.join(', ') || 'none'}, removed ${reaped.removed.length} dir(s)`);
  }

  const libs = await ensureKafkaJars(undefined, log);

  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? join(DEFAULT_BASE_DIR, `broker-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dataDir, { recursive: true });
  const logDir = join(dataDir, 'kafka-logs');
  const logFile = join(dataDir, 'broker.log');
  const propsFile = join(dataDir, 'server.properties');
  const log4jFile = join(dataDir, 'log4j.properties');
  const keystoreFile = join(dataDir, 'tls', 'broker-keystore.pem');
  const credentialsFile = join(dataDir, 'credentials.json');

  const javaBase = [`-Dlog4j.configuration=file:${log4jFile}`, '-cp', join(libs, '*')];

  // Everything before the JVM runs: on failure, a data dir we created must not be left behind.
  async function prepare(): Promise<{ ports: BrokerPorts; caPem: string; caFile: string; credentials: Credentials }> {
    const ports: BrokerPorts = {
      client: opts.port ?? (await freePort()),
      internal: await freePort(),
      controller: await freePort(),
    };

    // Fresh TLS material on every start of a new broker; a restart (start()) keeps it.
    const ca = await generateCa(join(dataDir, 'tls'), 'ca');
    const cert = await issueServerCert(ca, join(dataDir, 'tls'), 'broker', LOOPBACK_SANS);
    writeFileSync(keystoreFile, cert.keyPem + cert.certPem + ca.certPem, { mode: 0o600 });

    writeFileSync(propsFile, brokerProperties({ ports, logDir, keystoreFile, advertisedHost: ADVERTISED_HOST }));
    writeFileSync(log4jFile, LOG4J_PROPERTIES);

    // SCRAM users are written into the metadata log at format time, so a formatted data dir
    // carries its passwords with it: keep them next to it to reuse the dir later.
    const formatted = existsSync(join(logDir, 'meta.properties'));
    let credentials: Credentials;
    if (formatted && existsSync(credentialsFile)) {
      credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
    } else if (formatted) {
      throw new Error(`${dataDir} holds a formatted broker but no ${credentialsFile}: cannot know its SCRAM passwords`);
    } else {
      credentials = {
        admin: { username: 'admin', password: newPassword() },
        agent: { username: 'agent', password: newPassword() },
      };
      writeFileSync(credentialsFile, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
    }

    if (!formatted) {
      const t0 = Date.now();
      try {
        await run(
          'java',
          [
            '-Xmx256m',
            '-XX:TieredStopAtLevel=1',
            ...javaBase,
            'kafka.tools.StorageTool',
            'format',
            '-c',
            propsFile,
            `--cluster-id=${newClusterId()}`,
            '--add-scram',
            `SCRAM-SHA-512=[name=${credentials.admin.username},password=${credentials.admin.password}]`,
            '--add-scram',
            `SCRAM-SHA-512=[name=${credentials.agent.username},password=${credentials.agent.password}]`,
          ],
          { maxBuffer: 16 * 1024 * 1024 },
        );
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`formatting Kafka storage failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
      }
      log(`formatted KRaft storage in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }

    return { ports, caPem: ca.certPem, caFile: ca.certFile, credentials };
  }

  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare();
  } catch (err) {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { ports, credentials } = prepared;

  const info: KafkaBrokerInfo = {
    brokers: [`${ADVERTISED_HOST}:${ports.client}`],
    caPem: prepared.caPem,
    caFile: prepared.caFile,
    admin: credentials.admin,
    agent: credentials.agent,
  };

  let child: ChildProcess | undefined;

  const jvmArgs = [
    `-Xms${HEAP}`,
    `-Xmx${HEAP}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    ...javaBase,
    'kafka.Kafka',
    propsFile,
  ];

  // setpriv --pdeathsig makes the kernel SIGKILL the JVM the moment this Node process dies,
  // even by kill -9, which no exit handler can catch. The pid file covers machines without it.
  const usePdeathsig = existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv');

  function killNow(): void {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  function spawnJvm(): ChildProcess {
    const fd = openSync(logFile, 'a');
    try {
      const [cmd, args] = usePdeathsig
        ? (['setpriv', ['--pdeathsig', 'KILL', '--', 'java', ...jvmArgs]] as const)
        : (['java', jvmArgs] as const);
      const proc = spawn(cmd, [...args], { stdio: ['ignore', fd, fd], cwd: dataDir });
      // The broker must not keep the owning process alive: tests end when their work ends,
      // and the exit hook below takes the JVM down with us.
      proc.unref();
      if (proc.pid === undefined) throw new Error('could not spawn java');
      writePidRecord(dataDir, { jvmPid: proc.pid, ownerPid: process.pid, dataDir });
      return proc;
    } finally {
      closeSync(fd);
    }
  }

  async function waitReady(proc: ChildProcess): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    let lastError = '';
    // The harness's first kafkajs client: without the 1 ms idle loop (and its Node 24 warning) too.
    fixKafkajsIdleLoop();
    const kafka = new Kafka({
      clientId: 'broker-readiness',
      brokers: info.brokers,
      ssl: { ca: [info.caPem] },
      sasl: { mechanism: 'scram-sha-512', username: info.admin.username, password: info.admin.password },
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 0 },
    });
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(
          `Kafka broker exited (${proc.exitCode ?? proc.signalCode}) before it was ready; log ${logFile}:\n${tailOf(logFile)}`,
        );
      }
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return;
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        await admin.disconnect().catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`Kafka broker not ready after ${readyTimeoutMs} ms (last error: ${lastError}); log ${logFile}:\n${tailOf(logFile)}`);
  }

  async function start(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const t0 = Date.now();
    const proc = spawnJvm();
    child = proc;
    // Keep the loop alive while we wait, so `await start()` cannot be cut short.
    proc.ref();
    try {
      await waitReady(proc);
    } catch (err) {
      killNow();
      throw err;
    } finally {
      proc.unref();
    }
    log(`Kafka ${info.brokers.join(',')} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (data ${dataDir})`);
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.ref();
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    // A clean shutdown keeps the data consistent for restart tests; do not hang on it.
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    removePidRecord(dataDir);
  }

  let destroyed = false;
  function cleanupSync(): void {
    killNow();
    if (ownsDataDir && !destroyed) rmSync(dataDir, { recursive: true, force: true });
  }
  const onExit = (): void => cleanupSync();
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanupSync();
    removeHooks();
    // Restore the default action (terminate) unless someone else handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  function removeHooks(): void {
    process.removeListener('exit', onExit);
    for (const s of signals) process.removeListener(s, onSignal);
  }
  // 'exit' also fires after an uncaught exception, so it covers that case too.
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);

  async function destroy(): Promise<void> {
    if (destroyed) return;
    await stop();
    removeHooks();
    destroyed = true;
    rmSync(dataDir, { recursive: true, force: true });
  }

  try {
    await start();
  } catch (err) {
    // The error already carries the log tail; a caller's own data dir is left for inspection.
    if (ownsDataDir) await destroy().catch(() => {});
    else removeHooks();
    throw err;
  }

  const pid = () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined);
  return { ...info, dataDir, start, stop, destroy, pid };
}
