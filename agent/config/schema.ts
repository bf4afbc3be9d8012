/**
 * The one configuration schema (convict). Every key has an env override named mechanically
 * from its path: `GHES_AGENT_` + the path in UPPER_SNAKE (`port.clientSecretFile` →
 * `GHES_AGENT_PORT_CLIENT_SECRET_FILE`), so users never have to look an env name up.
 * Each secret has a sibling `…File` key so Kubernetes secret mounts work without env secrets.
 */
export function envNameFor(path: string): string {
  return (
    'GHES_AGENT_' +
    path
      .split('.')
      .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
      .join('_')
  );
}

type Leaf = {
  doc: string;
  format: unknown;
  default: unknown;
  sensitive?: boolean;
  env?: string;
  nullable?: boolean;
};
type Tree = { [key: string]: Leaf | Tree };

const str = (doc: string, def = '', extra: Partial<Leaf> = {}): Leaf => ({ doc, format: String, default: def, ...extra });
const secret = (doc: string): Leaf => ({ doc, format: String, default: '', sensitive: true });
const int = (doc: string, def: number, min = 0): Leaf => ({ doc, format: 'nat-min-' + min, default: def });
const bool = (doc: string, def: boolean): Leaf => ({ doc, format: 'strict-boolean', default: def });
const url = (doc: string, def = ''): Leaf => ({ doc, format: 'optional-url', default: def });
const oneOf = (doc: string, values: string[], def: string): Leaf => ({ doc, format: values, default: def });
const range = (doc: string, def: number, min: number, max: number): Leaf => ({ doc, format: `int-range-${min}-${max}`, default: def });
/** The ranges `range` may use; load.ts registers one convict format for each. */
export const INT_RANGES: Array<[number, number]> = [
  [1, 1000],
  [1, 100],
  [10_000, 600_000],
];
const route = (doc: string, def: string): Leaf => ({ doc, format: 'api-path', default: def });

