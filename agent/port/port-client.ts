import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../util/backoff.js';
import type { FetchFn } from '../util/http-fetch.js';
import { createPortHttp } from './port-http.js';

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
 * Port's run routes and Kafka credentials, on PortHttp. Reads ask for `version=v2`, as Port's
 * API description asks on GET /v1/actions/runs/{run_id} and GET /v1/actions/runs ("Please use
 * `v2` for the latest version of the API"), and as Ocean's client does on its runs read. Writes
 * send no version, as Ocean's and port-agent's do: the description gives PATCH one body for both.
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
  const http = createPortHttp(deps);
  const runPath = (runId: string) => `/v1/actions/runs/${encodeURIComponent(runId)}`;

  return {
    async getRun(runId) {
      const res = await http.call('get_run', 'GET', `${runPath(runId)}?version=v2`);
      if (res.status === 404) {
        await res.text().catch(() => '');
        return undefined;
      }
      if (!res.ok) await http.fail('get_run', res);
      const body = (await res.json()) as { run?: PortRun };
      return body.run;
    },
    async patchRun(runId, patch) {
      const res = await http.call('patch_run', 'PATCH', runPath(runId), { body: patch });
      if (!res.ok) await http.fail('patch_run', res);
      await res.text().catch(() => '');
    },
    async addLog(runId, log) {
      const res = await http.call('add_log', 'POST', `${runPath(runId)}/logs`, { body: log });
      if (!res.ok) await http.fail('add_log', res);
      await res.text().catch(() => '');
    },
    async getKafkaCredentials() {
      const res = await http.call('kafka_credentials', 'GET', '/v1/kafka-credentials');
      if (!res.ok) await http.fail('kafka_credentials', res);
      const body = (await res.json()) as { credentials?: KafkaCredentials };
      const c = body.credentials;
      if (!c || !Array.isArray(c.brokers) || !c.username || !c.password) {
        throw new AgentError('port', 'Port /v1/kafka-credentials answered without brokers/username/password; set kafka.brokers, kafka.username and kafka.password instead.');
      }
      return c;
    },
  };
}
