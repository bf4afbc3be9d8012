import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { AgentError } from '../errors.js';

/**
 * A response body as the agent's callers read it: whole (text, json, arrayBuffer), as chunks,
 * or dropped (dump, destroy). Either undici's stream (`streamBody`) or the bytes already read.
 */
export interface ResponseBody extends AsyncIterable<Buffer> {
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
  dump(): Promise<void>;
  destroy(): void;
}

/** The part of a fetch Response the agent's clients (Octokit's request, the Port client) read. */
export interface HttpResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: ResponseHeaders;
  /** The body (async iterable of chunks, or read whole), for callers that parse it themselves. */
  body: ResponseBody;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
  /**
   * Why this 3xx answer was not followed, when a rule did so (redirectRefusal, or `redirect:
   * 'manual'`): callers that treat it as an error name it (port-http.ts, github-client.ts).
   */
  redirectRefused?: string;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | null;
  signal?: AbortSignal | null;
  /** 'manual': a 3xx is the answer, whatever its target (Port's token POST: its body is the client secret). */
  redirect?: 'follow' | 'manual';
}

export type FetchFn = (url: string | URL, init?: HttpRequestInit) => Promise<HttpResponse>;

/** fetch's Response over one of undici's answers and its body (read whole, or the stream itself). */
export function httpResponse(
  res: Pick<Dispatcher.ResponseData, 'statusCode' | 'statusText' | 'headers'>,
  body: ResponseBody,
  href: string,
): HttpResponse {
  const status = res.statusCode;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusText ?? '',
    url: href,
    headers: new ResponseHeaders(res.headers),
    body,
    text: () => body.text(),
    json: () => body.json(),
    arrayBuffer: () => body.arrayBuffer(),
  };
}

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
 * Limits for a fetch that names none: github.maxResponseBytes's and github.requestDeadlineMs's
 * defaults (the agent's own fetches pass the settings: util/response-limits.ts).
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_DEADLINE_MS = 60_000;

/** What an answer may cost at most: the whole answer's time, and its body's size. */
export interface ResponseLimits {
  /** From the request's start to the body's last byte (redirects included), in ms. */
  deadlineMs: number;
  /** Bytes of body at most; undefined with `streamBody` (the caller caps what it reads). */
  maxBodyBytes?: number;
  /** The settings that set them, named in the errors: e.g. github.requestDeadlineMs, github.maxResponseBytes. */
  deadlineSetting: string;
  sizeSetting: string;
  /** Told each time a limit cuts an answer (the metric ghes_agent_limit_reached_total). */
  onLimit?: (limit: 'deadline' | 'size') => void;
}

/**
 * A fetch for one remote (GHES or Port): TLS verified by default, an optional private CA added
 * to the public roots (and to NODE_EXTRA_CA_CERTS, which an explicit `ca` would otherwise
 * drop), HTTPS_PROXY/HTTP_PROXY/NO_PROXY honoured, a per-request idle timeout, and limits on
 * the whole answer (ResponseLimits).
 *
 * Why a total deadline as well as the timeouts: undici's headersTimeout and bodyTimeout are idle
 * timers, restarted by every byte, so an answer of one byte every 20 s never trips them and holds
 * its connection (and, for GHES, a concurrency slot) for ever. Why a size cap: a JSON answer is
 * held whole in memory before it is parsed, so a hostile or broken remote could fill the heap.
 */
export function createFetch(opts: {
  caFile?: string;
  insecure?: boolean;
  timeoutMs: number;
  name: string;
  /** false: a 3xx is returned as it is (the job-log redirect, whose target must not get the GHES credentials). */
  followRedirects?: boolean;
  /** Defaults: DEFAULT_DEADLINE_MS, DEFAULT_MAX_BODY_BYTES, settings named after `name`'s prefix. */
  limits?: Partial<ResponseLimits>;
  /**
   * true: the body is handed over unread, as undici's stream (a job log, which the caller reads
   * up to its own cap and then drops); the deadline still runs until the stream closes. false
   * (default): the body is read whole, within the deadline and the cap, before the answer is
   * returned, so a cut answer is a rejected fetch: Octokit turns a failure while it reads a
   * body into an empty `data` (@octokit/request getResponseData's catch), which would pass for
   * an answer.
   */
  streamBody?: boolean;
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
  const prefix = opts.name.split('.')[0];
  const maxBodyBytes = opts.limits?.maxBodyBytes ?? (opts.streamBody ? undefined : DEFAULT_MAX_BODY_BYTES);
  const limits: ResponseLimits = {
    deadlineMs: opts.limits?.deadlineMs ?? DEFAULT_DEADLINE_MS,
    maxBodyBytes,
    deadlineSetting: opts.limits?.deadlineSetting ?? `${prefix}.requestDeadlineMs`,
    sizeSetting: opts.limits?.sizeSetting ?? `${prefix}.maxResponseBytes`,
    onLimit: opts.limits?.onLimit,
  };
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
    // The size cap is counted by undici's HTTP parser as the bytes arrive (client-h1.js onBody):
    // past it the socket is destroyed, nothing more is read, and nothing is added per request.
    ...(maxBodyBytes === undefined ? {} : { maxResponseSize: maxBodyBytes }),
  };
  // EnvHttpProxyAgent reads HTTP(S)_PROXY once, when it is made; without either it sends every
  // request directly, yet still parses each request's origin and reads NO_PROXY from the
  // environment per request. A plain Agent does the same without that work.
  const dispatcher = proxyConfigured(process.env) ? new EnvHttpProxyAgent(options) : new Agent(options);
  // GitHub answers renamed repositories with 301/307 and expects clients to follow (as fetch does).
  const follow = opts.followRedirects !== false;
  const stream = opts.streamBody === true;
  return (input, init) => send(dispatcher, input, init, { follow, stream, limits });
}

/** Redirects followed at most per request (undici's redirect interceptor's and fetch's bound is 5 and 20). */
export const MAX_REDIRECTS = 5;

export interface RedirectableRequest {
  url: URL;
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const REDIRECTS = [300, 301, 302, 303, 307, 308];
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Why a redirect answer must not be followed, or undefined when it may be (issue 23). Who could
 * send one: whoever answers for the remote (a compromised or misconfigured GHES or Port, a proxy,
 * anyone on the path of plain http). What it could get: fetch's rules (RFC 9110 §15.4.4/15.4.8)
 * repeat a 307/308 with its body, and a Location on another host would so receive the Port token
 * POST's `{clientId, clientSecret}` or a dispatch's inputs; a credential header on another origin
 * is a token handed over. So:
 * - never from https to http, whatever the origin (the body and any header would cross the
 *   network in clear text);
 * - never to another origin when the request carries a body or credentials (Authorization,
 *   Cookie, Proxy-Authorization). GHES's rename redirects (301/307 for a renamed or transferred
 *   repository, "Moved Permanently" in GitHub's REST docs) stay on GHES's origin and are followed.
 */
export function redirectRefusal(req: RedirectableRequest, location: URL): string | undefined {
  if (req.url.protocol === 'https:' && location.protocol !== 'https:')
    return `it leads from https to ${location.protocol.replace(':', '')}`;
  if (location.origin === req.url.origin) return undefined;
  if (req.body !== undefined && req.body !== null && req.body.length > 0) return 'it leads to another origin and the request has a body';
  for (const name of Object.keys(req.headers ?? {}))
    if (CREDENTIAL_HEADERS.has(name.toLowerCase())) return 'it leads to another origin and the request carries credentials';
  return undefined;
}

/**
 * The request a redirect answer asks for, or undefined when it is not one to follow, by the
 * rules of fetch and RFC 9110 §15.4 that undici's redirect interceptor applies: a 301/302 to a
 * POST and a 303 to anything but HEAD become a GET without a body (a 303 also drops the
 * Content-* headers); a 307/308 repeats the request as it was; the Host header is dropped.
 * A redirect that redirectRefusal refuses is not one to follow. Followed here rather than by
 * undici's interceptor, whose handler wrapping cost about 3% of the agent's CPU on every
 * request, redirected or not (issue 16).
 */
export function redirectRequest(req: RedirectableRequest, status: number, location: string | undefined): RedirectableRequest | undefined {
  const url = redirectTarget(req, status, location);
  if (!url || redirectRefusal(req, url)) return undefined;
  const toGet = ((status === 301 || status === 302) && req.method === 'POST') || (status === 303 && req.method !== 'HEAD');
  const otherOrigin = url.origin !== req.url.origin;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'host') continue;
    if (status === 303 && name.startsWith('content-')) continue;
    // Unreachable after redirectRefusal, kept as the rule's second line: credentials never leave their origin.
    if (otherOrigin && CREDENTIAL_HEADERS.has(name)) continue;
    headers[k] = v;
  }
  return { url, method: toGet ? 'GET' : req.method, headers, body: toGet ? undefined : req.body };
}

