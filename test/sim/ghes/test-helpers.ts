// Helpers shared by the simulator's own tests: plain fetch, no Octokit.
import { sign } from 'node:crypto';
import type { GhesSim } from './types.js';

export interface Reply {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

export async function call(
  sim: GhesSim,
  path: string,
  o: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `${o.token.split('.').length === 3 ? 'Bearer' : 'token'} ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, {
    method: o.method ?? 'GET',
    headers,
    body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export function makeJwt(
  privateKeyPem: string,
  iss: number | string,
  o: { iatOffsetS?: number; lifetimeS?: number; nowS?: number } = {},
): string {
  const now = o.nowS ?? Math.floor(Date.now() / 1000);
  const iat = now + (o.iatOffsetS ?? -30);
  const enc = (x: unknown): string => Buffer.from(JSON.stringify(x)).toString('base64url');
  const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iat, exp: iat + (o.lifetimeS ?? 540), iss })}`;
  return `${head}.${sign('RSA-SHA256', Buffer.from(head), privateKeyPem).toString('base64url')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `f` returns a truthy value or the deadline passes. */
export async function until<T>(f: () => T | Promise<T>, timeoutMs = 3000, stepMs = 20): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('until: timed out');
    await sleep(stepMs);
  }
}