export const schemaTree: Tree = {
  port: {
    orgId: str('Your Port organization id (required), e.g. org_AbC123. Topic and consumer group names start with it.', '', {
      format: 'required-string',
    }),
    clientId: str('Port API client id (required). Port → Settings → Credentials.', '', { format: 'required-string' }),
    clientSecret: secret('Port API client secret. Also used as the key that verifies X-Port-Signature.'),
    clientSecretFile: str('File holding the Port client secret (e.g. a mounted Kubernetes Secret); used when clientSecret is empty.'),
    region: oneOf("Port region, selects the API URL: 'eu' (https://api.port.io) or 'us' (https://api.us.port.io).", ['eu', 'us'], 'eu'),
    apiUrl: url("Port API base URL; overrides region (e.g. for a proxy or Port's legacy https://api.getport.io)."),
    caFile: str("PEM bundle of extra CAs trusted for Port's API, added to Node's defaults."),
    tlsInsecureSkipVerify: bool("Disable TLS verification for Port's API. Dangerous; logged loudly at start.", false),
    requestTimeoutMs: int("Timeout of one request to Port's API.", 15000, 100),
    requestDeadlineMs: int(
      "Time one answer of Port's API may take at most, from the request's start to the last byte of its body (requestTimeoutMs is an idle timer, restarted by every byte); past it the connection is closed and the call fails as retriable.",
      30000,
      100,
    ),
    maxResponseBytes: int(
      "Bytes of one answer of Port's API at most; past it the connection is closed and the call fails as retriable, so a broken or hostile answer cannot fill the memory. A claim answer carries up to portApi.claimBatchSize runs: lower that, or raise this, if claims hit it.",
      33554432,
      1024,
    ),
  },
  signature: {
    // Default 'required' (issue 23): Port signs every run message it publishes. port-agent, Port's
    // own consumer of these topics, refuses any run message without X-Port-Signature and
    // X-Port-Timestamp and has no setting to accept one (port-labs/port-agent
    // app/invokers/webhook_invoker.py validate_incoming_signature, since PR #26 of April 2024;
    // only change-log messages are exempt), and Port's docs say it signs each invocation
    // (docs.port.io actions-and-automations/setup-backend/webhook/signature-verification).
    mode: oneOf(
      "X-Port-Signature check: 'required' (reject unsigned: Port signs every run message), 'if-present' (check when present; unsigned messages are accepted, counted and logged once a minute), 'off'.",
      ['required', 'if-present', 'off'],
      'required',
    ),
    maxAgeSeconds: int(
      'Replay window: reject a signed message whose X-Port-Timestamp is further than this from the time it was written to the topic (its Kafka timestamp). Measured against the topic, not the clock, so a backlog after an outage and redelivered messages are still processed; 0 disables the window.',
      300,
    ),
  },
  kafka: {
    enabled: bool(
      "Serve Port's GitHub App backend: consume <orgId>.github.runs. false: no Kafka connection is opened and no Kafka credentials are needed (the HTTPS intake, portApi, alone).",
      true,
    ),
    brokers: {
      doc: "Kafka bootstrap brokers (host:port, comma separated in env). Empty: fetched from Port's /v1/kafka-credentials.",
      format: 'string-list',
      default: [],
    },
    username: str('Kafka SASL username. Empty: fetched from Port.'),
    password: secret('Kafka SASL password. Empty: fetched from Port.'),
    passwordFile: str('File holding the Kafka SASL password.'),
    topic: str("Topic with this agent's runs. Default: <port.orgId>.github.runs."),
    groupId: str('Consumer group; must start with "<port.orgId>." for Port\'s ACLs. Default: <port.orgId>.ghes-agent.'),
    clientId: str('Kafka client id.', 'ghes-agent'),
    ssl: bool('Use TLS to the brokers (Port: always).', true),
    caFile: str('PEM bundle of extra CAs trusted for the brokers.'),
    tlsInsecureSkipVerify: bool('Disable TLS verification for the brokers. Dangerous; logged loudly at start.', false),
    saslMechanism: oneOf('SASL mechanism.', ['scram-sha-512', 'scram-sha-256', 'plain'], 'scram-sha-512'),
    sessionTimeoutMs: int('Consumer session timeout.', 30000, 6000),
    maxMessageBytes: int('Messages larger than this are refused (counted, logged, committed).', 1048576, 1024),
  },
  portApi: {
    enabled: bool(
      "Serve Port's GitHub Ocean backend (INTEGRATION_ACTION runs with integrationActionType dispatch_workflow) and Port Workflows' node runs: claim them from Port's API over HTTPS for portApi.installationId. Needs a machine (organization) credential.",
      false,
    ),
    installationId: str(
      'The integration installation this agent executes for: the installationId your actions name (invocationMethod.installationId) and that claims carry.',
      'ghes-agent',
      { format: 'required-string' },
    ),
    integrationMode: oneOf(
      "'register': create the integration record in Port if it is missing (as Ocean does at start), and turn its actionsProcessingEnabled on. 'existing': execute for an installation that already exists (e.g. a self-hosted GitHub Ocean integration whose own actions processor is off); the record is only read.",
      ['register', 'existing'],
      'register',
    ),
    integrationType: str(
      "installationAppType of the record the agent registers: Port's UI offers GitHub Ocean installations to the GitHub Ocean backend.",
      'github-ocean',
    ),
    workflowNodeRuns: bool(
      'Also claim Port Workflows node runs (wfnr_…) of the installation. false if your organization does not use Port Workflows.',
      true,
    ),
    claimBatchSize: range(
      'Runs asked for in one claim, at most (fewer when the agent has less room: limits.maxInflightRuns and the dispatch stage).',
      100,
      1,
      1000,
    ),
    // Ocean's poll_check_interval_seconds default (port-ocean 0.56.2 config/settings.py).
    claimIntervalSeconds: {
      doc: "Seconds between claims while Port has nothing to hand out (Ocean's default, 10). The kinds of run take turns, so each is claimed every this many seconds times the kinds claimed; a kind whose batch came back full is claimed again at once.",
      format: 'positive-number',
      default: 10,
    },
    visibilityTimeoutMs: range(
      'How long a claimed run stays hidden from other claims. The agent acknowledges a run only once its dispatch is recorded in Port, and never dispatches after two thirds of this have passed since the claim: an unacknowledged run is offered again after it.',
      120000,
      10000,
      600000,
    ),
    maxActionSharePercent: range(
      "Fairness: an action (or workflow node) holding this share of the claimed runs waiting for dispatch is left out of the next claims (claim-pending's exclude), so one flooding action cannot starve the others. Ocean's max_runs_buffer_util_pct_per_action.",
      30,
      1,
      100,
    ),
    leaseSeconds: {
      doc: 'A claimed run this agent acknowledged belongs to it while its Port record keeps being written: a run not written for this long is taken over by any replica (its owner is presumed dead). The agent writes each run it holds at least every third of this.',
      format: 'nat-min-10',
      default: 600,
    },
    rediscoveryIntervalSeconds: {
      doc: 'Seconds between looks through Port for acknowledged runs of this installation that nobody works on (their replica died).',
      format: 'positive-number',
      default: 60,
    },
    reservedHeader: str(
      'Header Port requires on the claim and ack routes, sent with value "true" (Ocean renamed it once: ocean PR #2437).',
      'x-port-reserved-usage',
    ),
    routes: {
      claimActionRuns: route('Claim route for action runs.', '/v1/actions/runs/claim-pending'),
      ackActionRun: route('Acknowledge route for action runs (body {"runId"}).', '/v1/actions/runs/ack'),
      claimNodeRuns: route('Claim route for workflow-node runs.', '/v1/workflows/runs/claim-pending'),
      ackNodeRun: route('Acknowledge route for workflow-node runs (body {"nodeRunIdentifier"}).', '/v1/workflows/runs/ack'),
      nodeRun: route(
        'A workflow-node run: PATCH and POST …/logs (documented), GET (assumed; only for a run whose externalRunId is not known). {id} is the run id.',
        '/v1/workflows/nodes/runs/{id}',
      ),
      nodeRuns: route(
        "Workflow-node runs list: by external_run_id (Ocean's node-run read), and by installationId and status (assumed) for finding orphaned runs.",
        '/v1/workflows/nodes/runs',
      ),
    },
  },
  github: {
    url: url('Your GitHub Enterprise Server URL (required), e.g. https://github.example.com. The API is <url>/api/v3.'),
    apiUrl: url('REST API base URL, when not <github.url>/api/v3.'),
    appId: { doc: 'GitHub App id (GitHub App auth). Needs github.privateKey or github.privateKeyFile.', format: 'id-string', default: '' },
    privateKey: secret('GitHub App private key (PEM text).'),
    privateKeyFile: str('File holding the GitHub App private key (PEM).'),
    installationId: int('GitHub App installation id; 0 looks it up per organization.', 0),
    token: secret('Personal access token (token auth), used when no App is configured.'),
    tokenFile: str('File holding the personal access token.'),
    caFile: str('PEM bundle of extra CAs trusted for GHES (private CA).'),
    tlsInsecureSkipVerify: bool('Disable TLS verification for GHES. Dangerous; logged loudly at start.', false),
    requestTimeoutMs: int('Timeout of one request to GHES.', 30000, 100),
    requestDeadlineMs: int(
      "Time one answer of GHES may take at most, from the request's start to the last byte of its body (requestTimeoutMs is an idle timer, restarted by every byte); past it the connection is closed, its concurrency slot freed, and the call fails as retriable.",
      60000,
      100,
    ),
    maxResponseBytes: int(
      'Bytes of one answer of GHES at most (a page of 100 runs or jobs is well under 1 MB; job logs are read apart, up to insight.logMaxBytes); past it the connection is closed and the call fails as retriable.',
      16777216,
      1024,
    ),
    maxConcurrency: int('Concurrent requests to GHES at most.', 16, 1),
    maxDispatchesPerRepoPer10s: int(
      'Dispatches to one repository in any 10 s, at most; more wait their turn. GitHub Actions queues at most 500 runs per 10 s per repository; the rest of that budget is left to pushes and other triggers.',
      400,
      1,
    ),
    version: str('GHES version to assume (e.g. 3.19.0); empty detects it from GET /meta at start.'),
    runIdInput: str(
      'Workflow input that receives the Port run id, so a run-name can show it for correlation. Empty disables; dropped automatically for workflows that do not declare it.',
      'port_run_id',
    ),
    correlationTimeoutSeconds: int(
      'How long to look for the run a dispatch created (GHES < 3.21, or after an interrupted dispatch).',
      60,
      1,
    ),
    orgs: {
      doc: 'Organizations (globs, case-insensitive; comma separated in env) this agent serves. A run for another organization is left to the agent of the GHES that serves it: committed (Kafka) or left unacknowledged (HTTPS intake) with no report, counted as outcome="not_mine". Default: every organization.',
      format: 'string-list',
      default: ['*'],
    },
    catchAll: bool(
      'This agent answers for runs that no agent serves: a run for an organization outside github.orgs and outside github.otherAgentsOrgs is reported FAILURE with the reason. Mark exactly one agent of the topic so.',
      false,
    ),
    otherAgentsOrgs: {
      doc: 'With github.catchAll: the organizations (globs) the other agents on this topic serve; their runs are left to them (not_mine).',
      format: 'string-list',
      default: [],
    },
    logHosts: {
      doc: 'Host names (comma separated in env) the failure excerpt may download a job log from, besides GHES\'s own host. Empty: the storage host GHES names, unless it is or resolves to a loopback, link-local or cloud metadata address. Logs are read over https only, without credentials; a refused host is logged and counted (failure_excerpts_total outcome="refused") and the run\'s summary goes without the excerpt.',
      format: 'string-list',
      default: [],
    },
  },
  tracking: {
    mode: oneOf(
      "'batched' polls one conditional list per repository for all its runs (cost grows with repositories, not runs); 'naive' polls each run with a conditional GET (the baseline).",
      ['batched', 'naive'],
      'batched',
    ),
    pollIntervalSeconds: {
      doc: 'Base poll interval: per repository (batched) or per run (naive).',
      format: 'positive-number',
      default: 10,
    },
    idleIntervalMultiplier: int(
      'Batched: a repository whose runs all sit queued or waiting for approval is polled less often after each quiet poll, up to this many poll intervals.',
      6,
      1,
    ),
    statusSweepMultiplier: int(
      "Batched: every this many poll intervals a repository's list shows all statuses (Port status lines: queued, waiting for approval, in progress, re-run) instead of completed runs only.",
      3,
      1,
    ),
    // GitHub cancels a workflow run after 35 days, approvals and waiting included; environment
    // approvals may wait 30 days and self-hosted jobs run up to 5 (GitHub's "Limits in GitHub
    // Actions" and "Usage limits for self-hosted runners"). A day more, so GitHub's own verdict
    // (cancelled) always comes first and this stays a backstop.
    maxWaitSeconds: int(
      "Report FAILURE when a run has not completed after this long (the GHES run is left alone). Default 36 days: GitHub cancels a run after 35 (approvals may wait 30 days, self-hosted jobs run 5). The run's Kafka message stays uncommitted meanwhile: if the topic's retention deletes it and the agent then restarts, the run is not resumed.",
      3_110_400,
      1,
    ),
    cancelOnTimeout: bool(
      'When tracking.maxWaitSeconds runs out, also cancel the GHES run (then force-cancel it if the cancel does not take).',
      false,
    ),
    cancelGraceSeconds: range('After a cancel, seconds to wait for the GHES run to end before a force-cancel (GHES >= 3.17).', 60, 1, 1000),
    portCheckSeconds: int(
      "Each tracked run's Port record is read this often to notice a run ended in Port (then its GHES run is cancelled); 0 turns the reads off (a refused final report still counts).",
      120,
    ),
    portChecksPerMinute: int(
      'All those reads together, at most, per minute: with more runs than this many per portCheckSeconds, each run is read less often.',
      60,
      1,
    ),
  },
  insight: {
    jobProgress: bool(
      "A Port log line when a job starts and when it ends (name, conclusion, duration), read at the status sweep's pace while a run is in progress (one conditional jobs request per run per sweep).",
      true,
    ),
    jobReadsPerMinute: int(
      "All job progress's jobs requests together, at most, per minute (bursts of ten seconds' worth): with more runs in progress than this many per status sweep, each run's jobs are read less often and its job lines come later; 0: no budget.",
      60,
    ),
    approvals: bool(
      'When a run waits on a protected environment, one Port log line naming the environment(s), who can approve and the review link (one pending_deployments request per waiting run).',
      true,
    ),
    failureExcerpt: bool(
      "When a run fails: a log line per failed job and step with its link, and the last lines of the first failed step's log in the run's summary (one jobs request and one log download per failed run).",
      true,
    ),
    excerptLines: range("Lines of the failed step's log kept in the excerpt, at most.", 20, 1, 100),
    excerptMaxBytes: int('Bytes of the excerpt at most (Port caps a run summary).', 4000, 100),
    logMaxBytes: int('Bytes of a job log read at most; the download stops there.', 2_000_000, 1024),
    excerptTimeoutSeconds: range(
      'Time the excerpt may take at most (jobs list, log redirect and download); past it the final status goes without it.',
      10,
      1,
      100,
    ),
  },
  policy: {
    allow: {
      doc: 'Allowlist of {org, repo, workflow, refs, actions} rules (globs; actions: the Port action types the rule allows, default ["dispatch_workflow"]; workflow and refs apply to dispatch_workflow only). Empty: dispatch_workflow everywhere, no other type. JSON in env.',
      format: 'policy-rules',
      default: [],
    },
  },
  relay: {
    enabled: bool(
      "Serve the relay (docs/relay.md): the part of Port's API that port-labs/port-github-action calls, on its own listener, so workflows on GHES report to Port through the agent with their GitHub OIDC token instead of Port's client secret.",
      false,
    ),
    host: str("Address of the relay's listener.", '0.0.0.0'),
    port: int("Port of the relay's listener (the workflow's baseUrl points at it).", 8443, 1),
    tlsCertFile: str(
      'PEM certificate (chain) the relay serves; with relay.tlsKeyFile. Empty: plain HTTP, for a listener behind a TLS-terminating Ingress only (the OIDC token is a bearer credential).',
    ),
    tlsKeyFile: str('PEM private key of relay.tlsCertFile.'),
    audience: str(
      "The audience (aud) the workflow asks GHES's OIDC for (core.getIDToken(audience)); a token for any other audience is refused.",
      'ghes-agent',
      { format: 'required-string' },
    ),
    oidcIssuer: url(
      "Issuer (iss) of the workflows' OIDC tokens, whose JWKS verifies them. Default: GHES's, <github.url's origin>/_services/token (https://HOST/_services/token).",
    ),
    policy: {
      doc: "Which workflows may read and write which blueprints: a list of {repository, workflows, refs, environments, read, write}. repository: an owner/name glob (required); workflows (workflow file names such as deploy.yml), refs (refs/heads/main) and environments: glob lists matched against the token's claims, absent = any; read and write: blueprint globs (GET, SEARCH; UPSERT, BULK_UPSERT, DELETE). A run is written only by the workflow run its Port record names, whatever the policy. Empty: no entity access at all. JSON in env.",
      format: 'relay-policy',
      default: [],
    },
    maxBodyBytes: int(
      'Bytes of one request body at most; larger ones are refused with 413 before anything is read from Port.',
      1048576,
      1024,
    ),
    requestDeadlineMs: int("Time one relay request may take at most, Port's answer included; past it the caller gets 504.", 30000, 100),
    requestsPerRepoPerMinute: int(
      "Requests one repository (by the token's repository_id) may make in any minute, at most; more get 429, so a runaway workflow cannot spend the agent's Port budget for everyone.",
      600,
      1,
    ),
  },
  limits: {
    maxInflightRuns: int('Runs tracked at once; the consumer pauses beyond it.', 10000, 1),
    maxQueuedReports: int('Reports to Port queued at once; the consumer pauses beyond it.', 100000, 10),
  },
  server: {
    host: str('Address of the metrics and health server.', '0.0.0.0'),
    port: int('Port of the metrics and health server (/metrics, /livez, /readyz).', 9090),
  },
  log: {
    level: oneOf('Log level.', ['error', 'warn', 'info', 'debug'], 'info'),
  },
};