/** The URL a redirect answer points to, or undefined when the answer is none (status, no or bad Location). */
function redirectTarget(req: RedirectableRequest, status: number, location: string | undefined): URL | undefined {
  if (!location || !REDIRECTS.includes(status)) return undefined;
  try {
    return new URL(location, req.url);
  } catch {
    return undefined;
  }
}

/** How one createFetch sends: redirects followed or not, body streamed or read whole, its limits. */
interface SendOptions {
  follow: boolean;
  stream: boolean;
  limits: ResponseLimits;
}

/**
 * fetch's contract on undici's `request`: the WHATWG fetch machinery (web streams, Request and
 * Response objects, transferable bodies) cost about 0.25 ms of CPU per request, five times the
 * request itself, and the agent makes several per Port run. Network failures still reject with
 * fetch's `TypeError('fetch failed', { cause })` and an abort with the signal's reason; a missed
 * deadline or a body over the cap rejects with an AgentError naming the setting (limitError).
 *
 * The deadline costs one AbortController and one plain setTimeout per request, cleared when the
 * body is read (or its stream closes): no AbortSignal.timeout, whose timer outlives the request,
 * and no AbortSignal.any, which left a listener on the caller's signal per request (issue 16:
 * together a fifth of the agent's CPU). The caller's signal gets one listener, removed at the
 * end. When the deadline passes, the request's signal aborts: undici destroys the socket (before
 * the headers through the request's abort, after them through the body stream), which frees the
 * connection and whatever slot the caller holds while it waits.
 */
