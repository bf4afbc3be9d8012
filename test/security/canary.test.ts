// Secrets never leave the agent: it runs with canary secret values (Port client secret, GitHub
// App private key, a PAT, the Kafka password Port hands out, and wrong secrets for the crash
// paths) through success, failure, forged signatures, configuration errors, --print-config and
// failed starts; no canary, nor its base64 or JSON-escaped form, nor any installation token or
// JWT may appear in anything the agent wrote or in /metrics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { waitFor } from './helpers.js';

const canary = (what: string) => `CANARY-${what}-${randomBytes(12).toString('hex')}`;
const inv = (workflow: string) => ({ type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow, workflowInputs: { service: 'api' } });

/** Every form in which a secret could slip out: as is, base64, JSON-escaped; a PEM by each body line. */
function forms(secret: string): string[] {
  if (secret.includes('-----BEGIN')) return secret.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
  return [...new Set([secret, Buffer.from(secret).toString('base64'), JSON.stringify(secret).slice(1, -1)])];
}

function assertNoLeak(where: string, text: string, secrets: string[]): void {
  for (const s of secrets) {
    for (const f of forms(s))
      assert.ok(
        !text.includes(f),
        `${where} leaks a secret (${f.slice(0, 12)}…):\n${text.slice(Math.max(0, text.indexOf(f) - 300), text.indexOf(f) + 100)}`,
      );
  }
  assert.doesNotMatch(text, /ghs_[A-Za-z0-9]{16,}/, `${where} leaks an installation token`);
  assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/, `${where} leaks a JWT`);
}

function runCli(yaml: string, env: Record<string, string>, args: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-canary-'));
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, yaml);
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--config', file, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

