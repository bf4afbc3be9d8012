// Where `make stack-up` keeps its state, and the shape of stack.json: shared by the CLI
// (stack-cli.ts), the background process (stack-serve.ts) and their test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaUser } from './kafka-broker.js';

export const STACK_ORG = 'org_local';
export const STACK_GH_ORG = 'acme';

export function stackFiles(dir: string) {
  return {
    dir,
    stackJson: join(dir, 'stack.json'),
    pidFile: join(dir, 'stack.pid'),
    logFile: join(dir, 'stack.log'),
    agentConfig: join(dir, 'agent.yaml'),
    kafkaDir: join(dir, 'kafka'),
    secretsDir: join(dir, 'secrets'),
    privateKey: join(dir, 'secrets', 'github-app.pem'),
    githubToken: join(dir, 'secrets', 'github-token'),
    portClientSecret: join(dir, 'secrets', 'port-client-secret'),
  };
}

export interface StackInfo {
  pid: number;
  startedAt: string;
  readyMs: number;
  kafka: { brokers: string[]; caFile: string; admin: KafkaUser; agent: KafkaUser; topic: string; groupPrefix: string; dataDir: string };
  ghes: {
    url: string;
    apiUrl: string;
    appId: number;
    appSlug: string;
    privateKeyFile: string;
    token: string;
    tokenFile: string;
    org: string;
    repo: string;
    workflows: string[];
  };
  port: { url: string; orgId: string; clientId: string; clientSecret: string; clientSecretFile: string };
  agent: { configFile: string; metricsUrl: string };
}

export function readStackInfo(dir: string): StackInfo | undefined {
  try {
    return JSON.parse(readFileSync(stackFiles(dir).stackJson, 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}

/** True when pid is alive and is our stack process (not a recycled pid). */
export function isStackProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // EPERM: alive but someone else's, so not ours.
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('stack-serve');
  } catch {
    return true; // no /proc: trust the pid
  }
}
