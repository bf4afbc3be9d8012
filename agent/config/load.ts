import { isIP } from 'node:net';
import convict from 'convict';
import { parse as parseYaml } from 'yaml';
import { AgentError } from '../errors.js';
import { ACTION_TYPES } from '../types/run-request.js';
import {
  type AgentConfig,
  INT_RANGES,
  type PolicyRule,
  type RelayRule,
  envNameFor,
  isLeaf,
  leaves,
  schemaTree,
  withEnv,
} from './schema.js';

/** What loading needs from the outside world; tests pass fakes. */
export interface ConfigSources {
  argv: string[];
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
}

export interface LoadedConfig {
  config: AgentConfig;
  configFile: string | undefined;
  printConfig: boolean;
}

const PORT_API_URLS = { eu: 'https://api.port.io', us: 'https://api.us.port.io' } as const;

let formatsRegistered = false;
/** convict keeps formats in module state; registering is idempotent so loadConfig stays pure. */
function registerFormats(): void {
  if (formatsRegistered) return;
  formatsRegistered = true;
  registerRelayPolicyFormat();
  convict.addFormat({
    name: 'required-string',
    validate: (v: unknown) => {
      if (typeof v !== 'string' || v.trim() === '') throw new Error('is required');
    },
  });
  convict.addFormat({
    name: 'optional-url',
    validate: (v: unknown) => {
      if (v === '' || v === undefined) return;
      if (typeof v !== 'string') throw new Error('must be a URL string');
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new Error(`must be an absolute http(s) URL such as https://host.example.com, got "${v}"`);
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`must use https:// (or http://), got "${u.protocol}"`);
    },
  });
  // A boolean from env is true unless literally "false" in plain convict: refuse anything odd instead.
  convict.addFormat({
    name: 'strict-boolean',
    validate: (v: unknown) => {
      if (typeof v !== 'boolean') throw new Error(`must be true or false, got ${JSON.stringify(v)}`);
    },
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(s)) return true;
      if (['false', '0', 'no', ''].includes(s)) return false;
      return v;
    },
  });
  // Users write `appId: 12345`; YAML makes that a number, and it means the same id.
  convict.addFormat({
    name: 'id-string',
    validate: (v: unknown) => {
      if (typeof v !== 'string') throw new Error(`must be a numeric id, got ${JSON.stringify(v)}`);
    },
    coerce: (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v),
  });
  convict.addFormat({
    name: 'positive-number',
    validate: (v: unknown) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`must be a number > 0, got ${JSON.stringify(v)}`);
    },
    coerce: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
  });
  for (const min of [0, 1, 10, 100, 1024, 6000]) {
    convict.addFormat({
      name: `nat-min-${min}`,
      validate: (v: unknown) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
          throw new Error(`must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      },
      coerce: (v: unknown) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    });
  }
  for (const [min, max] of INT_RANGES) {
    convict.addFormat({
      name: `int-range-${min}-${max}`,
      validate: (v: unknown) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
          throw new Error(`must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      },
      coerce: (v: unknown) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    });
  }
  // A Port API route: an absolute path, `{id}` where the run id goes.
  convict.addFormat({
    name: 'api-path',
    validate: (v: unknown) => {
      if (typeof v !== 'string' || !/^\/[A-Za-z0-9/_{}.-]+$/.test(v))
        throw new Error(`must be a path such as /v1/actions/runs/claim-pending, got ${JSON.stringify(v)}`);
    },
  });
  convict.addFormat({
    name: 'string-list',
    validate: (v: unknown) => {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === ''))
        throw new Error('must be a list of non-empty strings');
    },
    coerce: (v: unknown) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
  });
  convict.addFormat({
    name: 'policy-rules',
    validate: (v: unknown) => {
      if (!Array.isArray(v)) throw new Error('must be a list of {org, repo, workflow, refs, actions} rules');
      v.forEach((rule: unknown, i) => {
        if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw new Error(`rule ${i} must be an object`);
        for (const key of Object.keys(rule)) {
          if (!['org', 'repo', 'workflow', 'refs', 'actions'].includes(key))
            throw new Error(`rule ${i} has unknown key "${key}" (allowed: org, repo, workflow, refs, actions)`);
        }
        for (const key of ['org', 'repo', 'workflow'] as const) {
          const value = (rule as Record<string, unknown>)[key];
          if (value !== undefined && (typeof value !== 'string' || value === ''))
            throw new Error(`rule ${i}.${key} must be a non-empty glob string`);
        }
        const refs = (rule as Record<string, unknown>).refs;
        if (refs !== undefined && (!Array.isArray(refs) || refs.some((r) => typeof r !== 'string' || r === ''))) {
          throw new Error(`rule ${i}.refs must be a list of glob strings`);
        }
        const actions = (rule as Record<string, unknown>).actions;
        if (
          actions !== undefined &&
          (!Array.isArray(actions) || actions.length === 0 || actions.some((a) => !(ACTION_TYPES as readonly unknown[]).includes(a)))
        ) {
          throw new Error(`rule ${i}.actions must be a non-empty list of action types (${ACTION_TYPES.join(', ')})`);
        }
      });
    },
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    },
  });
}

