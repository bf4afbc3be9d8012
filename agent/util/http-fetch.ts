import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { AgentError } from '../errors.js';

/** The part of a fetch Response the agent's clients (Octokit's request, the Port client) read. */
export interface HttpResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: ResponseHeaders;
  /** The body as a Node stream (async iterable of chunks), for callers that parse it themselves. */
  body: Dispatcher.ResponseData['body'];
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | null;
  signal?: AbortSignal | null;
}

export type FetchFn = (url: string | URL, init?: HttpRequestInit) => Promise<HttpResponse>;

/** Read-only response headers with the fetch `Headers` interface the clients use (get, iteration). */
export class ResponseHeaders implements Iterable<[string, string]> {
  constructor(private readonly raw: Record<string, string | string[] | undefined>) {}
  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of Object.entries(this.raw)) if (v !== undefined) yield [k, Array.isArray(v) ? v.join(', ') : v];
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const [k, v] of this.entries()) fn(v, k);
  }
}

/**
 * A fetch for one remote (GHES or Port): TLS verified by default, an optional private CA added
 * to the public roots (and to NODE_EXTRA_CA_CERTS, which an explicit `ca` would otherwise
 * drop), HTTPS_PROXY/HTTP_PROXY/NO_PROXY honoured, and a per-request timeout.
 */
export function createFetch(opts: {
  caFile?: string;
  insecure?: boolean;
  timeoutMs: number;
  name: string;
  /** false: a 3xx is returned as it is (the job-log redirect, whose target must not get the GHES credentials). */
  followRedirects?: boolean;
}): FetchFn {
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
  const options = {
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
  };
  // EnvHttpProxyAgent reads HTTP(S)_PROXY once, when it is made; without either it sends every
  // request directly, yet still parses each request's origin and reads NO_PROXY from the
  // environment per request. A plain Agent does the same without that work.
  const dispatcher = proxyConfigured(process.env) ? new EnvHttpProxyAgent(options) : new Agent(options);
  // GitHub answers renamed repositories with 301/307 and expects clients to follow (as fetch does).
  const follow = opts.followRedirects !== false;
  return (input, init) => send(dispatcher, input, init, follow);
}

/** Redirects followed at most per request (undici's redirect interceptor's and fetch's bound is 5 and 20). */
export const MAX_REDIRECTS = 5;

export interface RedirectableRequest {
  url: URL;
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * The request a redirect answer asks for, or undefined when it is not one to follow, by the
 * rules of fetch and RFC 9110 §15.4 that undici's redirect interceptor applies: a 301/302 to a
 * POST and a 303 to anything but HEAD become a GET without a body (a 303 also drops the
 * Content-* headers); a 307/308 repeats the request as it was; the Host header is dropped, and
 * Authorization and cookies too when the target is another origin (GHES credentials never go
 * to another host). Followed here rather than by undici's interceptor, whose handler wrapping
 * cost about 3% of the agent's CPU on every request, redirected or not (issue 16).
 */
export function redirectRequest(req: RedirectableRequest, status: number, location: string | undefined): RedirectableRequest | undefined {
  if (!location || ![300, 301, 302, 303, 307, 308].includes(status)) return undefined;
  let url: URL;
  try {
    url = new URL(location, req.url);
  } catch {
    return undefined;
  }
  const toGet = ((status === 301 || status === 302) && req.method === 'POST') || (status === 303 && req.method !== 'HEAD');
  const otherOrigin = url.origin !== req.url.origin;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'host') continue;
    if (status === 303 && name.startsWith('content-')) continue;
    if (otherOrigin && (name === 'authorization' || name === 'cookie' || name === 'proxy-authorization')) continue;
    headers[k] = v;
  }
  return { url, method: toGet ? 'GET' : req.method, headers, body: toGet ? undefined : req.body };
}

/**
 * fetch's contract on undici's `request`: the WHATWG fetch machinery (web streams, Request and
 * Response objects, transferable bodies) cost about 0.25 ms of CPU per request, five times the
 * request itself, and the agent makes several per Port run. Network failures still reject with
 * fetch's `TypeError('fetch failed', { cause })` and an abort with the signal's reason.
 */
async function send(client: Dispatcher, input: string | URL, init: HttpRequestInit = {}, follow = true): Promise<HttpResponse> {
  let target = requestTarget(input);
  let method = (init.method ?? 'GET').toUpperCase();
  let headers = init.headers;
  let reqBody = init.body ?? undefined;
  let res: Dispatcher.ResponseData;
  for (let hops = 0; ; hops++) {
    try {
      res = await client.request({ origin: target.origin, path: target.path, method: method as Dispatcher.HttpMethod, headers, body: reqBody, signal: init.signal ?? undefined });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new TypeError('fetch failed', { cause: err });
    }
    if (!follow || hops >= MAX_REDIRECTS || res.statusCode < 300 || res.statusCode >= 400) break;
    const location = res.headers.location;
    const next = redirectRequest({ url: new URL(target.href), method, headers, body: reqBody }, res.statusCode, Array.isArray(location) ? location[0] : location);
    if (!next) break;
    // A redirect's own body is never read (as fetch and undici's interceptor do): released, then the next hop.
    await res.body.dump().catch(() => undefined);
    target = requestTarget(next.url);
    ({ method, headers, body: reqBody } = next);
  }
  const { statusCode: status, body } = res;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusText ?? '',
    url: target.href,
    headers: new ResponseHeaders(res.headers),
    body,
    text: () => body.text(),
    json: () => body.json(),
    arrayBuffer: () => body.arrayBuffer(),
  };
}

/**
 * A plain http(s) URL, already in the form the URL parser gives it: a lower-case host name (or a
 * dotted quad without leading zeros), an explicit port only when not a default one, no dot
 * segments (nor escaped ones), no characters the parser would escape. The agent's own URLs (its
 * configured base URLs, Octokit's expanded routes) are.
 */
const PLAIN_URL = /^(https?:\/\/(?:(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9][0-9]{0,4}))?)((?:\/(?!\.\.?(?:[/?]|$))[\w\-.~!$&()*+,;=:@%]*)+(?:\?[\w\-.~!$&()*+,;=:@%/?]*)?)$/;

/**
 * Origin and path of a request URL. A plain one is split by a regular expression: a URL parse
 * per request was about 1% of the agent's CPU (issue 16); anything else goes through the URL
 * parser, whose answer is the same for the plain ones (http-fetch.test.ts).
 */
export function requestTarget(input: string | URL): { origin: string; path: string; href: string } {
  if (typeof input === 'string') {
    const m = PLAIN_URL.exec(input);
    const port = m?.[2] === undefined ? 0 : Number(m[2]);
    if (m && port !== 80 && port !== 443 && port <= 65535 && !/%2e/i.test(m[3]!)) return { origin: m[1]!, path: m[3]!, href: input };
  }
  const url = typeof input === 'string' ? new URL(input) : input;
  return { origin: url.origin, path: `${url.pathname}${url.search}`, href: url.href };
}

/** Whether the environment names a proxy (undici's EnvHttpProxyAgent reads the same four variables). */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.http_proxy || env.HTTP_PROXY || env.https_proxy || env.HTTPS_PROXY);
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
