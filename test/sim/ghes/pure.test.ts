import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ifNoneMatchHits } from './etag.js';
import { faultMatches } from './faults.js';
import { fillScript, phaseAt } from './lifecycle.js';
import { parseCreated } from './run-filters.js';
import { renderRunName } from './render-title.js';
import { atLeast, compareVersions } from './version.js';

describe('pure helpers', () => {
  it('parseCreated understands GitHub date search syntax', () => {
    const t = Date.parse('2026-03-01T10:00:00Z');
    const at = (q: string, ms: number) => parseCreated(q)!(ms);
    assert.equal(at('>=2026-03-01T10:00:00Z', t), true);
    assert.equal(at('>2026-03-01T10:00:00Z', t), false);
    assert.equal(at('<=2026-03-01T10:00:00Z', t), true);
    assert.equal(at('<2026-03-01T10:00:00Z', t), false);
    assert.equal(at('2026-03-01T09:00:00Z..2026-03-01T10:00:00Z', t), true);
    assert.equal(at('2026-03-01T10:00:01Z..*', t), false);
    assert.equal(at('2026-03-01', t), true);
    assert.equal(at('<=2026-03-01', t), true);
    assert.equal(at('2026-02-28', t), false);
    assert.equal(parseCreated('>=yesterday'), null);
  });

  it('phaseAt walks requested → pending → queued → waiting → in_progress → completed', () => {
    const s = fillScript({ conclusion: 'timed_out', queuedMs: 10, waitingMs: 5, durationMs: 20 });
    assert.deepEqual(
      [0, 1, 2, 9, 10, 14, 15, 34, 35, 1e9].map((e) => phaseAt(s, e).status),
      ['requested', 'pending', 'queued', 'queued', 'waiting', 'waiting', 'in_progress', 'in_progress', 'completed', 'completed'],
    );
    const explicit = fillScript({ conclusion: 'success', queuedMs: 100, requestedMs: 30, pendingMs: 50, durationMs: 10 });
    assert.deepEqual(
      [0, 29, 30, 79, 80, 99, 100].map((e) => phaseAt(explicit, e).status),
      ['requested', 'requested', 'pending', 'pending', 'queued', 'queued', 'in_progress'],
    );
    assert.equal(phaseAt(fillScript({ conclusion: 'success', queuedMs: 0 }), 0).status, 'in_progress');
    assert.equal(phaseAt(s, 35).conclusion, 'timed_out');
    assert.equal(phaseAt(s, 35).completedSimMs, 35);
    const noWait = fillScript({ conclusion: 'success' });
    assert.equal(phaseAt(noWait, 1000).status, 'in_progress');
    assert.equal(phaseAt(noWait, 6000).status, 'completed');
  });

  it('renderRunName substitutes inputs and falls back to the workflow name', () => {
    assert.equal(
      renderRunName('Deploy ${{ inputs.id }} (${{github.event.inputs.env}})${{ inputs.x }}', { id: 'r_1', env: 'prod' }, 'W'),
      'Deploy r_1 (prod)',
    );
    assert.equal(renderRunName(undefined, { id: 'r_1' }, 'Workflow'), 'Workflow');
  });

  it('faultMatches by template with or without method, path, RegExp and method', () => {
    const route = 'GET /repos/{owner}/{repo}';
    assert.ok(faultMatches({ kind: 'status' }, 'GET', route, '/repos/a/b'));
    assert.ok(faultMatches({ kind: 'status', route }, 'GET', route, '/repos/a/b'));
    assert.ok(faultMatches({ kind: 'status', route: '/repos/{owner}/{repo}' }, 'GET', route, '/repos/a/b'));
    assert.ok(faultMatches({ kind: 'status', route: '/repos/a/b' }, 'GET', route, '/repos/a/b'));
    assert.ok(faultMatches({ kind: 'status', route: /^GET / }, 'GET', route, '/repos/a/b'));
    assert.ok(!faultMatches({ kind: 'status', route: '/repos/a/c' }, 'GET', route, '/repos/a/b'));
    assert.ok(!faultMatches({ kind: 'status', method: 'post' }, 'GET', route, '/repos/a/b'));
    assert.ok(faultMatches({ kind: 'status', route: '/x' }, 'GET', null, '/x'));
  });

  it('If-None-Match uses weak comparison and lists', () => {
    assert.ok(ifNoneMatchHits('W/"a"', '"a"'));
    assert.ok(ifNoneMatchHits('"b", "a"', 'W/"a"'));
    assert.ok(ifNoneMatchHits('*', '"a"'));
    assert.ok(!ifNoneMatchHits('"b"', '"a"'));
    assert.ok(!ifNoneMatchHits(undefined, '"a"'));
  });

  it('versions compare numerically', () => {
    assert.equal(compareVersions('3.9.0', '3.19.0'), -1);
    assert.ok(atLeast('3.21.0', '3.21.0'));
    assert.ok(atLeast('3.21.1', '3.21.0'));
    assert.ok(!atLeast('3.19.5', '3.21.0'));
  });
});