const RELAY_RULE_KEYS = ['repository', 'workflows', 'refs', 'environments', 'read', 'write'];

/** relay.policy: a list of rules, each with a repository glob and only glob lists besides. */
function registerRelayPolicyFormat(): void {
  convict.addFormat({
    name: 'relay-policy',
    validate: (v: unknown) => {
      if (!Array.isArray(v)) throw new Error('must be a list of {repository, workflows, refs, environments, read, write} rules');
      (v as unknown[]).forEach((rule, i) => {
        if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw new Error(`rule ${i} must be an object`);
        for (const key of Object.keys(rule)) {
          if (!RELAY_RULE_KEYS.includes(key))
            throw new Error(`rule ${i} has unknown key "${key}" (allowed: ${RELAY_RULE_KEYS.join(', ')})`);
        }
        const r = rule as Record<string, unknown>;
        if (typeof r.repository !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(r.repository))
          throw new Error(`rule ${i}.repository must be an owner/name glob such as acme/* (required)`);
        for (const key of RELAY_RULE_KEYS.slice(1)) {
          const list = r[key];
          if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')))
            throw new Error(`rule ${i}.${key} must be a list of glob strings`);
        }
      });
    },
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    },
  });
}

function parseArgs(argv: string[]): { configFile: string | undefined; printConfig: boolean } {
  let configFile: string | undefined;
  let printConfig = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config' || arg === '-c') {
      configFile = argv[++i];
      if (!configFile) throw new AgentError('config', '--config needs a file path: ghes-agent --config /etc/ghes-agent/agent.yaml');
    } else if (arg.startsWith('--config=')) {
      configFile = arg.slice('--config='.length);
    } else if (arg === '--print-config') {
      printConfig = true;
    } else {
      throw new AgentError(
        'config',
        `unknown argument "${arg}". Usage: ghes-agent [run|check] [--config FILE] [--print-config]; ghes-agent --help lists everything`,
      );
    }
  }
  return { configFile, printConfig };
}