/** Adds `env` to every leaf; convict wants it in the schema. */
export function withEnv(tree: Tree, prefix = ''): Tree {
  const out: Tree = {};
  for (const [key, node] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out[key] = isLeaf(node) ? { ...node, env: envNameFor(path) } : withEnv(node, path);
  }
  return out;
}

export function isLeaf(node: Leaf | Tree): node is Leaf {
  return typeof (node as Leaf).doc === 'string' && 'default' in node;
}

/** Every leaf as [path, leaf], for the generated reference and the masking of secrets. */
export function leaves(tree: Tree = schemaTree, prefix = ''): Array<[string, Leaf]> {
  return Object.entries(tree).flatMap(([key, node]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isLeaf(node) ? [[path, node] as [string, Leaf]] : leaves(node, path);
  });
}

/** A rule that does not name its action types allows dispatch_workflow only (issue 24: upgrading changes nothing). */
export const DEFAULT_POLICY_ACTION = 'dispatch_workflow';

export interface PolicyRule {
  org: string;
  repo: string;
  workflow: string;
  refs: string[];
  /** The Port action types (integrationActionType) the rule allows; dispatch_workflow alone when absent (evaluate-policy.ts). */
  actions?: string[];
}

/** One relay policy rule (relay.policy), every absent list filled in by the loader. */
export interface RelayRule {
  repository: string;
  workflows: string[];
  refs: string[];
  environments: string[];
  read: string[];
  write: string[];
}

