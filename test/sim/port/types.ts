// Shapes shared by the Port API simulator, its control surface and the publisher.

export interface GithubInvocation {
  type: 'GITHUB';
  org: string;
  repo: string;
  workflow: string;
  workflowInputs?: Record<string, unknown>;
  reportWorkflowStatus?: boolean;
  omitPayload?: boolean;
  omitUserInputs?: boolean;
}

export type RunStatus = 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';
export type TerminalStatus = 'SUCCESS' | 'FAILURE';

export interface RunLogEntry {
  /** Port's runLog id. */
  id: string;
  message: string;
  at: string;
  terminationStatus?: string;
  statusLabel?: string;
}

export interface RunWrite {
  at: string;
  method: string;
  path: string;
  body: unknown;
  status: number;
}

export interface SimPortRun {
  id: string;
  status: RunStatus;
  statusLabel?: string;
  link?: string | string[];
  externalRunId?: string;
  summary?: string;
  actionIdentifier: string;
  blueprint?: string;
  invocation: GithubInvocation;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  /** INTEGRATION_ACTION runs: the installation that executes them, and their claim state. */
  installationId?: string;
  /** True until acknowledged (port-agent's claimed runs carry pendingExecution and claimedUntil). */
  pendingExecution?: boolean;
  /** Epoch ms until which a claimed, unacknowledged run is invisible to other claims. */
  claimedUntil?: number;
  logs: RunLogEntry[];
  /** Every accepted or refused write that reached this run. */
  history: RunWrite[];
  /** How many requests tried to set a terminal status (accepted or refused): tests assert no double reports. */
  statusWrites: number;
}

export interface CreateRunSpec {
  actionIdentifier?: string;
  blueprint?: string;
  invocation: GithubInvocation;
  /** Default: r_<16 random chars> (or wfnr_ for kind 'workflow-node'). */
  runId?: string;
  kind?: 'action' | 'workflow-node';
}

export interface KafkaCredentials {
  brokers: string[];
  username: string;
  password: string;
}

export type FaultKind = 'status' | 'latency' | 'outage' | 'reset';

export interface PortFaultSpec {
  /** A route template ('/v1/actions/runs/:id') or exact path when a string; tested against the path when a RegExp. */
  route?: string | RegExp;
  method?: string;
  kind: FaultKind;
  /** 'status': default 500; 'outage': default 503. */
  status?: number;
  latencyMs?: number;
  /** 0..1, default 1. */
  probability?: number;
  /** Apply at most this many times. */
  count?: number;
  /** Active for this long after being added ('outage' windows). */
  durationMs?: number;
  retryAfterS?: number;
  /** 'outage' only: destroy sockets instead of answering 503. */
  destroy?: boolean;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  route: string;
  /** 0 when the sim destroyed the socket instead of answering. */
  status: number;
  body?: unknown;
  /** The query string, without `?`. */
  query?: string;
  /** The answer's JSON body, with `recordResponses`. */
  response?: unknown;
  fault?: FaultKind;
}

export interface PortSimOptions {
  orgId: string;
  clientId: string;
  clientSecret: string;
  port?: number;
  /** Default 3600. */
  tokenTtlS?: number;
  kafka?: KafkaCredentials;
  /** Enforced when given (429 + retry-after); otherwise headers only, with a generous limit. */
  rateLimit?: { limit: number; windowMs: number };
  /** Injectable clock (ms since epoch) so expiry can be tested without sleeping. */
  now?: () => number;
  /** Injectable randomness for fault probability. */
  random?: () => number;
  /** Serve `externalRunId` in runs (default true). Port's description does not promise it. */
  servesExternalRunId?: boolean;
  /** Keep each answer's JSON body in the request log (schema checks of a whole test). */
  recordResponses?: boolean;
}

export interface PortSim {
  url: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
  /** `undefined`: Port has none to give (404). */
  setKafkaCredentials(c: KafkaCredentials | undefined): void;
  createRun(spec: CreateRunSpec): SimPortRun;
  getRun(id: string): SimPortRun | undefined;
  runs(): SimPortRun[];
  /** Tokens issued so far answer 401 from now on (a client must renew). */
  revokeTokens(): void;
  fault(f: PortFaultSpec): () => void;
  clearFaults(): void;
  requests(): RequestLogEntry[];
  close(): Promise<void>;
}
