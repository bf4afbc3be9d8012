import type { AgentConfig } from '../../config/schema.js';
import type { GithubClients } from '../../github/github-client.js';
import type { IntegrationApi } from '../../port/integration-api.js';
import type { KafkaCredentials, PortClient } from '../../port/port-client.js';
import type { FetchFn } from '../../util/http-fetch.js';
import type { KafkaProbe, KafkaProbeSettings } from './kafka-probe.js';

/** What the checks use: the configuration, the agent's own clients, and what earlier checks learnt. */
export interface CheckContext {
  config: AgentConfig;
  now(): number;
  /** The fetch the agent uses for GHES (its CA, proxy, timeout). */
  githubFetch: FetchFn;
  github: GithubClients;
  /** The fetch the agent uses for Port's API. */
  portFetch: FetchFn;
  port: PortClient;
  /** The HTTPS intake's view of Port: the token's claims and the integration record. */
  portApi: { tokenClaims(): Promise<Record<string, unknown>>; integrations: IntegrationApi };
  /** Opens a Kafka admin connection with the agent's own client settings. */
  kafka(settings: KafkaProbeSettings): KafkaProbe;
  facts: {
    /** GHES's answer to the first request: the clock and version checks read it. */
    ghes?: { status: number; version?: string; date?: string; sentAtMs: number; receivedAtMs: number };
    kafkaCredentials?: KafkaCredentials;
    kafkaProbe?: KafkaProbe;
  };
}
