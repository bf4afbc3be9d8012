// The relay in-process against the GHES and Port simulators (no broker): what the refusal tests
// need to mint GitHub OIDC tokens for simulated runs, give Port runs a recorded GitHub run, and
// read what Port received.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { RelayRule } from '../../agent/config/schema.js';
import { createLogger, createSecretScrubber } from '../../agent/observability/logger.js';
import { createMetrics } from '../../agent/observability/metrics.js';
import { createPortClient } from '../../agent/port/port-client.js';
import { createPortHttp } from '../../agent/port/port-http.js';
import { createOidcVerifier } from '../../agent/relay/oidc-verifier.js';
import { createRelayHandler } from '../../agent/relay/relay-handler.js';
import { type RelayServer, startRelayServer } from '../../agent/relay/relay-server.js';
import { createRepoRateLimit } from '../../agent/relay/repo-rate-limit.js';
import { createRunScope } from '../../agent/relay/run-scope.js';
import { ghesOriginsOf } from '../../agent/run/verify-recorded-run.js';
import { realClock } from '../../agent/util/backoff.js';
import { createFetch } from '../../agent/util/http-fetch.js';
import { startGhesSim } from '../sim/ghes/server.js';
import type { GhesSim, MintOptions } from '../sim/ghes/types.js';
import { startPortSim } from '../sim/port/server.js';
import type { PortSim, SimPortRun } from '../sim/port/types.js';
import { addSampleRepo } from '../stack/local-stack.js';

export const AUDIENCE = 'ghes-agent-relay-test';

export interface RelayFixture {
  ghes: GhesSim;
  port: PortSim;
  url: string;
  logLines: Array<Record<string, unknown>>;
  metrics: ReturnType<typeof createMetrics>;
  /** A GitHub run of acme/<repo>'s deploy.yml, and a Port run whose record names it (externalRunId and link). */
  linkedRun(repo?: string, record?: 'externalRunId' | 'link'): Promise<{ ghRunId: number; portRun: SimPortRun }>;
  token(ghRunId: number, opts?: Partial<MintOptions>): Promise<string>;
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; rawBody?: string },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Port's request log from `since` on, without the token POSTs and the relay's own run reads. */
  portWrites(since: number): Array<{ method: string; path: string; query?: string; body?: unknown; status: number }>;
  close(): Promise<void>;
}

export const DEFAULT_POLICY: RelayRule[] = [
  { repository: 'acme/infra', workflows: [], refs: [], environments: [], read: ['service', 'environment'], write: ['service'] },
];

export async function startRelayFixture(
  opts: {
    policy?: RelayRule[];
    maxBodyBytes?: number;
    perMinute?: number;
    deadlineMs?: number;
    jwksMinRefreshMs?: number;
    tls?: { certFile: string; keyFile: string };
  } = {},
): Promise<RelayFixture> {
  const ghes = await startGhesSim({ runAppearDelayMs: 0 });
  ghes.addInstallation('acme');
  addSampleRepo(ghes, 'acme', 'infra');
  addSampleRepo(ghes, 'acme', 'other');
  const port = await startPortSim({
    orgId: 'org_relay',
    clientId: 'client_relay',
    clientSecret: `secret_${randomBytes(18).toString('hex')}`,
  });
  const logLines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level: 'info', secrets: createSecretScrubber([port.clientSecret]), stream });
  const metrics = createMetrics({ defaultMetrics: false });
  const portHttp = createPortHttp({
    baseUrl: port.url,
    clientId: port.clientId,
    clientSecret: port.clientSecret,
    fetch: createFetch({ timeoutMs: 5000, name: 'port.caFile' }),
    clock: realClock,
    metrics,
    logger,
  });
  const portClient = createPortClient({ http: portHttp });
  const now = () => Date.now();
  const handle = createRelayHandler({
    verifier: createOidcVerifier({
      issuer: ghes.oidc.issuer(),
      audience: AUDIENCE,
      fetch: createFetch({ timeoutMs: 5000, name: 'github.caFile' }),
      now,
      minRefreshMs: opts.jwksMinRefreshMs ?? 0,
    }),
    portHttp,
    runScope: createRunScope({ getRun: (id) => portClient.getRun(id), ghesOrigins: ghesOriginsOf([ghes.origin, ghes.url]), now }),
    rate: createRepoRateLimit({ perMinute: opts.perMinute ?? 600, now }),
    policy: opts.policy ?? DEFAULT_POLICY,
    logger,
    now,
  });
  const server: RelayServer = await startRelayServer({
    host: '127.0.0.1',
    port: 0,
    tls: opts.tls,
    maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
    requestDeadlineMs: opts.deadlineMs ?? 10_000,
    handle,
    metrics,
    logger,
    now,
  });
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${server.port}`;

  return {
    ghes,
    port,
    url,
    logLines,
    metrics,
    async linkedRun(repo = 'infra', record = 'externalRunId') {
      const [ghRunId] = ghes.addRuns({
        owner: 'acme',
        repo,
        workflow: 'deploy.yml',
        actor: 'ghes-agent-sim[bot]',
        script: { conclusion: 'success', queuedMs: 100, durationMs: 600_000 },
      });
      const claims = decodeClaims(await ghes.oidc.mintForRun(ghRunId!, { audience: AUDIENCE }));
      const portRun = port.createRun({ invocation: { type: 'GITHUB', org: 'acme', repo, workflow: 'deploy.yml' } });
      // What the agent writes after the dispatch (run/process-message.ts; Port's GitHub integration alike).
      const link = `${ghes.origin}/acme/${repo}/actions/runs/${ghRunId}`;
      if (record === 'externalRunId') portRun.externalRunId = `gh_${claims.repository_owner_id}_${claims.repository_id}_${ghRunId}`;
      portRun.link = [link];
      return { ghRunId: ghRunId!, portRun };
    },
    token: (ghRunId, o = {}) => ghes.oidc.mintForRun(ghRunId, { audience: AUDIENCE, ...o }),
    async call(method, path, o = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
        body: o.rawBody ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    portWrites(since) {
      return port
        .requests()
        .slice(since)
        .filter((r) => r.route !== '/v1/auth/access_token' && !(r.method === 'GET' && r.route === '/v1/actions/runs/:id'))
        .map((r) => ({
          method: r.method,
          path: r.path,
          ...(r.query ? { query: r.query } : {}),
          ...(r.body !== undefined ? { body: r.body } : {}),
          status: r.status,
        }));
    },
    async close() {
      await server.close();
      await Promise.all([ghes.close(), port.close()]);
    },
  };
}

export function decodeClaims(token: string): Record<string, string> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, string>;
}
