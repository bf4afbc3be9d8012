import type { RunRequest } from '../types/run-request.js';
import type { ActionExecutor } from './executor.js';

/**
 * One executor per Port action type, as Ocean's registry registers them (port-labs/ocean
 * integrations/github/github/actions/registry.py `register_actions_executors`): the processor
 * asks the registry, never branches per type. A run without `action` is dispatch_workflow.
 */
export function createActionRegistry(executors: ActionExecutor[]) {
  const byType = new Map(executors.map((e) => [e.type as string, e]));
  if (byType.size !== executors.length) throw new Error('two executors for one action type');
  return {
    executorFor(run: Pick<RunRequest, 'action'>): ActionExecutor | undefined {
      return byType.get(run.action?.type ?? 'dispatch_workflow');
    },
    types: () => [...byType.keys()],
    /** Every executor's own status labels (ActionExecutor.labels). */
    labels: (): ReadonlySet<string> => new Set(executors.flatMap((e) => e.labels)),
  };
}

export type ActionRegistry = ReturnType<typeof createActionRegistry>;
