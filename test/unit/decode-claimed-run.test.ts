import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeClaimedRun } from '../../agent/port/decode-claimed-run.js';

/** A claimed action run as Ocean parses it (port-integration-actions.md). */
const actionRun = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  id: 'r_abc123',
  status: 'IN_PROGRESS',
  action: { identifier: 'deploy' },
  statusLabel: null,
  createdAt: '2026-05-01T10:00:00.000Z',
  updatedAt: '2026-05-01T10:00:01.000Z',
  installationId: 'ghes-agent',
  pendingExecution: true,
  payload: {
    type: 'INTEGRATION_ACTION',
    installationId: 'ghes-agent',
    integrationActionType: 'dispatch_workflow',
    integrationActionExecutionProperties: {
      org: 'acme',
      repo: 'infra',
      workflow: 'deploy.yml',
      workflowInputs: { ref: 'main', env: 'prod' },
      reportWorkflowStatus: true,
      ...props,
    },
  },
  ...extra,
});
const nodeRun = (where: 'config' | 'node', props: Record<string, unknown> = {}) => {
  const config = {
    type: 'INTEGRATION_ACTION',
    installationId: 'ghes-agent',
    integrationProvider: 'github-ocean',
    integrationInvocationType: 'dispatch_workflow',
    integrationActionExecutionProperties: { org: 'acme', repo: 'infra', workflow: 'deploy.yml', ...props },
  };
  return {
    identifier: 'wfnr_xyz',
    nodeUid: 'node-1',
    status: 'IN_PROGRESS',
    output: { statusLabel: 'Dispatching workflow' },
    ...(where === 'config' ? { config } : { node: { config } }),
  };
};

describe('decodeClaimedRun', () => {
  it('reads an INTEGRATION_ACTION dispatch_workflow run into a RunRequest, with the run record and the action as fairness key', () => {
    const d = decodeClaimedRun(actionRun(), 'action');
    assert.equal(d.kind, 'run');
    if (d.kind !== 'run') return;
    assert.deepEqual(d.run, {
      runId: 'r_abc123',
      runKind: 'action',
      org: 'acme',
      repo: 'infra',
      workflow: 'deploy.yml',
      workflowInputs: { ref: 'main', env: 'prod' },
      reportWorkflowStatus: true,
      portPayload: undefined,
    });
    assert.equal(d.fairnessKey, 'deploy');
    assert.equal(d.record?.pendingExecution, true);
    assert.equal(d.record?.updatedAt, '2026-05-01T10:00:01.000Z');
    assert.equal(d.createdAtMs, Date.parse('2026-05-01T10:00:00.000Z'));
  });

  it('a claim answer without updatedAt is not taken for the run record (the processor reads the run)', () => {
    const { updatedAt: _u, ...raw } = actionRun();
    const d = decodeClaimedRun(raw, 'action');
    assert.equal(d.kind === 'run' && d.record, undefined);
    const n = decodeClaimedRun({ ...nodeRun('config'), updatedAt: '2026-05-01T10:00:01.000Z' }, 'workflow-node');
    assert.equal(n.kind === 'run' && n.record?.statusLabel, 'Dispatching workflow', 'the label travels in the node output');
  });

  it('reportWorkflowStatus defaults to true, as Port documents it', () => {
    const d = decodeClaimedRun(actionRun({ reportWorkflowStatus: undefined }), 'action');
    assert.equal(d.kind === 'run' && d.run.reportWorkflowStatus, true);
  });

  it('reads node runs from `config` (claims) and `node.config` (look-ups), with the node uid as fairness key', () => {
    for (const where of ['config', 'node'] as const) {
      const d = decodeClaimedRun(nodeRun(where), 'workflow-node');
      assert.equal(d.kind, 'run', where);
      if (d.kind !== 'run') continue;
      assert.equal(d.run.runKind, 'workflow-node');
      assert.equal(d.fairnessKey, 'node-1');
      assert.equal(d.record, undefined, 'no updatedAt: not shown to be the whole record, read again');
    }
  });

  it('refuses what it cannot execute, naming why: other action types, bad fields, deep nesting', () => {
    const cases: Array<[unknown, 'action' | 'workflow-node', RegExp, string]> = [
      [
        actionRun({}, { payload: { ...actionRun().payload, integrationActionType: 'delete_repository' } }),
        'action',
        /asks for "delete_repository", which no executor here handles/,
        'unsupported',
      ],
      [actionRun({ workflow: '../x' }), 'action', /workflow is not a workflow file name/, 'invalid'],
      [actionRun({ org: 'a b' }), 'action', /org is not a GitHub organization name/, 'invalid'],
      [actionRun({ workflowInputs: 'x' }), 'action', /workflowInputs is not an object/, 'invalid'],
      [actionRun({ reportWorkflowStatus: 'yes' }), 'action', /reportWorkflowStatus is not a boolean/, 'invalid'],
      [
        actionRun({ workflowInputs: JSON.parse('{"a":'.repeat(70) + '1' + '}'.repeat(70)) as unknown }),
        'action',
        /nested deeper than 64/,
        'invalid',
      ],
      [actionRun({}, { payload: { type: 'WEBHOOK', url: 'https://x' } }), 'action', /is not INTEGRATION_ACTION/, 'invalid'],
      [{ ...nodeRun('config'), config: undefined }, 'workflow-node', /has no config/, 'invalid'],
    ];
    for (const [raw, kind, why, outcome] of cases) {
      const d = decodeClaimedRun(raw, kind);
      assert.equal(d.kind, 'refuse', String(why));
      if (d.kind === 'refuse') {
        assert.match(d.reason, why);
        assert.equal(d.outcome, outcome);
      }
    }
  });

  it('refuses repository and owner "." and ".." the same way as the Kafka intake (issue 23)', () => {
    for (const name of ['.', '..']) {
      for (const [props, why] of [
        [{ repo: name }, /integrationActionExecutionProperties\.repo is not a repository name/],
        [{ org: name }, /integrationActionExecutionProperties\.org is not a GitHub organization name/],
      ] as const) {
        const d = decodeClaimedRun(actionRun(props), 'action');
        assert.equal(d.kind, 'refuse', `${JSON.stringify(props)} refused`);
        if (d.kind === 'refuse') assert.match(d.reason, why);
      }
    }
    const dotted = decodeClaimedRun(actionRun({ repo: '.github' }), 'action');
    assert.equal(dotted.kind === 'run' && dotted.run.repo, '.github');
  });

  it('ignores what has no run id to acknowledge', () => {
    assert.equal(decodeClaimedRun('x', 'action').kind, 'ignore');
    assert.equal(decodeClaimedRun({ id: 'nope' }, 'action').kind, 'ignore');
    assert.equal(decodeClaimedRun({ id: 'r_1' }, 'workflow-node').kind, 'ignore', 'node runs are named by identifier wfnr_');
  });
});