/** Names every key of the file the schema does not know, with a hint, before convict sees it. */
function unknownKeys(obj: unknown, tree: Record<string, unknown> = schemaTree, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const node = tree[key] as Parameters<typeof isLeaf>[0] | undefined;
    if (!node) {
      const known = Object.keys(tree).join(', ');
      problems.push(
        `${path}: unknown key. Check its spelling; keys allowed here: ${known} (every key is documented in config/agent.example.yaml).`,
      );
    } else if (!isLeaf(node)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${path}: must be a section (a map of keys), got ${JSON.stringify(value)}.`);
      } else {
        problems.push(...unknownKeys(value, node, path));
      }
    }
  }
  return problems;
}

/** convict coerces env values only: a YAML number where the schema wants an id string is the same id. */
function numericIdsAsStrings(data: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(data);
  for (const [path, leaf] of leaves()) {
    if (leaf.format !== 'id-string') continue;
    const [section, key] = path.split('.') as [string, string];
    const parent = out[section] as Record<string, unknown> | undefined;
    if (parent && typeof parent[key] === 'number' && Number.isSafeInteger(parent[key])) parent[key] = String(parent[key]);
  }
  return out;
}

function fail(problems: string[]): never {
  throw new AgentError('config', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
}

/**
 * Loads, validates and resolves the configuration: defaults < YAML file < env. A pure function
 * of its sources, so tests pass a fake env and file reader. Throws AgentError('config') naming
 * every bad key and how to fix it; the caller exits 2 before connecting anywhere.
 */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  registerFormats();
  const { configFile: argFile, printConfig } = parseArgs(sources.argv);
  const configFile = argFile ?? (sources.env.GHES_AGENT_CONFIG || undefined);

  // Env names are derived from key paths; a GHES_AGENT_ variable that matches no key is a typo.
  const knownEnv = new Set(leaves().map(([path]) => envNameFor(path)));
  knownEnv.add('GHES_AGENT_CONFIG');
  const problems: string[] = [];
  for (const name of Object.keys(sources.env)) {
    if (name.startsWith('GHES_AGENT_') && !knownEnv.has(name)) {
      problems.push(
        `env ${name}: not a configuration key. Env names are GHES_AGENT_ + the key path in UPPER_SNAKE (e.g. GHES_AGENT_PORT_CLIENT_ID).`,
      );
    }
  }

  const conf = convict(withEnv(schemaTree) as never, { env: sources.env, args: [] });
  if (configFile) {
    let text: string;
    try {
      text = sources.readFile(configFile);
    } catch (err) {
      fail([
        `cannot read config file ${configFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Check the path given by --config or GHES_AGENT_CONFIG.`,
      ]);
    }
    let data: unknown;
    try {
      data = parseYaml(text) ?? {};
    } catch (err) {
      fail([`config file ${configFile} is not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
    }
    if (typeof data !== 'object' || Array.isArray(data))
      fail([`config file ${configFile} must hold a YAML map of sections (port, github, kafka, …).`]);
    problems.push(...unknownKeys(data));
    if (problems.length === 0) conf.load(numericIdsAsStrings(data as Record<string, unknown>));
  }
  if (problems.length) fail(problems);

  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    fail(
      (err as Error).message
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const m = /^([\w.]+): (.*?)(?:: value was .*)?$/.exec(line);
          if (!m) return line;
          const [, path, why] = m;
          return `${path}: ${why}. Set it in the config file (${path}) or env ${envNameFor(path!)}.`;
        }),
    );
  }

  const config = conf.getProperties() as AgentConfig;
  return { config: resolve(config, sources), configFile, printConfig };
}

