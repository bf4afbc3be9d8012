import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { portStatusFor, statusLine } from '../../agent/tracking/conclusion.js';

describe('portStatusFor', () => {
  it('success, skipped and neutral → SUCCESS', () => {
    for (const c of ['success', 'skipped', 'neutral']) assert.equal(portStatusFor(c), 'SUCCESS', c);
  });
  it('every other conclusion, null and undefined → FAILURE', () => {
    for (const c of ['failure', 'cancelled', 'timed_out', 'stale', 'startup_failure', 'action_required', 'SUCCESS', '', null, undefined]) {
      assert.equal(portStatusFor(c), 'FAILURE', String(c));
    }
  });
});

describe('statusLine', () => {
  it('queued-like statuses say queued', () => {
    for (const s of ['requested', 'queued', 'pending']) assert.equal(statusLine(s), 'Workflow run queued');
  });
  it('waiting explains the approval', () => {
    assert.match(statusLine('waiting')!, /waiting for approval.*reviewer/);
  });
  it('in_progress says so', () => {
    assert.equal(statusLine('in_progress'), 'Workflow run in progress');
  });
  it('completed and unknown statuses have no line', () => {
    assert.equal(statusLine('completed'), undefined);
    assert.equal(statusLine('weird'), undefined);
  });
});
