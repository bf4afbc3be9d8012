import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import { AgentError } from '../errors.js';

export type FetchFn = typeof globalThis.fetch;

/**
 * A fetch for one remote (GHES or Port): TLS verified by default, an optional private CA added
 * to the public roots (and to NODE_EXTRA_CA_CERTS, which an explicit `ca` would otherwise
 * drop), HTTPS_PROXY/HTTP_PROXY/NO_PROXY honoured, and a per-request timeout.
 */
export function createFetch(opts: { caFile?: string; insecure?: boolean; timeoutMs: number; name: string }): FetchFn {
  let ca: string[] | undefined;
  if (opts.caFile) {
    let pem: string;
    try {
      pem = readFileSync(opts.caFile, 'utf8');
    } catch (err) {
      throw new AgentError('config', `${opts.name}: cannot read CA bundle ${opts.caFile} (${(err as NodeJS.ErrnoException).code})`);
    }
    const extra = process.env.NODE_EXTRA_CA_CERTS ? safeRead(process.env.NODE_EXTRA_CA_CERTS) : undefined;
    ca = [...rootCertificates, pem, ...(extra ? [extra] : [])];
  }
  const tls = { ca, rejectUnauthorized: !opts.insecure };
  const dispatcher = new EnvHttpProxyAgent({
    // `connect` serves direct connections; through an HTTPS_PROXY tunnel undici uses
    // `requestTls` for the remote's certificate and would otherwise ignore the private CA.
    connect: { ...tls, timeout: opts.timeoutMs },
    requestTls: tls,
    keepAliveTimeout: 30_000,
    connections: 64,
    // The per-request timeout lives in the dispatcher (connect, headers, then body idle), not in
    // an AbortSignal.timeout per request: those timers lived for the whole timeout after each
    // request and, joined to a caller's signal with AbortSignal.any, left a listener on it per
    // request; at hundreds of requests a second that was a fifth of the agent's CPU and memory.
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  return ((input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]) => undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as FetchFn;
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A network-level failure explained for humans, naming the host and the setting that fixes it. */
export function describeNetworkError(err: unknown, host: string, caSetting: string): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `TLS certificate of ${host} is not trusted (${code}). Add its CA bundle with ${caSetting} (or NODE_EXTRA_CA_CERTS).`;
  }
  if (code === 'ECONNREFUSED') return `connection to ${host} refused`;
  if (code === 'ENOTFOUND') return `host ${host} not found (DNS)`;
  if ((err as Error)?.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `request to ${host} timed out`;
  return `request to ${host} failed: ${code ?? cause?.message ?? (err as Error)?.message ?? String(err)}`;
}