async function send(client: Dispatcher, input: string | URL, init: HttpRequestInit = {}, opts: SendOptions): Promise<HttpResponse> {
  const { limits } = opts;
  let target = requestTarget(input);
  const firstHost = target.origin;
  let method = (init.method ?? 'GET').toUpperCase();
  let headers = init.headers;
  let reqBody = init.body ?? undefined;
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(DEADLINE), limits.deadlineMs);
  const callerSignal = init.signal ?? undefined;
  const onCallerAbort = () => controller.abort(callerSignal!.reason);
  if (callerSignal?.aborted) controller.abort(callerSignal.reason);
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const done = () => {
    clearTimeout(deadline);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  };
  let res: Dispatcher.ResponseData | undefined;
  let redirectRefused: string | undefined;
  try {
    for (let hops = 0; ; hops++) {
      res = await client.request({
        origin: target.origin,
        path: target.path,
        method,
        headers,
        body: reqBody,
        signal: controller.signal,
      });
      if (res.statusCode < 300 || res.statusCode >= 400 || res.statusCode === 304) break;
      if (init.redirect === 'manual') {
        redirectRefused = 'not followed: this request follows none';
        break;
      }
      if (!opts.follow) break;
      if (hops >= MAX_REDIRECTS) {
        redirectRefused = `not followed: more than ${MAX_REDIRECTS} in a row`;
        break;
      }
      const location = res.headers.location;
      const from: RedirectableRequest = { url: new URL(target.href), method, headers, body: reqBody };
      const to = redirectTarget(from, res.statusCode, Array.isArray(location) ? location[0] : location);
      if (!to) break;
      const refusal = redirectRefusal(from, to);
      if (refusal) {
        redirectRefused = `not followed to ${to.origin}: ${refusal}`;
        break;
      }
      const next = redirectRequest(from, res.statusCode, to.href)!;
      // A redirect's own body is never read (as fetch and undici's interceptor do): released, then the next hop.
      await res.body.dump().catch(() => undefined);
      target = requestTarget(next.url);
      ({ method, headers, body: reqBody } = next);
    }
    // A HEAD's, a 204's or a 304's Content-Length is the size of a body they do not carry.
    const length = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304 ? 0 : Number(res.headers['content-length']);
    if (limits.maxBodyBytes !== undefined && length > limits.maxBodyBytes) {
      // Announced too large: not a byte of it is read.
      res.body.destroy();
      throw new UndiciSizeError();
    }
    const body: ResponseBody = opts.stream ? res.body : new BufferedBody(Buffer.from(await res.body.arrayBuffer()));
    if (opts.stream) res.body.once('close', done);
    else done();
    const response = httpResponse(res, body, target.href);
    return redirectRefused ? { ...response, redirectRefused } : response;
  } catch (err) {
    done();
    res?.body.on('error', () => undefined).destroy();
    if (callerSignal?.aborted) throw callerSignal.reason ?? err;
    const limit = controller.signal.aborted && controller.signal.reason === DEADLINE ? 'deadline' : isSizeError(err) ? 'size' : undefined;
    if (limit) {
      limits.onLimit?.(limit);
      throw limitError(limit, limits, hostOf(firstHost));
    }
    throw new TypeError('fetch failed', { cause: err });
  }
}

