// The agent as it runs in production: compiled JavaScript under plain `node` (no tsx loader,
// whose transpiler would add its own memory to the measurement), with the local stack's
// configuration and secret files from test/stack/agent-process.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { agentConfig } from '../stack/agent-process.js';
import { freePort } from '../stack/free-port.js';
import type { LocalStack } from '../stack/local-stack.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BUILD_DIR = join(REPO_ROOT, '.cache', 'bench-build');

/** Compiles agent/ (and test/, which shares the tsconfig) into .cache/bench-build. */
export function buildAgent(): string {
  const res = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(REPO_ROOT, 'tsconfig.json'), '--outDir', BUILD_DIR],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  const main = join(BUILD_DIR, 'agent/main.js');
  if (!existsSync(main)) throw new Error(`bench: building the agent failed:\n${res.stdout}${res.stderr}`);
  return main;
}

export interface CompiledAgent {
  pid: number;
  output(): string;
  waitReady(timeoutMs?: number): Promise<void>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startCompiledAgent(
  main: string,
  stack: LocalStack,
  overrides: Record<string, Record<string, unknown>>,
  echo = false,
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<CompiledAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-bench-'));
  const metricsPort = await freePort();
  const { config, files, secretDir } = agentConfig(stack, dir, { auth: 'app', metricsPort, overrides });
  mkdirSync(secretDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(secretDir, name), content, { mode: 0o600 });
  const configFile = join(dir, 'agent.yaml');
  writeFileSync(configFile, stringify(config));
  const proc = spawn(process.execPath, [...nodeArgs, main, '--config', configFile], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
    if (echo) process.stderr.write(d);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${metricsPort}`;
  return {
    pid: proc.pid!,
    output: () => out,
    async waitReady(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`agent exited with ${proc.exitCode}:\n${out.slice(-3000)}`);
        const ok = await fetch(`${url}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`agent not ready after ${timeoutMs} ms:\n${out.slice(-3000)}`);
    },
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}
