import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVersion, supportsRunDetails } from '../../agent/github/ghes-version.js';

describe('parseVersion', () => {
  it('parses major.minor.patch, with or without patch and suffix', () => {
    assert.deepEqual(parseVersion('3.19.2'), [3, 19, 2]);
    assert.deepEqual(parseVersion(' 3.21.0 '), [3, 21, 0]);
    assert.deepEqual(parseVersion('3.20'), [3, 20, 0]);
    assert.deepEqual(parseVersion('3.17.1.rc1'), [3, 17, 1]);
    assert.deepEqual(parseVersion('enterprise-server@3.19'), undefined);
  });
  it('anything unparsable is undefined', () => {
    for (const v of ['', 'latest', 'v3.19', '3', undefined, null]) assert.equal(parseVersion(v), undefined, String(v));
  });
});

describe('supportsRunDetails', () => {
  it('from 3.21 on', () => {
    assert.equal(supportsRunDetails([3, 19, 9]), false);
    assert.equal(supportsRunDetails([3, 20, 99]), false);
    assert.equal(supportsRunDetails([3, 21, 0]), true);
    assert.equal(supportsRunDetails([3, 22, 1]), true);
    assert.equal(supportsRunDetails([4, 0, 0]), true);
    assert.equal(supportsRunDetails([2, 30, 0]), false);
  });
});
