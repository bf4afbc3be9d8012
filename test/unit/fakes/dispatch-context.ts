import type { DispatchContext } from '../../../agent/github/dispatch-workflow.js';
import type { GithubApi } from '../../../agent/github/github-api.js';
import type { RunRequest } from '../../../agent/types/run-request.js';
import { KeyedMutex } from '../../../agent/util/semaphore.js';
import { silentLogger } from './logger.js';

/**
 * The dispatch path's context around a fake GHES (`api`): a silent logger, fresh per-repository
 * locks and nothing learned yet (GHES answers run details unless `learned` says otherwise). What
 * a test varies (its clock, correlation timeout, actor, pacing hooks) is given in `over`.
 */
export function fakeDispatchContext(
  api: GithubApi,
  over: Partial<DispatchContext> & Pick<DispatchContext, 'clock' | 'correlationTimeoutMs'>,
): DispatchContext {
  return {
    api,
    logger: silentLogger(),
    locks: new KeyedMutex(),
    learned: { noRunIdInput: new Set(), runDetails: true },
    ...over,
  };
}

/** A Port run asking to dispatch acme/infra deploy.yml with no inputs, under the run id given. */
export function deployRun(runId: string): RunRequest {
  return {
    runId,
    runKind: 'action',
    org: 'acme',
    repo: 'infra',
    workflow: 'deploy.yml',
    workflowInputs: {},
    reportWorkflowStatus: true,
    portPayload: undefined,
  };
}
