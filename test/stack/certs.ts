// Throwaway TLS material for the local test stack: a private CA and server certificates it
// signs. Used by the Kafka broker (SASL_SSL) and reusable by any HTTPS simulator, so clients
// under test verify certificates exactly as they would in production (custom CA, SAN match).
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificateAuthority {
  name: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

export interface ServerCertificate {
  name: string;
  certFile: string;
  /** PKCS#8, unencrypted: both Node and Kafka's PEM keystore read it without a password. */
  keyFile: string;
  certPem: string;
  keyPem: string;
  /** The issuing CA's certificate, for clients' trust stores. */
  caFile: string;
  caPem: string;
  sans: string[];
}

export const LOOPBACK_SANS: readonly string[] = ['DNS:localhost', 'IP:127.0.0.1'];

// Certificates live as long as a long-running `make stack-up` might; they are regenerated on
// every fresh start anyway.
const VALID_DAYS = '30';

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { maxBuffer: 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

// EC P-256 keys: generated in milliseconds (RSA 2048 takes noticeably longer on a small
// machine) and accepted by Java 17's TLS stack and Node alike.
async function newKey(keyFile: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
}

function assertSafeName(name: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`certificate name must be a plain file name, got ${JSON.stringify(name)}`);
}

export async function generateCa(dir: string, name: string): Promise<CertificateAuthority> {
  assertSafeName(name);
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, `${name}.key.pem`);
  const certFile = join(dir, `${name}.crt.pem`);
  await newKey(keyFile);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-out',
    certFile,
    '-days',
    VALID_DAYS,
    '-subj',
    `/CN=${name} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { name, keyFile, certFile, certPem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
}

export async function issueServerCert(
  ca: CertificateAuthority,
  dir: string,
  name: string,
  sans: readonly string[] = LOOPBACK_SANS,
): Promise<ServerCertificate> {
  assertSafeName(name);
  if (sans.length === 0) throw new Error('a server certificate needs at least one subjectAltName');
  for (const san of sans) {
    if (!/^(DNS|IP):[^,\s]+$/.test(san)) throw new Error(`SAN must look like DNS:host or IP:addr, got ${JSON.stringify(san)}`);
  }
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, `${name}.key.pem`);
  const csrFile = join(dir, `${name}.csr.pem`);
  const certFile = join(dir, `${name}.crt.pem`);
  const extFile = join(dir, `${name}.ext.cnf`);
  await newKey(keyFile);
  await openssl(['req', '-new', '-key', keyFile, '-out', csrFile, '-subj', `/CN=${name}`]);
  await writeFile(
    extFile,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${sans.join(',')}`,
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    VALID_DAYS,
    '-sha256',
    '-extfile',
    extFile,
  ]);
  return {
    name,
    keyFile,
    certFile,
    certPem: await readFile(certFile, 'utf8'),
    keyPem: await readFile(keyFile, 'utf8'),
    caFile: ca.certFile,
    caPem: ca.certPem,
    sans: [...sans],
  };
}
