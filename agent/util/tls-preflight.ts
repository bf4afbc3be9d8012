import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect, rootCertificates } from 'node:tls';
import { AgentError } from '../errors.js';

const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/;

/**
 * One TLS handshake with the trust the real client will use, before the real client starts.
 * kafkajs retries an untrusted certificate for a minute or more and then reports it without
 * naming the setting; this says at once which host is not trusted and which setting fixes it.
 * Only an untrusted certificate is reported: anything else (refused, timeout) is left to the client.
 */
export async function checkTlsTrust(opts: {
  hostPort: string;
  caFile: string;
  setting: string;
  what: string;
  timeoutMs?: number;
}): Promise<void> {
  const i = opts.hostPort.lastIndexOf(':');
  const host = opts.hostPort.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(opts.hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) return;
  let ca: string[] | undefined;
  if (opts.caFile) {
    try {
      ca = [...rootCertificates, readFileSync(opts.caFile, 'utf8')];
    } catch (err) {
      throw new AgentError('config', `${opts.setting}: cannot read ${opts.caFile} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const code = await new Promise<string | undefined>((resolve) => {
    const socket = connect({
      host,
      port,
      ca,
      servername: isIP(host) ? undefined : host,
      rejectUnauthorized: true,
      timeout: opts.timeoutMs ?? 10_000,
    });
    socket.once('secureConnect', () => (socket.end(), resolve(undefined)));
    socket.once('timeout', () => (socket.destroy(), resolve(undefined)));
    socket.once('error', (err: NodeJS.ErrnoException) => (socket.destroy(), resolve(err.code ?? err.message)));
  });
  if (code && UNTRUSTED.test(code)) {
    throw new AgentError(
      'network',
      `TLS certificate of ${opts.what} ${opts.hostPort} is not trusted (${code}). Add its CA bundle with ${opts.setting} (or NODE_EXTRA_CA_CERTS).`,
      {
        retriable: true,
      },
    );
  }
}
