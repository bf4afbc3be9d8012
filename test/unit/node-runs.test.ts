import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeLogBody, nodePatchBody, nodeRunRecord } from '../../agent/port/node-runs.js';

describe('workflow-node runs in the vocabulary of action runs', () => {
  it('maps the dispatch label, the link and the final status to status/result/externalRunId/links/output', () => {
    assert.deepEqual(nodePatchBody({ statusLabel: 'Dispatching workflow' }), {
      status: 'IN_PROGRESS',
      statusLabel: { text: 'Dispatching workflow' },
    });
    assert.deepEqual(
      nodePatchBody({ link: 'https://ghes/o/r/actions/runs/42', externalRunId: 'gh_1_2_42', statusLabel: 'Workflow dispatched' }),
      {
        status: 'IN_PROGRESS',
        externalRunId: 'gh_1_2_42',
        links: ['https://ghes/o/r/actions/runs/42'],
        output: { workflowRunUrl: 'https://ghes/o/r/actions/runs/42', workflowRunId: 42 },
        statusLabel: { text: 'Workflow dispatched' },
      },
    );
    const final = nodePatchBody({
      status: 'FAILURE',
      summary: 'boom',
      link: 'https://ghes/o/r/actions/runs/42',
      externalRunId: 'gh_1_2_42',
      statusLabel: 'Failed',
    });
    assert.equal(final.status, 'COMPLETED');
    assert.equal(final.result, 'FAILED');
    assert.deepEqual(
      final.output,
      { workflowRunUrl: 'https://ghes/o/r/actions/runs/42', workflowRunId: 42, summary: 'boom' },
      'the output keeps the run link on completion',
    );
    assert.deepEqual(final.statusLabel, { text: 'Failed' }, 'the label goes on the run, as Ocean sends it');
    assert.deepEqual(nodePatchBody({ status: 'SUCCESS' }), { status: 'COMPLETED', result: 'SUCCESS' });
    assert.deepEqual(nodePatchBody({}), {}, 'a lease renewal carries nothing');
  });

  it('logs as {logs: [{level, message}]}', () => {
    assert.deepEqual(nodeLogBody({ message: 'hi' }), { logs: [{ level: 'INFO', message: 'hi' }] });
    assert.deepEqual(nodeLogBody({ message: 'no', level: 'ERROR' }), { logs: [{ level: 'ERROR', message: 'no' }] });
  });

  it('reads a node run back as a run record', () => {
    assert.deepEqual(
      nodeRunRecord({
        identifier: 'wfnr_1',
        status: 'COMPLETED',
        result: 'CANCELLED',
        links: ['u'],
        externalRunId: 'gh_1_2_3',
        output: { statusLabel: 'x' },
        updatedAt: 't',
        pendingExecution: false,
        installationId: 'i',
      }),
      {
        id: 'wfnr_1',
        status: 'FAILURE',
        statusLabel: 'x',
        link: 'u',
        externalRunId: 'gh_1_2_3',
        updatedAt: 't',
        createdAt: undefined,
        installationId: 'i',
        pendingExecution: false,
      },
    );
    assert.equal(nodeRunRecord({ identifier: 'wfnr_1', status: 'COMPLETED', result: 'SUCCESS' })?.status, 'SUCCESS');
    assert.equal(nodeRunRecord({ identifier: 'wfnr_1', status: 'IN_PROGRESS', output: { workflowRunUrl: 'w' } })?.link, 'w');
    assert.equal(nodeRunRecord('x'), undefined);
    assert.equal(
      nodeRunRecord({ identifier: 'wfnr_1', status: 'IN_PROGRESS', statusLabel: { text: 'Workflow dispatched' } })?.statusLabel,
      'Workflow dispatched',
      'the label on the run, as Ocean writes it',
    );
  });
});
