// relay.* settings (issue 26): off by default, the issuer derived from github.url, the policy
// and TLS pair validated at load (exit 2), JSON policy from env.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConfigSources, loadConfig } from '../../agent/config/load.js';
import { AgentError } from '../../agent/errors.js';

const BASE = `
port:
  orgId: org_AbC123
  clientId: client-1
  clientSecret: port-secret-Zq9vX2mT7wL4
github:
  url: https://ghes.example.com/
  token: ghp_tokenAbCdEf0123456789
`;
const src = (extra = '', env: Record<string, string> = {}): ConfigSources => ({
  argv: ['--config', '/c.yaml'],
  env,
  readFile: () => BASE + extra,
});

test('the relay is off by default; on, its issuer is GHES’s /_services/token and the policy lists are filled in', () => {
  assert.equal(loadConfig(src()).config.relay.enabled, false);
  const { relay } = loadConfig(src('relay:\n  enabled: true\n  policy:\n    - repository: acme/*\n      write: [service]\n')).config;
  assert.equal(relay.oidcIssuer, 'https://ghes.example.com/_services/token');
  assert.equal(relay.audience, 'ghes-agent');
  assert.deepEqual(relay.policy, [{ repository: 'acme/*', workflows: [], refs: [], environments: [], read: [], write: ['service'] }]);
  const fromEnv = loadConfig(
    src('', {
      GHES_AGENT_RELAY_ENABLED: 'true',
      GHES_AGENT_RELAY_POLICY: '[{"repository":"acme/infra","read":["*"]}]',
      GHES_AGENT_RELAY_OIDC_ISSUER: 'https://ghes.example.com/_services/token/',
    }),
  ).config.relay;
  assert.deepEqual(fromEnv.policy[0]!.read, ['*']);
  assert.equal(fromEnv.oidcIssuer, 'https://ghes.example.com/_services/token');
});

test('a bad relay policy or half a TLS pair is refused at load, naming the key', () => {
  for (const [extra, pattern] of [
    ['relay:\n  policy:\n    - repo: acme/infra\n', /relay.policy: rule 0 has unknown key "repo"/],
    ['relay:\n  policy:\n    - repository: acme\n', /rule 0.repository must be an owner\/name glob/],
    ['relay:\n  policy:\n    - repository: acme/x\n      write: service\n', /rule 0.write must be a list of glob strings/],
    ['relay:\n  enabled: true\n  tlsCertFile: /tls/crt\n', /relay.tlsCertFile and relay.tlsKeyFile: give both/],
  ] as const) {
    assert.throws(
      () => loadConfig(src(extra)),
      (err: unknown) => err instanceof AgentError && err.code === 'config' && pattern.test(err.message),
      extra,
    );
  }
});
