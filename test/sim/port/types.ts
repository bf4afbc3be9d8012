// Shapes shared by the Port API simulator, its control surface and the publisher.
import type { SimEntity } from './routes-entities.js';

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

/**
 * An action's GitHub Ocean backend (port-docs templates/_backend-types-json.md): Port does not
 * publish these to Kafka; the integration installation named by `installationId` claims them
 * over HTTPS (port-integration-actions.md).
 */
export interface IntegrationInvocation {
  type: 'INTEGRATION_ACTION';
  installationId: string;
  integrationActionType: string;
  integrationActionExecutionProperties: {
    org?: unknown;
    repo?: unknown;
    workflow?: unknown;
    workflowInputs?: Record<string, unknown>;
    reportWorkflowStatus?: boolean;
    [key: string]: unknown;
  };
}

export type Invocation = GithubInvocation | IntegrationInvocation;

export type RunStatus = 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';
export type TerminalStatus = 'SUCCESS' | 'FAILURE';

export interface RunLogEntry {
  /** Port's runLog id. */
  id: string;
  message: string;
  at: string;
  /** Workflow-node run logs carry a level (INFO, WARN, ERROR, DEBUG). */
  level?: string;
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
  /** Action runs (r_…) or workflow-node runs (wfnr_…), served on different routes. */
  kind: 'action' | 'workflow-node';
  /**
   * Both kinds in one vocabulary, so tests count final statuses alike: a node run COMPLETED with
   * result SUCCESS is 'SUCCESS', with FAILED or CANCELLED 'FAILURE'.
   */
  status: RunStatus;
  statusLabel?: string;
  link?: string | string[];
  externalRunId?: string;
  summary?: string;
  actionIdentifier: string;
  blueprint?: string;
  invocation: Invocation;
  /** Workflow-node runs: the node's uid (claims' `exclude` names these), result, output, links. */
  nodeUid?: string;
  result?: 'SUCCESS' | 'FAILED' | 'CANCELLED';
  output?: Record<string, unknown>;
  links?: string[];
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  /** INTEGRATION_ACTION runs: the installation that executes them, and their claim state. */
  installationId?: string;
  /** True until acknowledged (port-agent's claimed runs carry pendingExecution and claimedUntil). */
  pendingExecution?: boolean;
  /** Epoch ms until which a claimed, unacknowledged run is invisible to other claims. */
  claimedUntil?: number;
  /** How often the run was handed out by a claim, and acknowledged (tests: re-offers, double acks). */
  claims?: number;
  acks?: number;
  logs: RunLogEntry[];
  /** Every accepted or refused write that reached this run. */
  history: RunWrite[];
  /** How many requests tried to set a terminal status (accepted or refused): tests assert no double reports. */
  statusWrites: number;
}

export interface CreateRunSpec {
  actionIdentifier?: string;
  blueprint?: string;
  invocation: Invocation;
  /** Workflow-node runs: the node uid (default node_<action identifier>). */
  nodeUid?: string;
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

/** An integration installation (GET/POST/PATCH /v1/integration). */
export interface SimIntegration {
  installationId: string;
  installationAppType?: string;
  title?: string | null;
  version?: string;
  actionsProcessingEnabled: boolean;
  config: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

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
  /**
   * 'status' only: carry the request out first, then answer the fault instead of the real answer
   * (a server that fails after the request took effect). Default: fail before it takes effect.
   */
  after?: boolean;
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
  /** The token's `isMachine` claim (default true: organization credentials; Ocean refuses others). */
  machineToken?: boolean;
  /** Integration records at start (GitHub Ocean installations). */
  integrations?: Array<Partial<SimIntegration> & { installationId: string }>;
  /** GET/POST/PATCH /v1/integration answer 403 (a token without the moderator/admin role). */
  integrationsForbidden?: boolean;
  /**
   * Writes (PATCH, log lines) to an integration run not yet acknowledged are refused with 422
   * (issue 24: "nobody has shown that Port accepts writes to an unacknowledged run"; Ocean always
   * acknowledges first, execution_manager.py _execute_run). A mode for tests of the agent's
   * fallback, not a documented behaviour of Port; off by default.
   */
  writesNeedAck?: boolean;
  /**
   * GET /v1/workflows/nodes/runs/{id} is served (default true). No source documents that read (the
   * agent's portApi.routes.nodeRun, INFERRED); false answers it 404 "Route … not found", as a Port
   * without it would, while PATCH and POST …/logs on that path (documented) go on. Ocean reads node
   * runs only by external id (the list route, served either way).
   */
  nodeRunIdRead?: boolean;
}

export interface PortSim {
  url: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
  /** `undefined`: Port has none to give (404). */
  setKafkaCredentials(c: KafkaCredentials | undefined): void;
  createRun(spec: CreateRunSpec): SimPortRun;
  integrations(): SimIntegration[];
  addIntegration(i: Partial<SimIntegration> & { installationId: string }): SimIntegration;
  /**
   * Another worker claims and acknowledges the run behind everyone's back: the next ack of it
   * answers 409 (a claim race), and nobody works on it.
   */
  ackElsewhere(runId: string): void;
  getRun(id: string): SimPortRun | undefined;
  /** Ends a run as a user would in Port's UI (or with their own API call), outside the agent. */
  endRun(runId: string, status: 'SUCCESS' | 'FAILURE', by?: string): void;
  runs(): SimPortRun[];
  /** Tokens issued so far answer 401 from now on (a client must renew). */
  revokeTokens(): void;
  fault(f: PortFaultSpec): () => void;
  clearFaults(): void;
  requests(): RequestLogEntry[];
  /** Entities written through the entity routes (routes-entities.ts). */
  entities(): SimEntity[];
  close(): Promise<void>;
}