/** Derived defaults, secrets read from files, and the rules that span several keys. */
function resolve(c: AgentConfig, sources: ConfigSources): AgentConfig {
  const problems: string[] = [];
  const fromFile = (value: string, file: string, key: string): string => {
    if (value || !file) return value;
    try {
      return sources.readFile(file).trim();
    } catch (err) {
      problems.push(
        `${key}File: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Mount the secret there or fix the path.`,
      );
      return '';
    }
  };
  const port = { ...c.port, clientSecret: fromFile(c.port.clientSecret, c.port.clientSecretFile, 'port.clientSecret') };
  port.apiUrl = (port.apiUrl || PORT_API_URLS[port.region]).replace(/\/+$/, '');
  if (!port.clientSecret)
    problems.push(
      `port.clientSecret: is required. Set port.clientSecret, port.clientSecretFile, or env ${envNameFor('port.clientSecret')}.`,
    );

  const github = {
    ...c.github,
    privateKey: fromFile(c.github.privateKey, c.github.privateKeyFile, 'github.privateKey'),
    token: fromFile(c.github.token, c.github.tokenFile, 'github.token'),
  };
  if (!github.url && !github.apiUrl)
    problems.push(
      `github.url: is required, e.g. https://github.example.com. Set it in the config file or env ${envNameFor('github.url')}.`,
    );
  github.apiUrl = (github.apiUrl || `${github.url.replace(/\/+$/, '')}/api/v3`).replace(/\/+$/, '');
  // Host names only: a URL or a host:port here would never match the storage host GHES names.
  const badLogHost = github.logHosts.find(
    (h) =>
      !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(h) &&
      isIP(h.replace(/^\[(.*)\]$/, '$1')) === 0,
  );
  if (badLogHost !== undefined)
    problems.push(
      `github.logHosts: "${badLogHost.slice(0, 100)}" is not a host name (give names such as storage.example.com, without scheme, port or path).`,
    );
  if (github.appId) {
    if (!/^\d+$/.test(github.appId))
      problems.push(`github.appId: must be the numeric App id shown on the App's settings page, got "${github.appId}".`);
    if (!github.privateKey)
      problems.push('github.privateKey: a GitHub App needs its private key. Set github.privateKey (PEM) or github.privateKeyFile.');
    else if (!/-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(github.privateKey)) {
      problems.push(
        'github.privateKey: is not a PEM private key (expected "-----BEGIN RSA PRIVATE KEY-----" … as downloaded from the App settings page).',
      );
    }
  } else if (!github.token) {
    problems.push(
      'github: no credentials. Set github.appId with github.privateKey(File) for a GitHub App (recommended), or github.token(File).',
    );
  }

  const kafka = { ...c.kafka, password: fromFile(c.kafka.password, c.kafka.passwordFile, 'kafka.password') };
  kafka.topic ||= `${port.orgId}.github.runs`;
  kafka.groupId ||= `${port.orgId}.ghes-agent`;
  if (kafka.enabled && kafka.brokers.length && (!kafka.username || !kafka.password)) {
    problems.push('kafka: brokers are set but not kafka.username/kafka.password. Give all three, or none to fetch them from Port.');
  }
  if (!kafka.enabled && !c.portApi.enabled) {
    problems.push(
      "no intake: kafka.enabled and portApi.enabled are both false. Enable kafka (Port's GitHub App backend, <orgId>.github.runs) or portApi (the GitHub Ocean backend and Port Workflows, over HTTPS), or both.",
    );
  }
  if (c.portApi.enabled && !c.portApi.routes.nodeRun.includes('{id}')) {
    problems.push(
      'portApi.routes.nodeRun: must contain {id}, where the workflow-node run id goes (default /v1/workflows/nodes/runs/{id}).',
    );
  }

  const policy = {
    allow: c.policy.allow.map((r): PolicyRule => ({
      org: r.org ?? '*',
      repo: r.repo ?? '*',
      workflow: r.workflow ?? '*',
      refs: r.refs ?? [],
      ...(r.actions ? { actions: r.actions } : {}),
    })),
  };
  const relay = {
    ...c.relay,
    policy: c.relay.policy.map((r): RelayRule => ({
      repository: r.repository,
      workflows: r.workflows ?? [],
      refs: r.refs ?? [],
      environments: r.environments ?? [],
      read: r.read ?? [],
      write: r.write ?? [],
    })),
  };
  if (relay.enabled) {
    if (Boolean(relay.tlsCertFile) !== Boolean(relay.tlsKeyFile))
      problems.push('relay.tlsCertFile and relay.tlsKeyFile: give both (TLS) or neither (plain HTTP behind a TLS-terminating Ingress).');
    // GHES serves Actions' OIDC at https://HOSTNAME/_services/token (GitHub docs, "OpenID Connect
    // reference", enterprise-server): github.url's origin, so https://HOSTNAME for any real GHES.
    if (!relay.oidcIssuer && github.url) relay.oidcIssuer = `${new URL(github.url).origin}/_services/token`;
    relay.oidcIssuer = relay.oidcIssuer.replace(/\/+$/, '');
    if (!relay.oidcIssuer)
      problems.push('relay.oidcIssuer: cannot be derived without github.url; set it to https://<GHES host>/_services/token.');
  }
  if (problems.length) fail(problems);
  return { ...c, port, github, kafka, policy, relay };
}

/** The effective configuration as YAML-ready data, every secret masked whether set or not. */
export function maskedConfig(c: AgentConfig): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(c)) as Record<string, Record<string, unknown>>;
  for (const [path, leaf] of leaves()) {
    if (!leaf.sensitive) continue;
    const [section, key] = path.split('.') as [string, string];
    const value = copy[section]?.[key];
    copy[section]![key] = value ? '[set, masked]' : '[not set]';
  }
  return copy;
}
