// HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured for GHES and Port calls; Kafka connects
// directly. A local forward proxy records every host it carries: CONNECT tunnels for the
// HTTPS GHES simulator, absolute-form requests for the http Port simulator.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CertificateAuthority, generateCa, issueServerCert } from '../stack/certs.js';
import { startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';
import { type RecordingProxy, startRecordingProxy } from './helpers.js';

const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };

describe('proxies', () => {
  let stack: LocalStack;
  let ca: CertificateAuthority;
  let proxy: RecordingProxy;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-proxy-'));
    ca = await generateCa(dir, 'proxy-test');
    const cert = await issueServerCert(ca, dir, 'ghes');
    stack = await startLocalStack({ ghes: { version: '3.21.0', tls: { certPem: cert.certPem, keyPem: cert.keyPem } } });
  });
  after(async () => stack?.close());
  const ghesPort = () => new URL(stack.ghes.origin).port;
  const portHost = () => new URL(stack.port.url).host;

  test('every GHES and Port call goes through the proxy; Kafka does not', async () => {
    proxy = await startRecordingProxy();
    const agent = await startAgentProcess(stack, {
      overrides: { github: { caFile: ca.certFile } },
      env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
    });
    try {
      await agent.waitReady();
      const run = await stack.publish(deploy);
      assert.equal((await stack.waitForRun(run.id, isFinal)).status, 'SUCCESS');
      assert.ok(proxy.hosts.includes(`127.0.0.1:${ghesPort()}`), `GHES tunnelled (CONNECT): ${proxy.hosts.join(' ')}`);
      assert.ok(proxy.hosts.includes(portHost()), `Port proxied (absolute-form): ${[...new Set(proxy.hosts)].join(' ')}`);
      const brokerPorts = stack.broker.brokers.map((b) => b.split(':').at(-1));
      assert.ok(!proxy.hosts.some((h) => brokerPorts.includes(h.split(':').at(-1))), 'Kafka connects directly');
    } finally {
      await agent.stop();
      await proxy.close();
    }
  });

  test('NO_PROXY bypasses the proxy for the hosts it names', async () => {
    proxy = await startRecordingProxy();
    // GHES by name (the certificate has DNS:localhost), Port by address: only GHES matches NO_PROXY.
    const agent = await startAgentProcess(stack, {
      overrides: { github: { url: `https://localhost:${ghesPort()}`, caFile: ca.certFile } },
      env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' },
    });
    try {
      await agent.waitReady();
      const run = await stack.publish(deploy);
      assert.equal((await stack.waitForRun(run.id, isFinal)).status, 'SUCCESS');
      assert.ok(!proxy.hosts.some((h) => h.endsWith(`:${ghesPort()}`)), `GHES not proxied: ${[...new Set(proxy.hosts)].join(' ')}`);
      assert.ok(proxy.hosts.includes(portHost()), 'Port still proxied');
    } finally {
      await agent.stop();
      await proxy.close();
    }
  });
});
