import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { loadConfig, maskedConfig, type ConfigSources } from '../../agent/config/load.js';

const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAtestkeymaterialnotreal0123456789abcdef\n-----END RSA PRIVATE KEY-----';
const PORT_SECRET = 'port-secret-Zq9vX2mT7wL4';
const KAFKA_PASSWORD = 'kafka-pass-Hy3kR8nB1sD6';
const GH_TOKEN = 'ghp_tokenAbCdEf0123456789';

const APP_YAML = `
port:
  orgId: org_AbC123
  clientId: client-1
  clientSecret: ${PORT_SECRET}
github:
  url: https://github.example.com/
  appId: "12345"
  privateKeyFile: /secrets/app.pem
`;
const TOKEN_YAML = `
port:
  orgId: org_AbC123
  clientId: client-1
  clientSecretFile: /secrets/port
  region: us
github:
  url: https://ghes.internal
  tokenFile: /secrets/token
`;

/** Sources with an in-memory file system; reading an unknown path fails like fs does. */
function sources(
  files: Record<string, string>,
  env: Record<string, string | undefined> = {},
  argv = ['--config', '/etc/agent.yaml'],
): ConfigSources & { reads: string[] } {
  const reads: string[] = [];
  return {
    argv,
    env,
    reads,
    readFile: (path) => {
      reads.push(path);
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path]!;
    },
  };
}
const appFiles = (yaml = APP_YAML) => ({ '/etc/agent.yaml': yaml, '/secrets/app.pem': PEM + '\n' });
const tokenFiles = (yaml = TOKEN_YAML) => ({ '/etc/agent.yaml': yaml, '/secrets/port': PORT_SECRET + '\n', '/secrets/token': GH_TOKEN });

