import { AgentError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { PortHttp } from '../port/port-http.js';
import { JSON_TYPE, type RelayAnswer, portErrorAnswer } from './relay-answer.js';
import type { RelayRoute, RelayRouteName } from './relay-routes.js';
import type { WorkflowIdentity } from './workflow-identity.js';

const OPERATION: Record<Exclude<RelayRouteName, 'token' | 'unknown'>, string> = {
  upsert_entity: 'relay_upsert_entity',
  get_entity: 'relay_get_entity',
  delete_entity: 'relay_delete_entity',
  search_entities: 'relay_search_entities',
  patch_run: 'relay_patch_run',
  add_run_log: 'relay_add_run_log',
};
const METHOD: Record<keyof typeof OPERATION, string> = {
  upsert_entity: 'POST',
  get_entity: 'GET',
  delete_entity: 'DELETE',
  search_entities: 'POST',
  patch_run: 'PATCH',
  add_run_log: 'POST',
};

/**
 * Sends an allowed request on to Port with the agent's own credential and pacing (port-http.ts),
 * never the caller's headers, and passes Port's answer (status, JSON body) back unchanged. Called
 * only after relay-handler.ts authenticated the caller, applied the rate limit, the entity policy
 * and the run scope. Every write is audited: who (repository, workflow, GitHub run) wrote what,
 * and Port's status; never a value.
 */
export async function forwardToPort(
  deps: { portHttp: PortHttp; audit: Logger },
  route: Extract<RelayRoute, { portPath: string }>,
  body: unknown,
  who: WorkflowIdentity,
): Promise<RelayAnswer> {
  const name = route.name;
  let res;
  try {
    res = await deps.portHttp.call(OPERATION[name], METHOD[name], route.portPath, { body });
  } catch (err) {
    const e = err instanceof AgentError ? err : new AgentError('network', String(err));
    return portErrorAnswer(
      e.code === 'timeout' ? 504 : 502,
      'bad_gateway',
      `the relay could not reach Port: ${e.message}`,
      name,
      e.code === 'timeout' ? 'timeout' : 'error',
    );
  }
  const text = await res.text();
  const answer: RelayAnswer = {
    status: res.status,
    body: text,
    headers: { 'content-type': res.headers.get('content-type') ?? JSON_TYPE },
    route: name,
    outcome: res.ok ? 'ok' : 'port_error',
  };
  if (name !== 'get_entity' && name !== 'search_entities') {
    // The audit line of a write: who (repository, workflow, GitHub run) wrote what, and Port's answer. Never a value.
    deps.audit.info('relay write', {
      audit: true,
      route: name,
      repository: who.repository,
      githubRunId: who.runId,
      workflow: who.workflowFile,
      ...('runId' in route && route.runId ? { portRunId: route.runId } : {}),
      ...('entity' in route && route.entity
        ? { blueprint: route.blueprint, entity: route.entity }
        : 'blueprint' in route
          ? { blueprint: route.blueprint }
          : {}),
      status: res.status,
    });
  }
  return answer;
}