export interface AgentConfig {
  port: {
    orgId: string;
    clientId: string;
    clientSecret: string;
    clientSecretFile: string;
    region: 'eu' | 'us';
    apiUrl: string;
    caFile: string;
    tlsInsecureSkipVerify: boolean;
    requestTimeoutMs: number;
    requestDeadlineMs: number;
    maxResponseBytes: number;
  };
  signature: { mode: 'required' | 'if-present' | 'off'; maxAgeSeconds: number };
  kafka: {
    enabled: boolean;
    brokers: string[];
    username: string;
    password: string;
    passwordFile: string;
    topic: string;
    groupId: string;
    clientId: string;
    ssl: boolean;
    caFile: string;
    tlsInsecureSkipVerify: boolean;
    saslMechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain';
    sessionTimeoutMs: number;
    maxMessageBytes: number;
  };
  portApi: {
    enabled: boolean;
    installationId: string;
    integrationMode: 'register' | 'existing';
    integrationType: string;
    workflowNodeRuns: boolean;
    claimBatchSize: number;
    claimIntervalSeconds: number;
    visibilityTimeoutMs: number;
    maxActionSharePercent: number;
    leaseSeconds: number;
    rediscoveryIntervalSeconds: number;
    reservedHeader: string;
    routes: { claimActionRuns: string; ackActionRun: string; claimNodeRuns: string; ackNodeRun: string; nodeRun: string; nodeRuns: string };
  };
  github: {
    url: string;
    apiUrl: string;
    appId: string;
    privateKey: string;
    privateKeyFile: string;
    installationId: number;
    token: string;
    tokenFile: string;
    caFile: string;
    tlsInsecureSkipVerify: boolean;
    requestTimeoutMs: number;
    requestDeadlineMs: number;
    maxResponseBytes: number;
    maxConcurrency: number;
    maxDispatchesPerRepoPer10s: number;
    version: string;
    runIdInput: string;
    correlationTimeoutSeconds: number;
    orgs: string[];
    catchAll: boolean;
    otherAgentsOrgs: string[];
    logHosts: string[];
  };
  tracking: {
    mode: 'batched' | 'naive';
    pollIntervalSeconds: number;
    idleIntervalMultiplier: number;
    statusSweepMultiplier: number;
    maxWaitSeconds: number;
    cancelOnTimeout: boolean;
    cancelGraceSeconds: number;
    portCheckSeconds: number;
    portChecksPerMinute: number;
  };
  insight: {
    jobProgress: boolean;
    jobReadsPerMinute: number;
    approvals: boolean;
    failureExcerpt: boolean;
    excerptLines: number;
    excerptMaxBytes: number;
    logMaxBytes: number;
    excerptTimeoutSeconds: number;
  };
  policy: { allow: PolicyRule[] };
  relay: {
    enabled: boolean;
    host: string;
    port: number;
    tlsCertFile: string;
    tlsKeyFile: string;
    audience: string;
    oidcIssuer: string;
    policy: RelayRule[];
    maxBodyBytes: number;
    requestDeadlineMs: number;
    requestsPerRepoPerMinute: number;
  };
  limits: { maxInflightRuns: number; maxQueuedReports: number };
  server: { host: string; port: number };
  log: { level: 'error' | 'warn' | 'info' | 'debug' };
}