function configError(src: ConfigSources, ...patterns: RegExp[]): AgentError {
  let caught: unknown;
  try {
    loadConfig(src);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AgentError, `expected AgentError('config'), got ${String(caught)}`);
  assert.equal(caught.code, 'config');
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

describe('loadConfig: valid configurations', () => {
  it('GitHub App variant: derived defaults and the key read from its file', () => {
    const src = sources(appFiles());
    const { config, configFile, printConfig } = loadConfig(src);
    assert.equal(configFile, '/etc/agent.yaml');
    assert.equal(printConfig, false);
    assert.equal(config.port.orgId, 'org_AbC123');
    assert.equal(config.port.clientSecret, PORT_SECRET);
    assert.equal(config.port.apiUrl, 'https://api.port.io', 'region eu by default');
    assert.equal(config.github.apiUrl, 'https://github.example.com/api/v3', 'trailing slash of url dropped');
    assert.equal(config.github.privateKey, PEM, 'read from privateKeyFile and trimmed');
    assert.equal(config.kafka.topic, 'org_AbC123.github.runs');
    assert.equal(config.kafka.groupId, 'org_AbC123.ghes-agent');
    assert.equal(config.signature.mode, 'required', 'Port signs every run message (issue 23)');
    assert.deepEqual(config.policy.allow, []);
    assert.ok(src.reads.includes('/secrets/app.pem'));
  });

  it('token variant, region us, secrets from *File keys', () => {
    const { config } = loadConfig(sources(tokenFiles()));
    assert.equal(config.port.apiUrl, 'https://api.us.port.io');
    assert.equal(config.port.clientSecret, PORT_SECRET);
    assert.equal(config.github.token, GH_TOKEN);
    assert.equal(config.github.appId, '');
    assert.equal(config.github.apiUrl, 'https://ghes.internal/api/v3');
  });

  it('kafka password from passwordFile with brokers and username', () => {
    const yaml = TOKEN_YAML + `kafka:\n  brokers: [b1:9196, b2:9196]\n  username: agent\n  passwordFile: /secrets/kafka\n`;
    const { config } = loadConfig(sources({ ...tokenFiles(yaml), '/secrets/kafka': KAFKA_PASSWORD }));
    assert.deepEqual(config.kafka.brokers, ['b1:9196', 'b2:9196']);
    assert.equal(config.kafka.password, KAFKA_PASSWORD);
  });

  it('env overrides the file, with typed values', () => {
    const { config } = loadConfig(
      sources(appFiles(), {
        GHES_AGENT_PORT_ORG_ID: 'org_FromEnv',
        GHES_AGENT_PORT_REGION: 'us',
        GHES_AGENT_SIGNATURE_MODE: 'required',
        GHES_AGENT_GITHUB_MAX_CONCURRENCY: '4',
        GHES_AGENT_KAFKA_SSL: 'false',
        GHES_AGENT_KAFKA_BROKERS: 'a:1, b:2',
        GHES_AGENT_KAFKA_USERNAME: 'agent',
        GHES_AGENT_KAFKA_PASSWORD: KAFKA_PASSWORD,
        GHES_AGENT_POLICY_ALLOW: '[{"org":"acme","refs":["main"]}]',
        PATH: '/usr/bin',
      }),
    );
    assert.equal(config.port.orgId, 'org_FromEnv');
    assert.equal(config.port.apiUrl, 'https://api.us.port.io');
    assert.equal(config.signature.mode, 'required');
    assert.equal(config.github.maxConcurrency, 4);
    assert.equal(config.kafka.ssl, false);
    assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2']);
    assert.equal(config.kafka.topic, 'org_FromEnv.github.runs', 'derived names follow the env org id');
    assert.deepEqual(config.policy.allow, [{ org: 'acme', repo: '*', workflow: '*', refs: ['main'] }]);
  });

  it('a config file from GHES_AGENT_CONFIG, and the whole config from env alone', () => {
    const viaEnv = loadConfig(sources(appFiles(), { GHES_AGENT_CONFIG: '/etc/agent.yaml' }, []));
    assert.equal(viaEnv.configFile, '/etc/agent.yaml');
    const envOnly = loadConfig(
      sources(
        {},
        {
          GHES_AGENT_PORT_ORG_ID: 'org_1',
          GHES_AGENT_PORT_CLIENT_ID: 'c',
          GHES_AGENT_PORT_CLIENT_SECRET: PORT_SECRET,
          GHES_AGENT_GITHUB_URL: 'https://ghes.example.com',
          GHES_AGENT_GITHUB_TOKEN: GH_TOKEN,
        },
        [],
      ),
    );
    assert.equal(envOnly.configFile, undefined);
    assert.equal(envOnly.config.github.token, GH_TOKEN);
  });

  it('an explicit port.apiUrl wins over region (trailing slash dropped)', () => {
    const { config } = loadConfig(
      sources(appFiles(APP_YAML.replace('  clientId: client-1', '  clientId: client-1\n  apiUrl: https://api.getport.io/'))),
    );
    assert.equal(config.port.apiUrl, 'https://api.getport.io');
  });

  it('--print-config and --config= are parsed', () => {
    const r = loadConfig(sources(appFiles(), {}, ['--config=/etc/agent.yaml', '--print-config']));
    assert.equal(r.printConfig, true);
    assert.equal(r.configFile, '/etc/agent.yaml');
    assert.equal(loadConfig(sources(appFiles(), {}, ['-c', '/etc/agent.yaml'])).configFile, '/etc/agent.yaml');
  });
});

describe('loadConfig: errors name the key', () => {
  it('unknown key in the file', () => {
    configError(sources(appFiles(APP_YAML + 'kafka:\n  brokerz: [x]\n')), /kafka\.brokerz: unknown key/, /brokers/);
    configError(sources(appFiles(APP_YAML + 'extra: 1\n')), /extra: unknown key/);
  });

  it('unknown GHES_AGENT_ env var', () => {
    configError(sources(appFiles(), { GHES_AGENT_PORT_ORGID: 'x' }), /env GHES_AGENT_PORT_ORGID: not a configuration key/);
  });

  it('missing orgId', () => {
    configError(sources(appFiles(APP_YAML.replace('  orgId: org_AbC123\n', ''))), /port\.orgId: is required/, /GHES_AGENT_PORT_ORG_ID/);
  });

  it('malformed github.url', () => {
    configError(
      sources(appFiles(APP_YAML.replace('https://github.example.com/', 'github.example.com'))),
      /github\.url/,
      /absolute http\(s\) URL/,
    );
    configError(
      sources(appFiles(APP_YAML.replace('https://github.example.com/', 'ftp://github.example.com'))),
      /github\.url/,
      /https:\/\//,
    );
  });

  it('missing github.url', () => {
    configError(sources(appFiles(APP_YAML.replace('  url: https://github.example.com/\n', ''))), /github\.url: is required/);
  });

  it('a boolean that is neither true nor false ("maybe"), from env and from the file', () => {
    configError(
      sources(appFiles(), { GHES_AGENT_GITHUB_TLS_INSECURE_SKIP_VERIFY: 'maybe' }),
      /github\.tlsInsecureSkipVerify/,
      /true or false/,
    );
    configError(sources(appFiles(APP_YAML + '  tlsInsecureSkipVerify: maybe\n')), /github\.tlsInsecureSkipVerify/);
  });

  it('appId without privateKey', () => {
    configError(
      sources({ '/etc/agent.yaml': APP_YAML.replace('  privateKeyFile: /secrets/app.pem\n', '') }),
      /github\.privateKey: a GitHub App needs its private key/,
    );
  });

  it('an unreadable privateKeyFile names the key and the file', () => {
    configError(sources({ '/etc/agent.yaml': APP_YAML }), /github\.privateKeyFile: cannot read \/secrets\/app\.pem \(ENOENT\)/);
  });

  it('malformed PEM', () => {
    configError(sources({ '/etc/agent.yaml': APP_YAML, '/secrets/app.pem': 'not a key' }), /github\.privateKey: is not a PEM private key/);
  });

  it('non-numeric appId', () => {
    configError(sources(appFiles(APP_YAML.replace('"12345"', 'my-app'))), /github\.appId: must be the numeric App id/);
  });

  it('no GitHub credentials', () => {
    const yaml = APP_YAML.replace('  appId: "12345"\n  privateKeyFile: /secrets/app.pem\n', '');
    configError(sources({ '/etc/agent.yaml': yaml }), /github: no credentials/, /github\.appId/, /github\.token/);
  });

  it('no Port client secret', () => {
    configError(sources(appFiles(APP_YAML.replace(`  clientSecret: ${PORT_SECRET}\n`, ''))), /port\.clientSecret: is required/);
  });

  it('brokers without username', () => {
    configError(
      sources(appFiles(APP_YAML + 'kafka:\n  brokers: [b1:9196]\n')),
      /kafka: brokers are set but not kafka\.username\/kafka\.password/,
    );
  });

  it('a bad enum value and a bad number name their keys', () => {
    configError(sources(appFiles(), { GHES_AGENT_PORT_REGION: 'asia' }), /port\.region/);
    configError(sources(appFiles(), { GHES_AGENT_GITHUB_MAX_CONCURRENCY: '0' }), /github\.maxConcurrency/, /integer >= 1/);
  });

  it('a bad policy rule', () => {
    configError(
      sources(appFiles(APP_YAML + 'policy:\n  allow:\n    - org: acme\n      branch: main\n')),
      /policy\.allow/,
      /unknown key "branch"/,
    );
  });

  it('an unreadable or non-YAML config file', () => {
    configError(sources({}), /cannot read config file \/etc\/agent\.yaml: ENOENT/);
    configError(sources({ '/etc/agent.yaml': 'port: [unclosed' }), /not valid YAML/);
    configError(sources({ '/etc/agent.yaml': '- a\n- b\n' }), /must hold a YAML map/);
  });

  it('unknown arguments and --config without a path', () => {
    configError(sources(appFiles(), {}, ['--verbose']), /unknown argument "--verbose"/);
    configError(sources(appFiles(), {}, ['--config']), /--config needs a file path/);
  });

  it('github.logHosts (issue 23): host names, from the file or comma separated in env; a URL or host:port is refused', () => {
    assert.deepEqual(
      loadConfig(sources(appFiles(APP_YAML.replace('  appId:', '  logHosts: [blob.example.net, "10.0.0.7"]\n  appId:')))).config.github
        .logHosts,
      ['blob.example.net', '10.0.0.7'],
    );
    assert.deepEqual(loadConfig(sources(appFiles(), { GHES_AGENT_GITHUB_LOG_HOSTS: 'a.example,b.example' })).config.github.logHosts, [
      'a.example',
      'b.example',
    ]);
    assert.deepEqual(loadConfig(sources(appFiles())).config.github.logHosts, [], 'empty by default');
    for (const bad of ['https://blob.example.net', 'blob.example.net:443', 'blob.example.net/logs']) {
      configError(sources(appFiles(), { GHES_AGENT_GITHUB_LOG_HOSTS: bad }), /github\.logHosts: ".*" is not a host name/);
    }
  });

  it('reports several problems at once', () => {
    const err = configError(sources(appFiles(APP_YAML + 'nope: 1\n'), { GHES_AGENT_NOPE: 'x' }));
    assert.match(err.message, /nope: unknown key/);
    assert.match(err.message, /GHES_AGENT_NOPE/);
  });
});

describe('maskedConfig', () => {
  it('masks every sensitive value, set or not, and no secret text survives', () => {
    const yaml = APP_YAML + `kafka:\n  brokers: [b1:9196]\n  username: agent\n  password: ${KAFKA_PASSWORD}\n`;
    const { config } = loadConfig(sources(appFiles(yaml)));
    const masked = maskedConfig(config) as Record<string, Record<string, unknown>>;
    assert.equal(masked.port!.clientSecret, '[set, masked]');
    assert.equal(masked.kafka!.password, '[set, masked]');
    assert.equal(masked.github!.privateKey, '[set, masked]');
    assert.equal(masked.github!.token, '[not set]');
    assert.equal(masked.port!.orgId, 'org_AbC123', 'non-secrets shown');
    assert.equal(masked.github!.privateKeyFile, '/secrets/app.pem', 'file paths are not secret');
    const json = JSON.stringify(masked);
    for (const secret of [PORT_SECRET, KAFKA_PASSWORD, PEM, 'testkeymaterialnotreal']) {
      assert.equal(json.includes(secret), false, `secret leaked: ${secret.slice(0, 12)}…`);
    }
    // The input config is not modified.
    assert.equal(config.port.clientSecret, PORT_SECRET);
  });

  it('token variant: the token is masked', () => {
    const { config } = loadConfig(sources(tokenFiles()));
    const masked = maskedConfig(config) as Record<string, Record<string, unknown>>;
    assert.equal(masked.github!.token, '[set, masked]');
    assert.equal(masked.github!.privateKey, '[not set]');
    assert.equal(JSON.stringify(masked).includes(GH_TOKEN), false);
    assert.equal(JSON.stringify(masked).includes(PORT_SECRET), false);
  });
});

describe('github.appId as users write it', () => {
  it('accepts an unquoted YAML number and keeps it as the id string', () => {
    const { config } = loadConfig(sources(appFiles(APP_YAML.replace('appId: "12345"', 'appId: 12345'))));
    assert.equal(config.github.appId, '12345');
  });
  it('still refuses a non-numeric id', () => {
    configError(sources(appFiles(APP_YAML.replace('appId: "12345"', 'appId: "my-app"'))), /github\.appId/);
  });
});
