// A real Prometheus server (Debian's build, unpacked by test/tools/install-prometheus.sh) for
// the monitoring tests: scrapes the given targets every second with the labels a Prometheus
// Operator ServiceMonitor gives them, loads a rules file, and answers its HTTP API on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';
import { PROMETHEUS_DIR } from '../tools/versions.js';

export const PROMETHEUS_BIN = join(PROMETHEUS_DIR, 'prometheus');

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  metricsPath?: string;
  labels: Record<string, string>;
}

export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PrometheusServer {
  url: string;
  /** Instant query; throws with Prometheus' own error (a parse error names the position). */
  query(expr: string, time?: number): Promise<PromResult[]>;
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<PromResult[]>;
  /** GET /api/v1/<path> as parsed JSON data. */
  api<T>(path: string): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: {
  targets: ScrapeTarget[];
  rulesYaml?: string;
  intervalSeconds?: number;
}): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`prometheus not found at ${PROMETHEUS_BIN}: run bash test/tools/install-prometheus.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-prometheus-'));
  const interval = `${opts.intervalSeconds ?? 1}s`;
  const ruleFiles: string[] = [];
  if (opts.rulesYaml) {
    writeFileSync(join(dir, 'rules.yaml'), opts.rulesYaml);
    ruleFiles.push(join(dir, 'rules.yaml'));
  }
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: opts.targets.map((t) => ({
      job_name: t.job,
      metrics_path: t.metricsPath ?? '/metrics',
      static_configs: [{ targets: [t.address], labels: t.labels }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const proc: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      '--web.enable-lifecycle',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${out}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  async function api<T>(path: string, params?: Record<string, string>): Promise<T> {
    const res = await fetch(`${url}/api/v1/${path}`, params ? { method: 'POST', body: new URLSearchParams(params) } : undefined);
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${body.errorType}: ${body.error}`);
    return body.data;
  }

  return {
    url,
    api: (path) => api(path),
    async query(expr, time) {
      const data = await api<{ result: PromResult[] }>('query', { query: expr, ...(time ? { time: String(time) } : {}) });
      return data.result;
    },
    async queryRange(expr, start, end, step) {
      const data = await api<{ result: PromResult[] }>('query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      });
      return data.result;
    },
    output: () => out,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
