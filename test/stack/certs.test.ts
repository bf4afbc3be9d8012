// The generated CA and server certificate must satisfy a strict TLS client: chain, SANs and
// hostname checks, the way the agent verifies a custom-CA Kafka or GHES.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect, createServer, type Server } from 'node:tls';
import { generateCa, issueServerCert, type ServerCertificate } from './certs.js';

function handshake(port: number, opts: { host: string; servername?: string; ca?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: opts.host, servername: opts.servername, ca: opts.ca ? [opts.ca] : undefined }, () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

describe('certs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certs-test-'));
  let server: Server | undefined;
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues a loopback server certificate a strict client accepts', async () => {
    const ca = await generateCa(dir, 'test-ca');
    const cert: ServerCertificate = await issueServerCert(ca, dir, 'server');
    assert.match(cert.certPem, /BEGIN CERTIFICATE/);
    assert.match(cert.keyPem, /BEGIN PRIVATE KEY/); // PKCS#8, as Kafka's PEM keystore requires
    assert.equal(cert.caPem, ca.certPem);

    server = createServer({ key: cert.keyPem, cert: cert.certPem }, (s) => s.end());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };

    await handshake(port, { host: '127.0.0.1', servername: 'localhost', ca: ca.certPem });
    await handshake(port, { host: '127.0.0.1', ca: ca.certPem }); // IP SAN
    await assert.rejects(handshake(port, { host: '127.0.0.1', servername: 'localhost' }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await assert.rejects(handshake(port, { host: '127.0.0.1', servername: 'example.com', ca: ca.certPem }), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('refuses malformed names and SANs', async () => {
    const ca = await generateCa(dir, 'ca2');
    await assert.rejects(generateCa(dir, '../escape'), /plain file name/);
    await assert.rejects(issueServerCert(ca, dir, 'x', ['localhost']), /DNS:host or IP:addr/);
    await assert.rejects(issueServerCert(ca, dir, 'x', []), /at least one/);
  });
});
