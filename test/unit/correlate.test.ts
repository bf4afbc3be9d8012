import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { correlateRun, runNameShowsRunIds, type RunCandidate } from '../../agent/github/correlate.js';

const DISPATCHED_AT = Date.parse('2025-01-01T12:00:00Z');
let nextId = 100;
function candidate(c: Partial<RunCandidate> = {}): RunCandidate {
  const id = c.id ?? nextId++;
  return {
    id,
    display_title: 'Deploy',
    head_branch: 'main',
    created_at: '2025-01-01T12:00:05Z',
    event: 'workflow_dispatch',
    html_url: `https://ghes.example.com/acme/infra/actions/runs/${id}`,
    ...c,
  };
}
const opts = (o: Partial<Parameters<typeof correlateRun>[1]> = {}) => ({
  portRunId: 'r_abc123XYZ',
  ref: 'main',
  knownBefore: undefined as ReadonlySet<number> | undefined,
  notBeforeMs: DISPATCHED_AT,
  ...o,
});

describe('correlateRun', () => {
  it('finds the run whose title shows the Port run id (run-name), among others', () => {
    const ours = candidate({ display_title: 'deploy r_abc123XYZ' });
    const c = correlateRun([candidate(), ours, candidate({ display_title: 'deploy r_other999' })], opts());
    assert.deepEqual(c, { kind: 'found', run: ours, by: 'run-name' });
  });

  it('run-name matching ignores branch, event and time filters (the id is exact)', () => {
    const ours = candidate({ display_title: 'r_abc123XYZ', head_branch: 'other', created_at: '2020-01-01T00:00:00Z' });
    assert.deepEqual(correlateRun([ours], opts({ knownBefore: new Set() })), { kind: 'found', run: ours, by: 'run-name' });
  });

  it('two runs titled with our id are ambiguous, never chosen between', () => {
    const a = candidate({ display_title: 'deploy r_abc123XYZ' });
    const b = candidate({ display_title: 'retry r_abc123XYZ' });
    assert.deepEqual(correlateRun([a, b, candidate()], opts({ knownBefore: new Set() })), { kind: 'ambiguous', runs: [a, b] });
  });

  it('without knownBefore (dispatch not serialized) and no title match: none', () => {
    assert.deepEqual(correlateRun([candidate()], opts()), { kind: 'none' });
  });

  it('fallback: the single fresh run not known before the dispatch', () => {
    const old = candidate({ id: 1 });
    const fresh = candidate({ id: 2 });
    const c = correlateRun([fresh, old], opts({ knownBefore: new Set([1]) }));
    assert.deepEqual(c, { kind: 'found', run: fresh, by: 'newest-after-dispatch' });
  });

  it('fallback: two fresh runs are ambiguous', () => {
    const a = candidate({ id: 11 });
    const b = candidate({ id: 12 });
    assert.deepEqual(correlateRun([a, b], opts({ knownBefore: new Set([1]) })), { kind: 'ambiguous', runs: [a, b] });
  });

  it('fallback ignores runs on another branch, and accepts qualified refs and a null head_branch', () => {
    const other = candidate({ id: 21, head_branch: 'feature' });
    assert.deepEqual(correlateRun([other], opts({ knownBefore: new Set() })), { kind: 'none' });
    const mine = candidate({ id: 22, head_branch: 'main' });
    assert.deepEqual(correlateRun([other, mine], opts({ ref: 'refs/heads/main', knownBefore: new Set() })), {
      kind: 'found',
      run: mine,
      by: 'newest-after-dispatch',
    });
    const tag = candidate({ id: 23, head_branch: 'v1.0' });
    assert.equal(correlateRun([tag], opts({ ref: 'refs/tags/v1.0', knownBefore: new Set() })).kind, 'found');
    const noBranch = candidate({ id: 24, head_branch: null });
    assert.equal(correlateRun([noBranch], opts({ knownBefore: new Set() })).kind, 'found');
  });

  it('fallback ignores runs created before notBefore', () => {
    const early = candidate({ id: 31, created_at: '2025-01-01T11:59:59Z' });
    const atDispatch = candidate({ id: 32, created_at: '2025-01-01T12:00:00Z' });
    assert.deepEqual(correlateRun([early], opts({ knownBefore: new Set() })), { kind: 'none' });
    assert.deepEqual(correlateRun([early, atDispatch], opts({ knownBefore: new Set() })), {
      kind: 'found',
      run: atDispatch,
      by: 'newest-after-dispatch',
    });
  });

  it('fallback ignores runs of other events', () => {
    assert.deepEqual(correlateRun([candidate({ id: 41, event: 'push' })], opts({ knownBefore: new Set() })), { kind: 'none' });
  });

  it('empty candidates: none', () => {
    assert.deepEqual(correlateRun([], opts({ knownBefore: new Set() })), { kind: 'none' });
  });
});

describe('runNameShowsRunIds', () => {
  it('true when any recent title shows a Port run id', () => {
    assert.equal(runNameShowsRunIds([{ display_title: 'Deploy' }, { display_title: 'deploy r_jE5FhDURh4Uen2Qr' }]), true);
    assert.equal(runNameShowsRunIds([{ display_title: 'node wfnr_abc123def' }]), true);
  });
  it('false for plain titles, short look-alikes and no runs', () => {
    assert.equal(runNameShowsRunIds([{ display_title: 'Deploy' }, { display_title: 'fix r_1 typo' }]), false);
    assert.equal(runNameShowsRunIds([{ display_title: 'our_abcdefgh' }]), false);
    assert.equal(runNameShowsRunIds([]), false);
  });
});
