import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import { type FetchFn, type HttpResponse, describeNetworkError } from '../util/http-fetch.js';

export interface PortRun {
  id: string;
  status: string;
  statusLabel?: string | null;
  link?: string | string[] | null;
  externalRunId?: string | null;
}

export interface PortPatch {
  status?: 'SUCCESS' | 'FAILURE';
  statusLabel?: string;
  link?: string | string[];
  summary?: string;
  externalRunId?: string;
}

export interface PortLog {
  message: string;
  terminationStatus?: 'SUCCESS' | 'FAILURE';
  statusLabel?: string;
}

export interface KafkaCredentials {
  brokers: string[];
  username: string;
  password: string;
}

export interface PortClient {
  getRun(runId: string): Promise<PortRun | undefined>;
  patchRun(runId: string, patch: PortPatch): Promise<void>;
  addLog(runId: string, log: PortLog): Promise<void>;
  getKafkaCredentials(): Promise<KafkaCredentials>;
}

/**
 * Port's REST API. Failures become AgentErrors: 5xx, 429 and network errors are retriable
 * (with retry-after when given), other 4xx are not and carry Port's body for the log. The
 * access token is cached until a minute before it expires, and renewed once on a 401.
 */
export function createPortClient(deps: {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch: FetchFn;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
}): PortClient {
  const host = new URL(deps.baseUrl).host;
  let token: { value: string; expiresAtMs: number } | undefined;
  let pendingToken: Promise<string> | undefined;

  async function send(operation: string, method: string, path: string, body?: unknown, auth = true): Promise<HttpResponse> {
    let res: HttpResponse;
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'ghes-agent' };
      if (auth) headers.authorization = `Bearer ${await accessToken()}`;
      res = await deps.fetch(`${deps.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      if (err instanceof AgentError) throw err;
      deps.metrics.portRequests.inc({ operation, outcome: 'network_error' });
      throw new AgentError('network', `Port API: ${describeNetworkError(err, host, 'port.caFile')}`, { retriable: true, cause: err });
    }
    deps.metrics.portRequests.inc({ operation, outcome: res.ok ? 'success' : `http_${Math.floor(res.status / 100)}xx` });
    return res;
  }

  async function fail(operation: string, res: HttpResponse): Promise<never> {
    const text = (await res.text().catch(() => '')).slice(0, 2000);
    const retryAfter = Number(res.headers.get('retry-after'));
    const retriable = res.status >= 500 || res.status === 429 || res.status === 408;
    if (!retriable) deps.logger.warn('Port API refused a request', { component: 'port', operation, status: res.status, body: text });
    throw new AgentError(res.status === 429 ? 'rate_limited' : 'port', `Port API ${operation} answered ${res.status}: ${text || res.statusText}`, {
      retriable,
      status: res.status,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    });
  }

  async function accessToken(): Promise<string> {
    if (token && deps.clock.now() < token.expiresAtMs) return token.value;
    pendingToken ??= (async () => {
      try {
        const res = await send('auth', 'POST', '/v1/auth/access_token', { clientId: deps.clientId, clientSecret: deps.clientSecret }, false);
        if (res.status === 401 || res.status === 403) {
          await res.text().catch(() => '');
          throw new AgentError('auth', 'Port rejected the client id/secret (401). Check port.clientId and port.clientSecret (Port → Settings → Credentials) and port.region.', {
            status: res.status,
          });
        }
        if (!res.ok) await fail('auth', res);
        const body = (await res.json()) as { accessToken?: string; expiresIn?: number };
        if (!body.accessToken) throw new AgentError('port', 'Port auth answered without accessToken', { retriable: true });
        const ttlMs = (body.expiresIn ?? 3600) * 1000;
        token = { value: body.accessToken, expiresAtMs: deps.clock.now() + Math.max(ttlMs - 60_000, ttlMs / 2) };
        return body.accessToken;
      } finally {
        pendingToken = undefined;
      }
    })();
    return pendingToken;
  }

  /** One call, renewing the token once if Port says it is no longer valid. */
  async function call(operation: string, method: string, path: string, body?: unknown): Promise<HttpResponse> {
    let res = await send(operation, method, path, body);
    if (res.status === 401) {
      await res.text().catch(() => '');
      token = undefined;
      res = await send(operation, method, path, body);
    }
    return res;
  }

  const runPath = (runId: string) => `/v1/actions/runs/${encodeURIComponent(runId)}`;

  return {
    async getRun(runId) {
      const res = await call('get_run', 'GET', runPath(runId));
      if (res.status === 404) {
        await res.text().catch(() => '');
        return undefined;
      }
      if (!res.ok) await fail('get_run', res);
      const body = (await res.json()) as { run?: PortRun };
      return body.run;
    },
    async patchRun(runId, patch) {
      const res = await call('patch_run', 'PATCH', runPath(runId), patch);
      if (!res.ok) await fail('patch_run', res);
      await res.text().catch(() => '');
    },
    async addLog(runId, log) {
      const res = await call('add_log', 'POST', `${runPath(runId)}/logs`, log);
      if (!res.ok) await fail('add_log', res);
      await res.text().catch(() => '');
    },
    async getKafkaCredentials() {
      const res = await call('kafka_credentials', 'GET', '/v1/kafka-credentials');
      if (!res.ok) await fail('kafka_credentials', res);
      const body = (await res.json()) as { credentials?: KafkaCredentials };
      const c = body.credentials;
      if (!c || !Array.isArray(c.brokers) || !c.username || !c.password) {
        throw new AgentError('port', 'Port /v1/kafka-credentials answered without brokers/username/password; set kafka.brokers, kafka.username and kafka.password instead.');
      }
      return c;
    },
  };
}
