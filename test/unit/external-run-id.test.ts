import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { externalRunId, recordedGithubRunId } from '../../agent/run/external-run-id.js';

describe('externalRunId', () => {
  it('writes gh_<owner>_<repo>_<run> as Port does', () => {
    assert.equal(externalRunId(12, 345, 6789), 'gh_12_345_6789');
  });
  it('round-trips through recordedGithubRunId', () => {
    for (const [o, r, id] of [
      [1, 2, 3],
      [9007199254740, 77, 123456789012],
    ] as const) {
      assert.equal(recordedGithubRunId({ externalRunId: externalRunId(o, r, id) }), id);
    }
  });
});

describe('recordedGithubRunId', () => {
  it('reads the run id from a run link when there is no external id', () => {
    assert.equal(recordedGithubRunId({ link: 'https://ghes.example.com/acme/infra/actions/runs/4242' }), 4242);
    assert.equal(recordedGithubRunId({ link: 'https://ghes.example.com/acme/infra/actions/runs/4242/attempts/2' }), 4242);
    assert.equal(recordedGithubRunId({ link: 'https://ghes.example.com/acme/infra/actions/runs/77?check_suite_focus=true' }), 77);
    assert.equal(recordedGithubRunId({ link: 'https://ghes.example.com/acme/infra/actions/runs/78#summary' }), 78);
  });
  it('looks through a list of links', () => {
    assert.equal(recordedGithubRunId({ link: ['https://port.example.com/x', 'https://ghes.example.com/o/r/actions/runs/55'] }), 55);
  });
  it('the external id wins over the link', () => {
    assert.equal(recordedGithubRunId({ externalRunId: 'gh_1_2_10', link: 'https://h/o/r/actions/runs/20' }), 10);
  });
  it('nothing recognisable → undefined', () => {
    assert.equal(recordedGithubRunId({}), undefined);
    assert.equal(recordedGithubRunId({ externalRunId: null, link: null }), undefined);
    assert.equal(recordedGithubRunId({ externalRunId: 'gh_x_2_3' }), undefined);
    assert.equal(recordedGithubRunId({ externalRunId: 'other-system-id' }), undefined);
    assert.equal(recordedGithubRunId({ link: 'https://h/o/r/actions/runs/12abc' }), undefined);
    assert.equal(recordedGithubRunId({ link: 'https://h/o/r/actions/workflows/deploy.yml' }), undefined);
    assert.equal(recordedGithubRunId({ link: [] }), undefined);
  });
});
