import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type FetchFn, httpResponse, proxyConfigured } from '../util/http-fetch.js';
import { type LogHostRules, checkLogUrl, forbiddenAddress, isGhesHost, normalHost } from './log-archive-rules.js';

/** dns.lookup's shape, injectable so tests can make a name lead where they want. */
export type Lookup = (hostname: string, options: { all: true; family?: number }) => Promise<LookupAddress[]>;

const systemLookup: Lookup = (hostname, options) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, options as LookupAllOptions, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/**
 * The job log's download (issue 23, item 4). Whoever can shape GHES's answer to "Download job
 * logs" chooses this URL, so: checked by log-archive-rules.ts before anything is sent; sent
 * without any credential or cookie (the signed URL is the only key; GHES's credentials live in
 * another client); the one redirect GHES gave is the last one followed (a 3xx from the storage
 * host is an error, not a hop); and the address the connection actually goes to is checked when
 * it is made, in the socket's own DNS lookup, so a name that resolves to a loopback, link-local
 * or metadata address is refused however it was spelled (GHES's hosts excepted). Through an
 * HTTP(S)_PROXY the proxy resolves the name and connects: the name's addresses are checked here
 * first, and the proxy's own resolution is then the proxy's to guard.
 * A refusal throws AgentError 'policy' naming the host and why (never the URL: its query is the
 * signature); the host a log is read from is logged.
 */
export function createLogArchiveFetch(opts: {
  rules: LogHostRules;
  caFile?: string;
  insecure?: boolean;
  timeoutMs: number;
  logger: Logger;
  lookup?: Lookup;
  env?: NodeJS.ProcessEnv;
}): FetchFn {
  const lookup = opts.lookup ?? systemLookup;
  const log = opts.logger.child({ component: 'insight' });
  const env = opts.env ?? process.env;
  const refused = (host: string, reason: string) =>
    new AgentError('policy', `the job log's storage host ${host || '(none)'} is not accepted: ${reason}`);

  /** The name's addresses, refused when any of them is a forbidden one (GHES's hosts excepted). */
  async function checkedAddresses(hostname: string, family?: number): Promise<LookupAddress[]> {
    const host = normalHost(hostname);
    const addresses = await lookup(host, { all: true, ...(family ? { family } : {}) });
    if (isGhesHost(opts.rules, host)) return addresses;
    for (const a of addresses) {
      const why = forbiddenAddress(a.address);
      if (why) throw refused(host, `it resolves to ${a.address}, ${why}`);
    }
    return addresses;
  }

  // net.connect's `lookup` option: called for every connection to a name (not for an IP
  // literal, which checkLogUrl has already judged); with autoSelectFamily (Node's default) it
  // asks for all addresses.
  const checkingLookup: LookupFunction = (hostname, options: LookupOneOptions | LookupAllOptions, callback) => {
    checkedAddresses(hostname, options.family === 4 || options.family === 6 ? options.family : undefined).then(
      (addresses) => {
        if ((options as LookupAllOptions).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        else if (addresses[0]) callback(null, addresses[0].address, addresses[0].family);
        else callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };

  let ca: string[] | undefined;
  if (opts.caFile) {
    try {
      ca = [...rootCertificates, readFileSync(opts.caFile, 'utf8')];
    } catch (err) {
      throw new AgentError('config', `github.caFile: cannot read CA bundle ${opts.caFile} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const tls = { ca, rejectUnauthorized: !opts.insecure };
  const options = {
    connect: { ...tls, timeout: opts.timeoutMs, lookup: checkingLookup },
    requestTls: tls,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    // One log per failed run: no pool worth keeping.
    keepAliveTimeout: 1000,
    connections: 8,
  };
  const proxied = proxyConfigured(env);
  const dispatcher: Dispatcher = proxied
    ? new EnvHttpProxyAgent({
        ...options,
        httpProxy: env.http_proxy ?? env.HTTP_PROXY,
        httpsProxy: env.https_proxy ?? env.HTTPS_PROXY,
        noProxy: env.no_proxy ?? env.NO_PROXY,
      })
    : new Agent(options);

  return async (input, init = {}) => {
    const verdict = checkLogUrl(opts.rules, String(input));
    if (!verdict.ok) throw refused(verdict.host, verdict.reason);
    const { url, host } = verdict;
    if (proxied && !verdict.ghesHost) {
      try {
        await checkedAddresses(host);
      } catch (err) {
        if (err instanceof AgentError) throw err;
        // The proxy may know names this host's resolver does not: it decides then.
      }
    }
    log.info(`reading a job log from ${host}`, { host });
    let res: Dispatcher.ResponseData;
    try {
      // Only `accept` goes: no Authorization, no cookie (blob storage refuses a second scheme).
      res = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: init.headers?.accept ?? 'text/plain' },
        signal: init.signal ?? undefined,
      });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      const cause = err instanceof AgentError ? err : (err as { cause?: unknown }).cause;
      if (cause instanceof AgentError) throw cause;
      throw new TypeError('fetch failed', { cause: err });
    }
    return httpResponse(res, res.body, url.href);
  };
}
