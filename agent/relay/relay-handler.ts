/**
 * What the relay does with one request, from its parsed parts to the answer; the HTTP listener
 * (relay-server.ts) reads the request within its caps and writes the answer.
 *
 * Every route, who could call it and what stops them:
 * - POST /v1/auth/access_token: anyone reaching the listener. The OIDC token (sent where the
 *   action sends clientSecret) must verify (oidc-verifier.ts); the answer is that same token in
 *   Port's token shape, so nothing is stored and any replica serves the next request.
 * - every other route: the bearer must verify again (stateless); then the token's repository has
 *   to be within relay.requestsPerRepoPerMinute.
 * - PATCH /v1/actions/runs/{id}, POST …/logs, and any write naming ?run_id=: only the workflow run
 *   Port's record of that run names (run-scope.ts).
 * - entity reads and writes: relay.policy (relay-policy.ts) for the token's repository, workflow,
 *   ref and environment, and the blueprint.
 * Forwarded with the agent's own Port credential and pacing (port/port-http.ts), never the caller's
 * headers; Port's answer (status, JSON body) is passed back unchanged. Refusals use Port's error
 * shape {ok: false, error, message} with the reason.
 */
import type { JWTPayload } from 'jose';
import type { RelayRule } from '../config/schema.js';
import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { PortHttp } from '../port/port-http.js';
import type { OidcVerifier } from './oidc-verifier.js';
import { JSON_TYPE, type RelayAnswer, portErrorAnswer } from './relay-answer.js';
import { entityRefusal } from './relay-entity-checks.js';
import { forwardToPort } from './relay-forward.js';
import { type RelayRouteName, matchRelayRoute } from './relay-routes.js';
import type { RepoRateLimit } from './repo-rate-limit.js';
import type { RunScope } from './run-scope.js';
import { type WorkflowIdentity, workflowIdentity } from './workflow-identity.js';

export interface RelayRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  /** The body as received (already within relay.maxBodyBytes). */
  body: string;
}

export interface RelayHandlerDeps {
  verifier: OidcVerifier;
  portHttp: PortHttp;
  runScope: RunScope;
  rate: RepoRateLimit;
  policy: readonly RelayRule[];
  logger: Logger;
  now: () => number;
}

function parseBody(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export function createRelayHandler(deps: RelayHandlerDeps): (req: RelayRequest) => Promise<RelayAnswer> {
  const audit = deps.logger.child({ component: 'relay' });

  async function authenticate(
    token: string | undefined,
    route: RelayRouteName,
  ): Promise<{ who: WorkflowIdentity; claims: JWTPayload } | RelayAnswer> {
    if (!token)
      return portErrorAnswer(
        401,
        'unauthorized',
        'Missing bearer token: get one from POST /v1/auth/access_token with the GitHub OIDC token as clientSecret',
        route,
        'unauthenticated',
      );
    try {
      const claims = await deps.verifier.verify(token);
      return { who: workflowIdentity(claims), claims };
    } catch (err) {
      const e = err instanceof AgentError ? err : new AgentError('auth', 'the token is refused', { status: 401 });
      if (e.status === 401) return portErrorAnswer(401, 'unauthorized', e.message, route, 'unauthenticated');
      return portErrorAnswer(503, 'service_unavailable', e.message, route, 'error', { 'retry-after': '5' });
    }
  }

  function limited(who: WorkflowIdentity, route: RelayRouteName): RelayAnswer | undefined {
    const waitMs = deps.rate.take(who.repositoryId);
    if (waitMs === 0) return undefined;
    return portErrorAnswer(
      429,
      'rate_limit_exceeded',
      `${who.repository} made more than relay.requestsPerRepoPerMinute requests in the last minute`,
      route,
      'rate_limited',
      { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
    );
  }

  return async function handle(req) {
    const route = matchRelayRoute(req.method, req.url);
    if (route.name === 'unknown')
      return portErrorAnswer(
        route.status,
        route.status === 404 ? 'not_found' : route.status === 405 ? 'method_not_allowed' : 'invalid_request',
        route.reason,
        'unknown',
        route.status === 404 ? 'not_found' : 'bad_request',
      );
    const parsed = parseBody(req.body);
    if (!parsed.ok) return portErrorAnswer(400, 'invalid_json', 'request body is not valid JSON', route.name, 'bad_request');

    if (route.name === 'token') {
      // getToken.ts posts {clientId, clientSecret}; the GitHub OIDC token stands in for the secret, any clientId.
      const b = parsed.value as { clientSecret?: unknown } | undefined;
      const token = typeof b === 'object' && b !== null && typeof b.clientSecret === 'string' ? b.clientSecret : undefined;
      if (!token)
        return portErrorAnswer(
          422,
          'invalid_request',
          "body must have 'clientSecret': the workflow's GitHub OIDC token for the relay's audience",
          'token',
          'bad_request',
        );
      const auth = await authenticate(token, 'token');
      if ('status' in auth) return auth;
      const over = limited(auth.who, 'token');
      if (over) return over;
      const expiresIn = Math.max(0, (auth.claims.exp ?? 0) - Math.floor(deps.now() / 1000));
      return {
        status: 200,
        body: JSON.stringify({ ok: true, accessToken: token, expiresIn, tokenType: 'Bearer' }),
        headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
        route: 'token',
        outcome: 'ok',
      };
    }

    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '')?.[1];
    const auth = await authenticate(bearer, route.name);
    if ('status' in auth) return auth;
    const { who } = auth;
    const over = limited(who, route.name);
    if (over) return over;
    const forbid = (reason: string) => portErrorAnswer(403, 'forbidden', reason, route.name, 'forbidden');

    // Entity decisions first (pure, no Port read), then the run scope (one cached Port read).
    const refusal = entityRefusal(deps.policy, who, route, parsed.value);
    if (refusal !== undefined) return forbid(refusal);
    const runId = route.name === 'patch_run' || route.name === 'add_run_log' ? route.runId : 'runId' in route ? route.runId : undefined;
    if (runId !== undefined) {
      if (!/^r_[A-Za-z0-9_-]{1,100}$/.test(runId))
        return portErrorAnswer(400, 'invalid_request', 'run_id is not an action run id (r_…)', route.name, 'bad_request');
      let scope;
      try {
        scope = await deps.runScope.check(runId, who);
      } catch (err) {
        return portErrorAnswer(
          502,
          'bad_gateway',
          `the relay could not read Port run ${runId}: ${err instanceof Error ? err.message : String(err)}`,
          route.name,
          'error',
        );
      }
      if (scope === 'not_found') return portErrorAnswer(404, 'not_found', `Action run ${runId} was not found`, route.name, 'not_found');
      if (!scope.allowed) return forbid(scope.reason);
    }
    return forwardToPort({ portHttp: deps.portHttp, audit }, route, parsed.value, who);
  };
}
