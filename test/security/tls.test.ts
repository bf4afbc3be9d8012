// TLS is verified by default at every edge. The GHES simulator and a TLS terminator in front of
// the Port simulator serve certificates of a private CA: trusted through github.caFile /
// port.caFile the agent works; not trusted, it says which host and which setting, and is not
// ready; tlsInsecureSkipVerify works and is logged loudly. Kafka (SASL_SSL) needs kafka.caFile likewise.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CertificateAuthority, generateCa, issueServerCert } from '../stack/certs.js';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { startTlsTerminator, waitFor } from './helpers.js';

const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };

describe('TLS with a private CA', () => {
  let stack: LocalStack;
  let ca: CertificateAuthority;
  let portTls: { url: string; close(): Promise<void> };
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-tls-'));
    ca = await generateCa(dir, 'security-test');
    const cert = await issueServerCert(ca, dir, 'server');
    stack = await startLocalStack({ ghes: { version: '3.21.0', tls: { certPem: cert.certPem, keyPem: cert.keyPem } } });
    portTls = await startTlsTerminator(cert, stack.port.url);
  });
  after(async () => {
    await portTls?.close();
    await stack?.close();
  });

  test('GHES and Port over HTTPS, trusted through github.caFile and port.caFile: a run succeeds', async () => {
    assert.match(stack.ghes.origin, /^https:/);
    const agent = await startAgentProcess(stack, {
      overrides: { github: { caFile: ca.certFile }, port: { apiUrl: portTls.url, caFile: ca.certFile } },
    });
    try {
      await agent.waitReady();
      const run = await stack.publish(deploy);
      assert.equal((await stack.waitForRun(run.id, isFinal)).status, 'SUCCESS');
      assert.ok(!/TLS VERIFICATION IS DISABLED/.test(agent.output()));
    } finally {
      await agent.stop();
    }
  });

  test('not trusted: each edge names its host and the setting to use, and the agent is not ready', async () => {
    const ghesHost = new URL(stack.ghes.origin).host;
    const portHost = new URL(portTls.url).host;
    const agents: Array<[string, AgentProcess, RegExp]> = [
      [
        'github',
        await startAgentProcess(stack, { overrides: { port: { apiUrl: portTls.url, caFile: ca.certFile } } }),
        new RegExp(`TLS certificate of ${ghesHost} is not trusted .*github\\.caFile`),
      ],
      [
        'port',
        await startAgentProcess(stack, { overrides: { github: { caFile: ca.certFile }, port: { apiUrl: portTls.url } } }),
        new RegExp(`TLS certificate of ${portHost} is not trusted .*port\\.caFile`),
      ],
      [
        'kafka',
        await startAgentProcess(stack, { overrides: { github: { caFile: ca.certFile }, kafka: { caFile: '' } } }),
        new RegExp(`TLS certificate of the Kafka broker ${stack.broker.brokers[0]} is not trusted .*kafka\\.caFile`),
      ],
    ];
    try {
      for (const [name, agent, expected] of agents) {
        await waitFor(`${name}: an error naming the setting`, () => expected.test(agent.output()), 30_000).catch((err) => {
          throw new Error(`${(err as Error).message}\n${agent.output().slice(-3000)}`);
        });
        const ready = await fetch(`${agent.metricsUrl}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
        assert.notEqual(ready, 200, `${name}: never ready without trust`);
      }
    } finally {
      await Promise.all(agents.map(([, a]) => a.stop()));
    }
  });

  test('github.tlsInsecureSkipVerify: works, with a loud warning at start', async () => {
    const agent = await startAgentProcess(stack, {
      overrides: { github: { tlsInsecureSkipVerify: true }, port: { apiUrl: portTls.url, caFile: ca.certFile } },
    });
    try {
      await agent.waitReady();
      const warning = agent.lines().find((l) => /TLS VERIFICATION IS DISABLED for github/.test(String(l.message)));
      assert.equal(warning?.level, 'warn');
      assert.match(String(warning?.message), /github\.tlsInsecureSkipVerify=true.*Use github\.caFile instead/);
      const run = await stack.publish(deploy);
      assert.equal((await stack.waitForRun(run.id, isFinal)).status, 'SUCCESS');
    } finally {
      await agent.stop();
    }
  });
});
