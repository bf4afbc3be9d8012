// Task s24-d item 2: one rule for "is this run of that workflow", used by the run-name path
// (github/own-run.ts) and the recorded-run check (run/verify-recorded-run.ts). The first test
// moved here from planted-runs.test.ts with its unit; its one changed line is the case rule:
// file names now compare with case, as GitHub resolves them (workflow-of-run.ts says why).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownership } from '../../agent/github/own-run.js';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import { isRunOfWorkflow } from '../../agent/github/workflow-of-run.js';
import { verifyRecordedRun } from '../../agent/run/verify-recorded-run.js';

const of = (path: string | undefined, workflow = 'deploy.yml', workflow_id?: number) =>
  isRunOfWorkflow({ path, workflow_id }, { org: 'acme', repo: 'infra', workflow });

describe('workflow-of-run: the one rule for "is this run of that workflow"', () => {
  it("the workflow by file (both path forms of GitHub's OpenAPI description) or by numeric id", () => {
    assert.equal(of('.github/workflows/deploy.yml'), true);
    assert.equal(of('.github/workflows/Deploy.yml'), false, 'file names compare with case, as GitHub resolves them');
    assert.equal(of('acme/infra/.github/workflows/deploy.yml@main'), true);
    assert.equal(of('acme/infra/.github/workflows/deploy.yml@refs/heads/feature/x'), true);
    assert.equal(of('evil/infra/.github/workflows/deploy.yml@main'), false, "another repository's workflow");
    assert.equal(of('.github/workflows/deploy.yml.bak'), false);
    assert.equal(of('.github/workflows/sub/deploy.yml'), false);
    assert.equal(of('dynamic/pages/pages-build-deployment'), false);
    assert.equal(of(undefined), undefined);
    assert.equal(of('.github/workflows/deploy.yml', '11', 11), true, 'a numeric workflow compares with workflow_id');
    assert.equal(of('.github/workflows/deploy.yml', '11', 12), false);
    assert.equal(of('.github/workflows/deploy.yml', '11', undefined), undefined);
  });

  it('case: the file compares exactly, owner and repository without case (the REST API documents them "not case sensitive")', () => {
    assert.equal(of('.github/workflows/deploy.yml', 'Deploy.yml'), false);
    assert.equal(of('.github/workflows/DEPLOY.YML'), false);
    assert.equal(of('ACME/Infra/.github/workflows/deploy.yml@main'), true);
    assert.equal(of('acme/infra/.github/workflows/Deploy.yml@main'), false);
    assert.equal(of('.GitHub/Workflows/deploy.yml'), false, 'the directory is .github/workflows exactly');
  });

  it('directory: only .github/workflows itself, in the invocation repository', () => {
    assert.equal(of('deploy.yml'), false, 'a bare file name is no workflow path');
    assert.equal(of('.github/deploy.yml'), false);
    assert.equal(of('x/.github/workflows/deploy.yml'), false, 'one prefix segment is no owner/repo');
    assert.equal(of('acme/infra/sub/.github/workflows/deploy.yml'), false);
    assert.equal(of('acme/other/.github/workflows/deploy.yml@main'), false, 'same owner, another repository');
    assert.equal(of('.github/workflows/deploy.yml@refs/heads/a@b'), true, 'a ref may hold @');
  });

  it('extension: .yml and .yaml are different files', () => {
    assert.equal(of('.github/workflows/deploy.yaml'), false);
    assert.equal(of('.github/workflows/deploy.yml', 'deploy.yaml'), false);
    assert.equal(of('.github/workflows/deploy.yaml', 'deploy.yaml'), true);
  });

  it('numeric ids compare as the digits GitHub prints', () => {
    assert.equal(of(undefined, '011', 11), false, 'leading zeros name no workflow GitHub prints');
  });

  it('the run-name path and the recorded-run check decide alike for every case', () => {
    const paths = [
      '.github/workflows/deploy.yml',
      '.github/workflows/Deploy.yml',
      '.github/workflows/deploy.yaml',
      '.github/workflows/sub/deploy.yml',
      'acme/infra/.github/workflows/deploy.yml@main',
      'ACME/INFRA/.github/workflows/deploy.yml@main',
      'evil/infra/.github/workflows/deploy.yml@main',
      'acme/infra/.github/workflows/deploy.yml@refs/heads/a@b',
    ];
    for (const path of paths) {
      const run: WorkflowRun = {
        id: 900,
        status: 'in_progress',
        conclusion: null,
        html_url: 'https://ghes.example/acme/infra/actions/runs/900',
        display_title: 'Deploy r_1',
        head_branch: 'main',
        created_at: '2026-01-01T10:00:00Z',
        updated_at: '2026-01-01T10:00:00Z',
        event: 'workflow_dispatch',
        actor: 'agent[bot]',
        path,
        repository_id: 42,
        repository_owner_id: 7,
      };
      const byName = ownership(run, { actor: 'agent[bot]', org: 'acme', repo: 'infra', workflow: 'deploy.yml' }).kind === 'own';
      const recorded =
        verifyRecordedRun(
          {
            invocation: { runId: 'r_1', org: 'acme', repo: 'infra', workflow: 'deploy.yml' },
            repo: { id: 42, ownerId: 7 },
            actor: 'agent[bot]',
          },
          run,
        ).kind === 'accepted';
      assert.equal(byName, recorded, `${path}: run-name path says ${byName}, recorded-run check says ${recorded}`);
      assert.equal(byName, of(path), path);
    }
  });
});
