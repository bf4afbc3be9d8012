// Shapes shared by the Port API simulator, its control surface and the publisher.

export interface GithubInvocation {
  type: 'GITHUB';
  org: string;
  repo: string;
  workflow: string;
  workflowInputs?: Record<string, unknown>;
  /** A string too: Port's action schema allows "true"/"false". */
  reportWorkflowStatus?: boolean | string;
  omitPayload?: boolean;
  omitUserInputs?: boolean;
}

export type RunStatus = 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';
export type TerminalStatus = 'SUCCESS' | 'FAILURE';

export interface RunLogEntry {
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
}

export interface PortSim {
  url: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
  setKafkaCredentials(c: KafkaCredentials): void;
  createRun(spec: CreateRunSpec): SimPortRun;
  getRun(id: string): SimPortRun | undefined;
  runs(): SimPortRun[];
  fault(f: PortFaultSpec): () => void;
  clearFaults(): void;
  requests(): RequestLogEntry[];
  close(): Promise<void>;
}