describe('canary secrets never appear in output or metrics', () => {
  let stack: LocalStack;
  let secrets: string[];
  const pat = canary('pat');
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    stack.ghes.addToken(pat, { orgs: [stack.ghOrg], login: 'port-bot' });
    secrets = [stack.port.clientSecret, stack.ghes.app.privateKeyPem, pat, stack.broker.agent.password];
  });
  after(async () => stack?.close());

  async function exercise(agent: AgentProcess, label: string): Promise<void> {
    await agent.waitReady();
    const ok = await stack.publish(inv('deploy.yml'));
    const failed = await stack.publish(inv('fail.yml'));
    const forged = await stack.publish(inv('deploy.yml'), { tamper: true });
    const missing = await stack.publish(inv('missing.yml'));
    await stack.publishRaw('not json at all');
    assert.equal((await stack.waitForRun(ok.id, isFinal)).status, 'SUCCESS');
    for (const r of [failed, missing]) assert.equal((await stack.waitForRun(r.id, isFinal)).status, 'FAILURE');
    // Issue 23: the forged message is refused without a write to its run; it is only logged.
    await waitFor(`${label}: the forged message refused`, () =>
      agent.lines().some((l) => l.runId === forged.id && /message refused/.test(String(l.message))),
    );
    assert.equal(stack.port.getRun(forged.id)!.status, 'IN_PROGRESS');
    assertNoLeak(`${label} /metrics`, await agent.metrics(), secrets);
    assert.equal(await agent.stop(), 0);
    assertNoLeak(`${label} output`, agent.output(), secrets);
    for (const r of [ok, failed, forged, missing])
      assertNoLeak(`${label} Port run ${r.id}`, JSON.stringify(stack.port.getRun(r.id)), secrets);
  }

  test('GitHub App (key from a file), debug logs: success, failure, forged signature, 404, garbage', async () => {
    await exercise(await startAgentProcess(stack, { auth: 'app', overrides: { log: { level: 'debug' } } }), 'app agent');
  });

  test('GitHub App key as PEM text and Port secret from env, debug logs', async () => {
    const agent = await startAgentProcess(stack, {
      auth: 'app',
      overrides: { log: { level: 'debug' }, github: { privateKeyFile: '' }, port: { clientSecretFile: '' } },
      env: { GHES_AGENT_GITHUB_PRIVATE_KEY: stack.ghes.app.privateKeyPem, GHES_AGENT_PORT_CLIENT_SECRET: stack.port.clientSecret },
    });
    await exercise(agent, 'app agent, key text');
  });

  test('a PAT from env, debug logs', async () => {
    const agent = await startAgentProcess(stack, {
      auth: 'token',
      overrides: { log: { level: 'debug' }, github: { tokenFile: '' }, port: { clientSecretFile: '' } },
      env: { GHES_AGENT_GITHUB_TOKEN: pat, GHES_AGENT_PORT_CLIENT_SECRET: stack.port.clientSecret },
    });
    await exercise(agent, 'token agent');
  });

  test('both intakes, debug logs: also runs of the Ocean backend and a workflow node claimed over HTTPS (Port tokens are JWTs)', async () => {
    const agent = await startAgentProcess(stack, {
      auth: 'app',
      overrides: { log: { level: 'debug' }, portApi: { enabled: true, claimIntervalSeconds: 0.5 } },
    });
    await agent.waitReady();
    const claimed = [
      stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } }),
      stack.createIntegrationRun({ org: 'acme', repo: 'infra', workflow: 'fail.yml' }, { kind: 'workflow-node' }),
    ];
    for (const r of claimed) await stack.waitForRun(r.id, isFinal);
    for (const r of claimed) assertNoLeak(`https agent Port run ${r.id}`, JSON.stringify(stack.port.getRun(r.id)), secrets);
    await exercise(agent, 'https agent');
  });

  test('configuration errors and --print-config', () => {
    const yaml = `
port: { orgId: org_1, clientId: cid, clientSecret: "${stack.port.clientSecret}" }
github: { url: "https://ghes.example.com", appId: "12", token: "${pat}" }
kafka: { brokers: ["127.0.0.1:9"], username: agent, password: "${stack.broker.agent.password}" }
`;
    const env = { GHES_AGENT_GITHUB_PRIVATE_KEY: stack.ghes.app.privateKeyPem };
    const printed = runCli(yaml, env, ['--print-config']);
    assert.equal(printed.code, 0, printed.out);
    assert.match(printed.out, /privateKey: "?\[set, masked\]"?/);
    assertNoLeak('--print-config', printed.out, secrets);

    const unknownKey = runCli(`${yaml}\nextra: { x: 1 }\n`, env);
    assert.equal(unknownKey.code, 2);
    assertNoLeak('config error', unknownKey.out, secrets);

    const badKey = canary('not-a-pem');
    const malformed = runCli(yaml, { GHES_AGENT_GITHUB_PRIVATE_KEY: badKey });
    assert.equal(malformed.code, 2, malformed.out);
    assert.match(malformed.out, /github\.privateKey: is not a PEM private key/);
    assertNoLeak('malformed key', malformed.out, [...secrets, badKey]);

    const badPem = `-----BEGIN RSA PRIVATE KEY-----\n${Buffer.from(canary('pem-body').repeat(3))
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')}\n-----END RSA PRIVATE KEY-----\n`;
    const garbage = runCli(yaml, { GHES_AGENT_GITHUB_PRIVATE_KEY: badPem });
    assert.equal(garbage.code, 2, garbage.out);
    assert.match(garbage.out, /github\.privateKey: .*cannot be read as a private key/);
    assertNoLeak('garbage PEM', garbage.out, [...secrets, badPem]);
  });

  test('failed starts: wrong Port secret, revoked PAT, wrong Kafka password', async () => {
    const wrongPort = canary('wrong-port-secret');
    const revoked = canary('revoked-pat');
    const wrongKafka = canary('wrong-kafka-password');
    const a = await startAgentProcess(stack, { overrides: { port: { clientSecretFile: '', clientSecret: wrongPort } } });
    const b = await startAgentProcess(stack, { auth: 'token', overrides: { github: { tokenFile: '', token: revoked } } });
    const c = await startAgentProcess(stack, {
      overrides: {
        kafka: { brokers: stack.broker.brokers, username: stack.broker.agent.username, password: wrongKafka },
        log: { level: 'debug' },
      },
    });
    try {
      assert.equal(await a.waitExit(), 1);
      assert.equal(await b.waitExit(), 1);
      await waitFor('a SASL failure', () => /SASL authentication failed/.test(c.output()), 60_000);
      assertNoLeak('wrong Kafka password /metrics', await c.metrics(), [...secrets, wrongKafka]);
    } finally {
      await c.stop();
    }
    const all = [...secrets, wrongPort, revoked, wrongKafka];
    assertNoLeak('wrong Port secret', a.output(), all);
    assertNoLeak('revoked PAT', b.output(), all);
    assertNoLeak('wrong Kafka password', c.output(), all);
  });
});
