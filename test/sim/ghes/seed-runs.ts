import type { SimContext } from './context.js';
import { renderRunName } from './render-title.js';
import type { DispatchRecord, RunSeed } from './types.js';

/**
 * Runs created as if someone else had dispatched them (a person, another tool), straight into
 * the state: a busy repository in a test costs no HTTP round trips. They exist at once and are
 * listed after the usual list lag.
 */
export function seedRuns(ctx: SimContext, seed: RunSeed): number[] {
  const repo = ctx.state.findRepo(seed.owner, seed.repo);
  if (!repo) throw new Error(`addRuns: unknown repository ${seed.owner}/${seed.repo}`);
  const wf = ctx.state.findWorkflow(repo, seed.workflow);
  if (!wf) throw new Error(`addRuns: unknown workflow ${seed.workflow}`);
  const actor = ctx.state.account(seed.actor ?? 'sim-user', 'User');
  const ref = seed.ref ?? repo.defaultBranch;
  const inputs = seed.inputs ?? {};
  const ids: number[] = [];
  for (let i = 0; i < (seed.count ?? 1); i++) {
    const at = ctx.clock.now();
    const dispatch: DispatchRecord = {
      owner: repo.owner.login,
      repo: repo.name,
      workflowId: wf.id,
      workflowPath: wf.path,
      ref,
      inputs,
      returnRunDetails: false,
      at,
      status: 204,
      actor: actor.login,
    };
    const workflow = seed.script ? { ...wf, spec: { ...wf.spec, script: seed.script } } : wf;
    const run = ctx.state.createRun({
      repo,
      workflow,
      dispatch,
      inputs,
      actor,
      headBranch: ref.replace(/^refs\/(heads|tags)\//, ''),
      displayTitle: renderRunName(wf.spec.runName, inputs, wf.name),
      createdAtMs: at,
      startAtMs: at,
    });
    // createRun counted the copy's runs; keep the workflow's own count and identity.
    run.workflow = wf;
    wf.runCount = Math.max(wf.runCount, run.runNumber);
    dispatch.runId = run.id;
    ids.push(run.id);
  }
  return ids;
}
