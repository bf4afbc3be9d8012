// Test runner behind `make test`: one real Kafka broker for the whole run, shared by every test
// file through GHES_AGENT_TEST_KAFKA, then node's own test runner over the chosen files.
//
//   node --import tsx test/run-tests.ts [files or dirs...]
//
// Default: every *.test.ts under test/ except test/chaos, test/bench (slow, run on purpose) and
// test/image (needs the image built by `make image`).
//
// The tests run on the Node that runs this file (process.execPath), and so does everything they
// start; `make` runs it on the Node of the image (.nvmrc, fetched into .cache/node). The first
// line printed says which Node that is and where it comes from.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerInfo, startKafkaBroker, type KafkaBroker } from './stack/kafka-broker.js';
import { TEST_KAFKA_ENV } from './stack/shared-broker.js';
import { NODE_CACHE, describeRunningNode, shippedNodeVersion } from './node/versions.js';

const testRoot = dirname(fileURLToPath(import.meta.url));
const EXCLUDED_BY_DEFAULT = ['chaos', 'bench', 'image'].map((d) => join(testRoot, d));

function findTestFiles(path: string, excluded: string[]): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return [path];
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.') || excluded.includes(full)) continue;
      found.push(...findTestFiles(full, excluded));
    } else if (entry.isFile() && entry.name.endsWith('.test.ts')) {
      found.push(full);
    }
  }
  return found;
}

function selectTestFiles(args: string[], cwd = process.cwd()): string[] {
  const roots = args.length > 0 ? args.map((a) => resolve(cwd, a)) : [testRoot];
  // Named dirs are searched in full; only the default run skips chaos and bench.
  const excluded = args.length > 0 ? [] : EXCLUDED_BY_DEFAULT;
  const files = roots.flatMap((root) => findTestFiles(root, excluded));
  return [...new Set(files)].sort();
}

// Files run two at a time by default: most of an integration file's time is spent waiting (for
// the broker, a poll interval, a process to stop), so two share the machine's two cores well.
// Every file makes its own topics, users, groups, ports and temp dirs, so they cannot see each
// other. GHES_AGENT_TEST_CONCURRENCY=1 runs them one by one (to rule out a neighbour's load).
const CONCURRENCY_ENV = 'GHES_AGENT_TEST_CONCURRENCY';
function testConcurrency(value: string | undefined): number {
  if (value === undefined || value === '') return 2;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new Error(`${CONCURRENCY_ENV} must be a whole number from 1 to 16, not ${JSON.stringify(value)}`);
  return n;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** The package a Node under .cache/node was fetched from, as fetch-node.sh's marker records it. */
function fetchedFrom(execPath: string): string | undefined {
  const rel = relative(NODE_CACHE, execPath);
  if (rel.startsWith('..')) return undefined;
  try {
    return readFileSync(join(NODE_CACHE, rel.split('/')[0]!, '.complete'), 'utf8').split(' ')[0];
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  console.log(describeRunningNode(process.execPath, process.version, shippedNodeVersion(), fetchedFrom(process.execPath)));
  let files: string[];
  let concurrency: number;
  try {
    concurrency = testConcurrency(process.env[CONCURRENCY_ENV]);
    files = selectTestFiles(process.argv.slice(2));
  } catch (err) {
    console.error(`run-tests: ${(err as Error).message}`);
    return 2;
  }
  if (files.length === 0) {
    console.error('run-tests: no *.test.ts files found');
    return 2;
  }

  const t0 = Date.now();
  let broker: KafkaBroker;
  try {
    broker = await startKafkaBroker({ log: (line) => console.log(`[kafka] ${line}`) });
  } catch (err) {
    console.error(`run-tests: the Kafka broker did not start: ${(err as Error).message}`);
    return 1;
  }
  console.log(`kafka: broker ${broker.brokers.join(',')} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const infoDir = mkdtempSync(join(tmpdir(), 'ghes-agent-test-kafka-'));
  const infoFile = join(infoDir, 'broker.json');
  writeFileSync(infoFile, JSON.stringify(brokerInfo(broker)), { mode: 0o600 });

  // The reporter Node 20 picked by itself (Node 23+ always picks spec): spec on a terminal, TAP
  // elsewhere, so that in CI logs the summary (# tests/pass/fail) stays the closing lines; spec
  // prints the failing tests again after its summary.
  const reporter = process.stdout.isTTY ? 'spec' : 'tap';
  console.log(`run-tests: ${files.length} files, ${concurrency} at a time (${CONCURRENCY_ENV})`);
  const nodeArgs = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-reporter=${reporter}`,
    ...files.map((f) => relative(process.cwd(), f) || f),
  ];
  // If this runner is killed outright, the kernel stops the tests too instead of leaving them
  // to time out against a broker that died with us.
  const [cmd, args] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, [TEST_KAFKA_ENV]: infoFile } });

  // Pass Ctrl-C/SIGTERM to the tests and still tear the broker down afterwards.
  let caught: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    caught = signal;
    child.kill(signal);
  };
  for (const s of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) process.on(s, forward);

  const code = await new Promise<number>((resolveExit) => {
    child.on('error', (err) => {
      console.error(`run-tests: could not run node --test: ${err.message}`);
      resolveExit(1);
    });
    child.on('exit', (exitCode, signal) => resolveExit(exitCode ?? (signal ? (SIGNAL_EXIT[signal] ?? 1) : 1)));
  });

  await broker.destroy();
  rmSync(infoDir, { recursive: true, force: true });
  if (caught) return SIGNAL_EXIT[caught] ?? 1;
  return code;
}

process.exitCode = await main();
