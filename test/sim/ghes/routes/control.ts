// /_sim/* : the same controls as the in-process GhesSim object, as JSON over HTTP, for a
// test or `make stack-up` user driving a simulator in another process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSpec, GhesSim, MintOptions, RepoSpec, RunSeed, WorkflowSpec } from '../types.js';

export interface ControlDeps {
  sim: Omit<GhesSim, 'close'>;
  listFaults(): unknown[];
  removeFault(id: number): boolean;
  addFault(f: FaultSpec): number;
}

type Json = Record<string, unknown>;

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/** JSON fault specs carry `route` as a string; `routePattern` is a RegExp source. */
export function faultFromJson(j: Json): FaultSpec {
  const kinds = ['status', 'secondary-rate-limit', 'latency', 'outage', 'reset'];
  if (typeof j.kind !== 'string' || !kinds.includes(j.kind)) throw new Error(`kind must be one of ${kinds.join(', ')}`);
  if (j.when !== undefined && j.when !== 'before' && j.when !== 'after') throw new Error('when must be "before" or "after"');
  const { routePattern, ...rest } = j;
  const spec = { ...rest } as unknown as FaultSpec;
  if (typeof routePattern === 'string') spec.route = new RegExp(routePattern);
  return spec;
}

export function handleControl(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, path: string, rawBody: string): void {
  const { sim } = deps;
  const method = (req.method ?? 'GET').toUpperCase();
  let body: Json;
  try {
    body = rawBody.trim() ? (JSON.parse(rawBody) as Json) : {};
  } catch {
    return reply(res, 400, { message: 'Problems parsing JSON' });
  }
  try {
    const at = `${method} ${path.replace(/\/+$/, '')}`;
    const rerun = /^POST \/_sim\/runs\/(\d+)\/rerun$/.exec(at);
    const delFault = /^DELETE \/_sim\/faults\/(\d+)$/.exec(at);
    const delInstallation = /^DELETE \/_sim\/installations\/(\d+)$/.exec(at);
    if (delInstallation) {
      sim.removeInstallation(Number(delInstallation[1]));
      return reply(res, 204);
    }
    if (rerun) {
      sim.rerun(Number(rerun[1]));
      return reply(res, 204);
    }
    if (delFault) return reply(res, deps.removeFault(Number(delFault[1])) ? 204 : 404);
    const propValues = /^GET \/_sim\/properties\/values\/([^/]+)\/([^/]+)$/.exec(at);
    if (propValues)
      return reply(res, 200, sim.tracker.propertyValues(decodeURIComponent(propValues[1]!), decodeURIComponent(propValues[2]!)));
    switch (at) {
      case 'GET /_sim/health':
        return reply(res, 200, { ok: true, url: sim.url });
      case 'GET /_sim/app':
        return reply(res, 200, sim.app);
      case 'GET /_sim/requests':
        return reply(res, 200, sim.requests());
      case 'GET /_sim/counters':
        return reply(res, 200, sim.counters());
      case 'GET /_sim/dispatches':
        return reply(res, 200, sim.dispatches());
      case 'GET /_sim/runs':
        return reply(res, 200, sim.runs());
      case 'GET /_sim/faults':
        return reply(res, 200, deps.listFaults());
      case 'POST /_sim/faults':
        return reply(res, 201, { id: deps.addFault(faultFromJson(body)) });
      case 'DELETE /_sim/faults':
        sim.clearFaults();
        return reply(res, 204);
      case 'POST /_sim/repos':
        sim.addRepo(body as unknown as RepoSpec);
        return reply(res, 201, { ok: true });
      case 'POST /_sim/workflows': {
        const { owner, repo, ...wf } = body;
        return reply(res, 201, sim.addWorkflow(String(owner), String(repo), wf as unknown as WorkflowSpec));
      }
      case 'POST /_sim/tokens': {
        const { token, ...access } = body;
        if (typeof token !== 'string' || token === '') throw new Error('token is required');
        sim.addToken(token, access);
        return reply(res, 201, { ok: true });
      }
      case 'POST /_sim/installations': {
        const repositories = body.repositories as 'all' | string[] | undefined;
        const permissions = body.permissions as Record<string, string> | undefined;
        return reply(res, 201, {
          id: sim.addInstallation(String(body.account), {
            ...(repositories ? { repositories } : {}),
            ...(permissions ? { permissions } : {}),
          }),
        });
      }
      // Pull requests, issues, comments, reviews, custom properties (GhesSim.tracker).
      case 'GET /_sim/pulls':
        return reply(res, 200, sim.tracker.pulls());
      case 'GET /_sim/issues':
        return reply(res, 200, sim.tracker.issues());
      case 'GET /_sim/comments':
        return reply(res, 200, sim.tracker.comments());
      case 'GET /_sim/reviews':
        return reply(res, 200, sim.tracker.reviews());
      case 'POST /_sim/pulls/merge-state':
        sim.tracker.setMergeState(String(body.owner), String(body.repo), Number(body.number), body.state as 'clean' | 'dirty' | 'blocked');
        return reply(res, 204);
      case 'POST /_sim/issues': {
        const { owner, repo, ...o } = body;
        return reply(res, 201, { number: sim.tracker.addIssue(String(owner), String(repo), o as { title: string }) });
      }
      case 'POST /_sim/comments': {
        const { owner, repo, number, ...o } = body;
        return reply(res, 201, { id: sim.tracker.addComment(String(owner), String(repo), Number(number), o as { body: string }) });
      }
      case 'POST /_sim/properties': {
        const { org, ...def } = body;
        sim.tracker.defineProperty(String(org), def as unknown as Parameters<GhesSim['tracker']['defineProperty']>[1]);
        return reply(res, 204);
      }
      case 'POST /_sim/clock':
        sim.setClockOffset(Number(body.offsetMs));
        return reply(res, 200, { offsetMs: Number(body.offsetMs) });
      case 'POST /_sim/timing':
        sim.setRunTiming({
          appearDelayMs: body.appearDelayMs === undefined ? undefined : Number(body.appearDelayMs),
          listLagMs: body.listLagMs === undefined ? undefined : Number(body.listLagMs),
          searchLagMs: body.searchLagMs === undefined ? undefined : Number(body.searchLagMs),
          mergeabilityDelayMs: body.mergeabilityDelayMs === undefined ? undefined : Number(body.mergeabilityDelayMs),
        });
        return reply(res, 204);
      case 'POST /_sim/runs':
        return reply(res, 201, { ids: sim.addRuns(body as unknown as RunSeed) });
      case 'POST /_sim/oidc/token': {
        // What a job of run `runId` gets from core.getIDToken(audience) (oidc.ts), for the demo and bench.
        const { runId, ...opts } = body;
        if (typeof opts.audience !== 'string') throw new Error('audience is required');
        sim.oidc.mintForRun(Number(runId), opts as unknown as MintOptions).then(
          (token) => reply(res, 201, { token }),
          (e: unknown) => reply(res, 400, { message: e instanceof Error ? e.message : String(e) }),
        );
        return;
      }
      case 'POST /_sim/oidc/rotate':
        sim.oidc.rotate({ dropOld: body.dropOld === true }).then(
          () => reply(res, 204),
          (e: unknown) => reply(res, 500, { message: String(e) }),
        );
        return;
      case 'POST /_sim/version':
        sim.setVersion(String(body.version));
        return reply(res, 200, { version: String(body.version) });
      default:
        return reply(res, 404, { message: 'Not Found' });
    }
  } catch (e) {
    return reply(res, 400, { message: e instanceof Error ? e.message : String(e) });
  }
}
