// The /_sim/ control surface: the same operations as the in-process API, over
// HTTP, for a stack started in another process (make stack-up, the demo).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson, readBody, sendJson } from './http-io.js';
import type { FaultTable } from './faults.js';
import type { RunStore } from './run-store.js';
import type { CreateRunSpec, KafkaCredentials, PortFaultSpec, RequestLogEntry } from './types.js';

export interface ControlDeps {
  runs: RunStore;
  faults: FaultTable;
  requests: () => RequestLogEntry[];
  setKafkaCredentials: (c: KafkaCredentials | undefined) => void;
}

/** Fault specs cross HTTP as JSON: a RegExp route travels as `routeRegex`. */
export function faultSpecFromJson(body: unknown): PortFaultSpec {
  if (typeof body !== 'object' || body === null) throw new Error('fault spec must be an object');
  const { routeRegex, ...rest } = body as Record<string, unknown>;
  const spec = rest as unknown as PortFaultSpec;
  if (typeof routeRegex === 'string') spec.route = new RegExp(routeRegex);
  return spec;
}

function faultSpecToJson(spec: PortFaultSpec): Record<string, unknown> {
  const { route, ...rest } = spec;
  return route instanceof RegExp ? { ...rest, routeRegex: route.source } : { ...spec };
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, deps: ControlDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const read = await readBody(req, 1024 * 1024);
  if (read.kind === 'too-large') return sendJson(res, 413, { ok: false, error: 'payload_too_large', message: 'control body too large' });
  const parsed = parseJson(read.raw);
  if (!parsed.ok) return sendJson(res, 400, { ok: false, error: 'invalid_json', message: 'body is not JSON' });
  const body = parsed.value;
  const bad = (message: string): void => sendJson(res, 400, { ok: false, error: 'bad_request', message });

  const runMatch = /^\/_sim\/runs\/([^/]+)$/.exec(pathname);
  const faultMatch = /^\/_sim\/faults\/(\d+)$/.exec(pathname);
  try {
    if (pathname === '/_sim/runs' && method === 'GET') return sendJson(res, 200, { ok: true, runs: deps.runs.list() });
    if (pathname === '/_sim/runs' && method === 'POST') {
      return sendJson(res, 201, { ok: true, run: deps.runs.create(body as CreateRunSpec) });
    }
    if (runMatch && method === 'GET') {
      const run = deps.runs.get(decodeURIComponent(runMatch[1] ?? ''));
      return run ? sendJson(res, 200, { ok: true, run }) : sendJson(res, 404, { ok: false, error: 'not_found', message: 'no such run' });
    }
    if (pathname === '/_sim/requests' && method === 'GET') return sendJson(res, 200, { ok: true, requests: deps.requests() });
    if (pathname === '/_sim/faults' && method === 'GET') {
      return sendJson(res, 200, { ok: true, faults: deps.faults.list().map((f) => ({ ...f, spec: faultSpecToJson(f.spec) })) });
    }
    if (pathname === '/_sim/faults' && method === 'POST') {
      const { id } = deps.faults.add(faultSpecFromJson(body));
      return sendJson(res, 201, { ok: true, id });
    }
    if (pathname === '/_sim/faults' && method === 'DELETE') {
      deps.faults.clear();
      return sendJson(res, 200, { ok: true });
    }
    if (faultMatch && method === 'DELETE') {
      const removed = deps.faults.remove(Number(faultMatch[1]));
      return sendJson(res, removed ? 200 : 404, { ok: removed });
    }
    if (pathname === '/_sim/kafka-credentials' && method === 'PUT') {
      deps.setKafkaCredentials(body as KafkaCredentials);
      return sendJson(res, 200, { ok: true });
    }
  } catch (err) {
    return bad((err as Error).message);
  }
  return sendJson(res, 404, { ok: false, error: 'not_found', message: `${method} ${pathname} is not a control route` });
}