/** The reason the deadline aborts a request with (one object: told apart from the caller's abort by identity). */
const DEADLINE = Object.freeze(new Error('response deadline passed'));

/** Thrown here for a Content-Length over the cap, as undici throws for a body that grows past it. */
class UndiciSizeError extends Error {
  readonly code = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
}

function isSizeError(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
}

function hostOf(origin: string): string {
  return origin.replace(/^[a-z]+:\/\//, '');
}

/**
 * The error of an answer a limit cut: it names the host and the setting, never anything of the
 * answer. Retriable: a slow or oversized answer may be a proxy's or an overloaded server's, and
 * what the agent does with a retriable error (wait, try again, keep the run) loses nothing.
 */
export function limitError(
  limit: 'deadline' | 'size',
  limits: Pick<ResponseLimits, 'deadlineMs' | 'maxBodyBytes' | 'deadlineSetting' | 'sizeSetting'>,
  host: string,
): AgentError {
  return limit === 'deadline'
    ? new AgentError(
        'timeout',
        `the answer of ${host} did not arrive whole within ${limits.deadlineMs} ms (${limits.deadlineSetting}); the connection was closed`,
        { retriable: true },
      )
    : new AgentError(
        'limits',
        `the answer of ${host} is larger than ${limits.maxBodyBytes} bytes (${limits.sizeSetting}); the connection was closed`,
        { retriable: true },
      );
}

/** A body already read whole: read as often as asked, as text, JSON, bytes or one chunk. */
class BufferedBody implements ResponseBody {
  constructor(private readonly bytes: Buffer) {}
  text(): Promise<string> {
    // As undici's text() and fetch's: UTF-8, a byte-order mark dropped.
    const text = this.bytes.toString('utf8');
    return Promise.resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength) as ArrayBuffer);
  }
  async dump(): Promise<void> {}
  destroy(): void {}
  // eslint-disable-next-line @typescript-eslint/require-await -- ResponseBody is an async iterable; these bytes are already in memory, nothing to await
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.bytes.length > 0) yield this.bytes;
  }
}

/**
 * A plain http(s) URL, already in the form the URL parser gives it: a lower-case host name (or a
 * dotted quad without leading zeros), an explicit port only when not a default one, no dot
 * segments (nor escaped ones), no characters the parser would escape. The agent's own URLs (its
 * configured base URLs, Octokit's expanded routes) are.
 */
const PLAIN_URL =
  /^(https?:\/\/(?:(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::([1-9][0-9]{0,4}))?)((?:\/(?!\.\.?(?:[/?]|$))[\w\-.~!$&()*+,;=:@%]*)+(?:\?[\w\-.~!$&()*+,;=:@%/?]*)?)$/;

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
  // A limit's error (limitError) already names the host and the setting.
  if (err instanceof AgentError) return err.message;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `TLS certificate of ${host} is not trusted (${code}). Add its CA bundle with ${caSetting} (or NODE_EXTRA_CA_CERTS).`;
  }
  if (code === 'ECONNREFUSED') return `connection to ${host} refused`;
  if (code === 'ENOTFOUND') return `host ${host} not found (DNS)`;
  if (
    (err as Error)?.name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  )
    return `request to ${host} timed out`;
  return `request to ${host} failed: ${code ?? cause?.message ?? (err as Error)?.message ?? String(err)}`;
}
