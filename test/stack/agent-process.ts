// Runs the real agent as a child process (`node --import tsx agent/main.ts --config FILE`),
// with its configuration written as YAML and its secrets as files, the way Kubernetes mounts them.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';
import type { LocalStack } from './local-stack.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface AgentProcess {
  proc: ChildProcess;
  metricsUrl: string;
  configFile: string;
  output(): string;
  lines(): Array<Record<string, unknown>>;
  waitReady(timeoutMs?: number): Promise<void>;
  waitExit(timeoutMs?: number): Promise<number | null>;
  metrics(): Promise<string>;
  stop(): Promise<number | null>;
  kill(): void;
}

export type AgentAuth = 'app' | 'token';

/** Config for the stack: Kafka credentials come from the Port simulator, as in production. */
export function agentConfig(
  stack: LocalStack,
  dir: string,
  opts: {
    auth?: AgentAuth;
    metricsPort: number;
    overrides?: Record<string, Record<string, unknown>>;
    mounts?: { secrets: string; caFile: string };
  },
) {
  const secretDir = join(dir, 'secrets');
  // Paths as the agent sees them: the host's, or the container's mount points.
  const secretPath = (name: string) => join(opts.mounts?.secrets ?? secretDir, name);
  const files: Record<string, string> = { 'port-client-secret': stack.port.clientSecret };
  const github: Record<string, unknown> = { url: stack.ghes.origin };
  if ((opts.auth ?? 'app') === 'app') {
    files['github-private-key'] = stack.ghes.app.privateKeyPem;
    github.appId = String(stack.ghes.app.appId);
    github.privateKeyFile = secretPath('github-private-key');
  } else {
    const token = `ghp_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    stack.ghes.addToken(token, { orgs: [stack.ghOrg], login: 'port-bot' });
    files['github-token'] = token;
    github.tokenFile = secretPath('github-token');
  }
  const config = {
    port: { orgId: stack.org, clientId: stack.port.clientId, clientSecretFile: secretPath('port-client-secret'), apiUrl: stack.port.url },
    kafka: { caFile: opts.mounts?.caFile ?? stack.broker.caFile, sessionTimeoutMs: 10000 },
    github: { ...github, correlationTimeoutSeconds: 20 },
    tracking: { pollIntervalSeconds: 0.5 },
    server: { host: '127.0.0.1', port: opts.metricsPort },
    log: { level: 'info' },
  } as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(opts.overrides ?? {})) config[section] = { ...(config[section] ?? {}), ...values };
  return { config, files, secretDir };
}

export async function startAgentProcess(
  stack: LocalStack,
  opts: {
    auth?: AgentAuth;
    overrides?: Record<string, Record<string, unknown>>;
    env?: Record<string, string>;
    configText?: string;
    echo?: boolean;
    /** Run the built container image (test/image/run-image.sh) instead of the source. */
    image?: string;
    /** Port of /metrics and the health endpoints; default a free one. */
    metricsPort?: number;
    /** Command-line arguments before --config, e.g. ['check']; in the image: node dist/agent/main.js ARGS. */
    args?: string[];
  } = {},
): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-test-'));
  const metricsPort = opts.metricsPort ?? (await freePort());
  const mounts = opts.image ? { secrets: '/etc/ghes-agent/secrets', caFile: '/etc/ghes-agent/ca/ca.crt' } : undefined;
  const { config, files, secretDir } = agentConfig(stack, dir, { auth: opts.auth, metricsPort, overrides: opts.overrides, mounts });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(secretDir, { recursive: true });
  // In the image the agent runs as uid 10001: the mounted files must be readable to it, as a Secret volume's are.
  for (const [name, content] of Object.entries(files)) writeFileSync(join(secretDir, name), content, { mode: opts.image ? 0o644 : 0o600 });
  const configFile = join(dir, 'agent.yaml');
  writeFileSync(configFile, opts.configText ?? stringify(config));
  const [command, args] = opts.image
    ? [
        'bash',
        [
          join(REPO_ROOT, 'test/image/run-image.sh'),
          '-i',
          opts.image,
          '-c',
          configFile,
          '-s',
          secretDir,
          '-a',
          stack.broker.caFile,
          ...(opts.args ? ['--', 'node', 'dist/agent/main.js', ...opts.args] : []),
        ],
      ]
    : [process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'agent/main.ts'), ...(opts.args ?? []), '--config', configFile]];
  const proc = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    if (opts.echo) process.stdout.write(d);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;

  const handle: AgentProcess = {
    proc,
    metricsUrl,
    configFile,
    output: () => out,
    lines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`agent exited with ${proc.exitCode}:\n${out.slice(-3000)}`);
        try {
          const res = await fetch(`${metricsUrl}/readyz`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`agent not ready after ${timeoutMs} ms:\n${out.slice(-3000)}`);
    },
    waitExit: (timeoutMs = 30_000) =>
      Promise.race([exited, new Promise<null>((_, rej) => setTimeout(() => rej(new Error('agent did not exit')), timeoutMs))]),
    async metrics() {
      return (await fetch(`${metricsUrl}/metrics`)).text();
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return Promise.race([exited, new Promise<number | null>((r) => setTimeout(() => (proc.kill('SIGKILL'), r(null)), 30_000))]);
    },
    kill() {
      proc.kill('SIGKILL');
    },
  };
  return handle;
}

/** The value of one sample of a metric in Prometheus text format (sum over matching samples). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{.*\})?\s+([-+\d.eE]+|NaN|[-+]Inf)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
