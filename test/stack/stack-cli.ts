// make stack-up / make stack-down: the local stack in the background, for trying the agent by hand.
//   node --import tsx test/stack/stack-cli.ts up   [--dir .cache/stack]
//   node --import tsx test/stack/stack-cli.ts down [--dir .cache/stack]
//   node --import tsx test/stack/stack-cli.ts publish [--workflow deploy.yml] [--org acme] [--repo infra] [--inputs JSON] [--wait]
// `up` starts test/stack/stack-serve.ts detached, waits until it wrote stack.json, prints how to
// reach everything and exits 0 while the stack keeps running. `down` sends it SIGTERM and waits.
// `publish` creates a run in the Port simulator and puts its signed message on the org topic,
// as Port does when someone clicks an action; --wait prints the run once the agent reported it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { buildRunMessage, publishMessages, signRunMessage } from '../sim/publisher.js';
import type { SimPortRun } from '../sim/port/types.js';
import { tailOf } from './kafka-broker.js';
import { kafkaClientConfig } from './kafka-org.js';
import { type StackInfo, isStackProcess, readStackInfo, stackFiles } from './stack-files.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const READY_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 40_000;

const { values, positionals } = parseArgs({
  options: {
    dir: { type: 'string' },
    org: { type: 'string' },
    repo: { type: 'string' },
    workflow: { type: 'string' },
    inputs: { type: 'string' },
    wait: { type: 'boolean' },
  },
  allowPositionals: true,
});
const dir = resolve(values.dir ?? join(REPO_ROOT, '.cache/stack'));
const files = stackFiles(dir);
const show = (p: string): string => (p.startsWith(REPO_ROOT) ? relative(process.cwd(), p) || '.' : p);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordedPid(): number | undefined {
  try {
    const pid = Number(readFileSync(files.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function describe(info: StackInfo, elapsedMs: number | undefined): string {
  const agentCmd = `node --import tsx agent/main.ts --config ${show(info.agent.configFile)}`;
  return [
    `Local stack is up${elapsedMs === undefined ? '' : ` (ready in ${(elapsedMs / 1000).toFixed(1)} s)`}, pid ${info.pid}. Details: ${show(files.stackJson)}`,
    '',
    `Kafka    ${info.kafka.brokers.join(',')}  SASL_SSL SCRAM-SHA-512, CA ${show(info.kafka.caFile)}`,
    `         admin ${info.kafka.admin.username} / ${info.kafka.admin.password}`,
    `         agent ${info.kafka.agent.username} / ${info.kafka.agent.password} (ACLs: read ${info.kafka.topic}, groups ${info.kafka.groupPrefix}*)`,
    `GHES     ${info.ghes.url}  (API ${info.ghes.apiUrl}; control ${info.ghes.url}/_sim/)`,
    `         App id ${info.ghes.appId}, private key ${show(info.ghes.privateKeyFile)}, installed on ${info.ghes.org}`,
    `         PAT ${info.ghes.token} (file ${show(info.ghes.tokenFile)})`,
    `         repo ${info.ghes.org}/${info.ghes.repo}: ${info.ghes.workflows.join(', ')}`,
    `Port     ${info.port.url}  org ${info.port.orgId}, client ${info.port.clientId} / ${info.port.clientSecret} (control ${info.port.url}/_sim/)`,
    '',
    `Run the agent against it:  ${agentCmd}`,
    `  (config ${show(info.agent.configFile)}; metrics and health on ${info.agent.metricsUrl})`,
    `Publish a run:             node --import tsx test/stack/stack-cli.ts publish --workflow deploy.yml --wait`,
    `Stop it:                   make stack-down   (log: ${show(files.logFile)})`,
  ].join('\n');
}

async function up(): Promise<number> {
  const running = recordedPid();
  if (running !== undefined && isStackProcess(running)) {
    const info = readStackInfo(dir);
    process.stdout.write(
      info
        ? `${describe(info, undefined)}\n\nAlready running; nothing to do.\n`
        : `The stack is already starting (pid ${running}); see ${show(files.logFile)}.\n`,
    );
    return 0;
  }
  // Leftovers of a stack that died without `down`: the broker died with it (pdeathsig).
  cleanUp();
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const logFd = openSync(files.logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/stack/stack-serve.ts'), '--dir', dir], {
    cwd: REPO_ROOT,
    detached: true, // its own process group: it outlives this command and the terminal's ^C
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  if (child.pid === undefined) throw new Error('could not start the stack process');
  writeFileSync(files.pidFile, `${child.pid}\n`);
  let exitCode: number | null | undefined;
  child.once('exit', (code, signal) => (exitCode = code ?? (signal ? 128 : 1)));
  child.unref();
  process.stdout.write(`Starting the local stack (pid ${child.pid}; Kafka takes a while on a cold JVM)…\n`);

  while (Date.now() - t0 < READY_TIMEOUT_MS) {
    const info = readStackInfo(dir);
    if (info?.pid === child.pid) {
      process.stdout.write(`${describe(info, Date.now() - t0)}\n`);
      return 0;
    }
    if (exitCode !== undefined) {
      process.stderr.write(
        `The stack process exited (${exitCode}) before it was ready. ${show(files.logFile)}:\n${tailOf(files.logFile, 60)}\n`,
      );
      rmSync(files.pidFile, { force: true });
      return 1;
    }
    await sleep(250);
  }
  process.stderr.write(
    `The stack was not ready after ${READY_TIMEOUT_MS / 1000} s; stopping it. ${show(files.logFile)}:\n${tailOf(files.logFile, 60)}\n`,
  );
  await down();
  return 1;
}

/** Removes what a stack leaves behind, keeping the log of the last one. */
function cleanUp(): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name !== 'stack.log') rmSync(join(dir, name), { recursive: true, force: true });
  }
}

async function down(): Promise<number> {
  const pid = recordedPid();
  if (pid === undefined || !isStackProcess(pid)) {
    cleanUp();
    process.stdout.write('The local stack is not running.\n');
    return 0;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isStackProcess(pid) && Date.now() < deadline) await sleep(200);
  if (isStackProcess(pid)) {
    process.stderr.write(`pid ${pid} did not stop in ${STOP_TIMEOUT_MS / 1000} s; killing it (its broker dies with it).\n`);
    process.kill(pid, 'SIGKILL');
    while (isStackProcess(pid)) await sleep(100);
  }
  cleanUp();
  process.stdout.write(`Stopped the local stack (pid ${pid}).\n`);
  return 0;
}

async function publish(): Promise<number> {
  const info = readStackInfo(dir);
  if (!info) {
    process.stderr.write('The local stack is not running: make stack-up first.\n');
    return 1;
  }
  const invocation = {
    type: 'GITHUB' as const,
    org: values.org ?? info.ghes.org,
    repo: values.repo ?? info.ghes.repo,
    workflow: values.workflow ?? 'deploy.yml',
    workflowInputs: values.inputs ? (JSON.parse(values.inputs) as Record<string, unknown>) : {},
    reportWorkflowStatus: true,
  };
  const res = await fetch(`${info.port.url}/_sim/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ invocation }),
  });
  if (!res.ok) throw new Error(`Port simulator refused the run: ${res.status} ${await res.text()}`);
  const run = ((await res.json()) as { run: SimPortRun }).run;
  const msg = signRunMessage(buildRunMessage({ orgId: info.port.orgId, run }), info.port.clientSecret);
  const broker = {
    brokers: info.kafka.brokers,
    caPem: readFileSync(info.kafka.caFile, 'utf8'),
    caFile: info.kafka.caFile,
    admin: info.kafka.admin,
    agent: info.kafka.agent,
  };
  const producer = new kafkajs.Kafka(kafkaClientConfig(broker, 'admin', 'stack-cli-publish')).producer();
  await producer.connect();
  try {
    await publishMessages(producer, info.kafka.topic, [{ key: run.id, value: msg }]);
  } finally {
    await producer.disconnect();
  }
  const runUrl = `${info.port.url}/_sim/runs/${run.id}`;
  process.stdout.write(
    `Published run ${run.id}: ${invocation.org}/${invocation.repo} ${invocation.workflow}. Follow it: curl -s ${runUrl}\n`,
  );
  if (!values.wait) return 0;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const current = ((await (await fetch(runUrl)).json()) as { run: SimPortRun }).run;
    if (current.status !== 'IN_PROGRESS') {
      process.stdout.write(
        `${current.status}${current.link ? ` ${String(current.link)}` : ''}\n${current.logs.map((l) => `  ${l.message}`).join('\n')}\n`,
      );
      return current.status === 'SUCCESS' ? 0 : 3;
    }
    await sleep(500);
  }
  process.stderr.write(`run ${run.id} still IN_PROGRESS after 120 s: is the agent running?\n`);
  return 4;
}

const command = positionals[0];
if (command === 'up') process.exitCode = await up();
else if (command === 'down') process.exitCode = await down();
else if (command === 'publish') process.exitCode = await publish();
else {
  process.stderr.write('usage: node --import tsx test/stack/stack-cli.ts up|down|publish [--dir DIR] (see the top of this file)\n');
  process.exitCode = 2;
}
