import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyRule } from '../../agent/config/schema.js';
import { evaluatePolicy, type PolicySubject } from '../../agent/policy/evaluate-policy.js';
import { globToRegExp } from '../../agent/policy/glob.js';

const rule = (r: Partial<PolicyRule>): PolicyRule => ({ org: '*', repo: '*', workflow: '*', refs: [], ...r });
const subject = (s: Partial<PolicySubject> = {}): PolicySubject => ({
  org: 'acme',
  repo: 'infra',
  workflow: 'deploy.yml',
  ref: 'main',
  defaultBranch: 'main',
  ...s,
});
const reasonOf = (v: ReturnType<typeof evaluatePolicy>) => {
  assert.equal(v.allowed, false, 'expected a denial');
  return (v as { reason: string }).reason;
};

describe('globToRegExp', () => {
  it('* stays within one segment, ** crosses segments', () => {
    assert.ok(globToRegExp('release/*', false).test('release/1.0'));
    assert.ok(!globToRegExp('release/*', false).test('release/1.0/hotfix'));
    assert.ok(globToRegExp('release/**', false).test('release/1.0/hotfix'));
    assert.ok(!globToRegExp('*', false).test('a/b'));
    assert.ok(globToRegExp('**', false).test('a/b/c'));
  });
  it('? matches one non-slash character', () => {
    assert.ok(globToRegExp('v?', false).test('v1'));
    assert.ok(!globToRegExp('v?', false).test('v12'));
    assert.ok(!globToRegExp('a?b', false).test('a/b'));
  });
  it('regex metacharacters are literal', () => {
    assert.ok(globToRegExp('deploy.yml', false).test('deploy.yml'));
    assert.ok(!globToRegExp('deploy.yml', false).test('deployxyml'));
    assert.ok(globToRegExp('a+(b)|c$', false).test('a+(b)|c$'));
    assert.ok(!globToRegExp('a+', false).test('aa'));
  });
  it('anchors the whole string and honours case sensitivity', () => {
    assert.ok(!globToRegExp('acme', false).test('acme-corp'));
    assert.ok(!globToRegExp('acme', false).test('ACME'));
    assert.ok(globToRegExp('acme', true).test('ACME'));
  });
});

describe('evaluatePolicy', () => {
  it('no rules allow everything', () => {
    assert.deepEqual(evaluatePolicy([], subject({ org: 'anything', repo: 'x', workflow: 'y.yml', ref: 'refs/tags/v1' })), {
      allowed: true,
    });
  });

  it('default deny: a subject matching no rule is refused with a reason naming it', () => {
    const reason = reasonOf(evaluatePolicy([rule({ org: 'other' })], subject()));
    assert.match(reason, /not allowed by this agent's policy/);
    assert.match(reason, /acme\/infra workflow deploy\.yml/);
    assert.match(reason, /other\/\*\/\*/);
  });

  it('org and repo compare case-insensitively, workflow case-sensitively', () => {
    const rules = [rule({ org: 'ACME', repo: 'Infra', workflow: 'deploy.yml' })];
    assert.deepEqual(evaluatePolicy(rules, subject({ org: 'acme', repo: 'INFRA' })), { allowed: true });
    reasonOf(evaluatePolicy(rules, subject({ workflow: 'Deploy.yml' })));
  });

  it('globs on repo and workflow', () => {
    const rules = [rule({ org: 'acme', repo: 'svc-*', workflow: 'deploy-*.yml' })];
    assert.deepEqual(evaluatePolicy(rules, subject({ repo: 'svc-api', workflow: 'deploy-prod.yml' })), { allowed: true });
    reasonOf(evaluatePolicy(rules, subject({ repo: 'infra', workflow: 'deploy-prod.yml' })));
    reasonOf(evaluatePolicy(rules, subject({ repo: 'svc-api', workflow: 'test.yml' })));
  });

  it('any matching rule allows (rules are a union)', () => {
    const rules = [rule({ org: 'other' }), rule({ org: 'acme', repo: 'infra' })];
    assert.deepEqual(evaluatePolicy(rules, subject()), { allowed: true });
  });

  describe('refs', () => {
    it('"main" allows branch main, refuses other branches, naming the refusing rule', () => {
      const rules = [rule({ org: 'acme', refs: ['main'] })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'main' })), { allowed: true });
      const reason = reasonOf(evaluatePolicy(rules, subject({ ref: 'feature/x' })));
      assert.match(reason, /not allowed by this agent's policy/);
      assert.match(reason, /ref feature\/x of acme\/infra workflow deploy\.yml is refused by rule acme\/\*\/\* refs \[main\]/);
    });

    it('"main" also allows the fully qualified refs/heads/main (the same branch)', () => {
      // The doc comment says "main" means refs/heads/main; a user may send either spelling as ref.
      const rules = [rule({ org: 'acme', refs: ['main'] })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'refs/heads/main' })), { allowed: true });
    });

    it('"refs/heads/main" allows the short spelling main', () => {
      const rules = [rule({ refs: ['refs/heads/main'] })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'main' })), { allowed: true });
    });

    it('"refs/tags/*" allows tags, not branches, and not nested tag paths', () => {
      const rules = [rule({ refs: ['refs/tags/*'] })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'refs/tags/v1.2.3' })), { allowed: true });
      reasonOf(evaluatePolicy(rules, subject({ ref: 'main' })));
      reasonOf(evaluatePolicy(rules, subject({ ref: 'refs/tags/a/b' })));
      assert.deepEqual(evaluatePolicy([rule({ refs: ['refs/tags/**'] })], subject({ ref: 'refs/tags/a/b' })), { allowed: true });
    });

    it('"@default" allows only the repository default branch', () => {
      const rules = [rule({ refs: ['@default'] })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'trunk', defaultBranch: 'trunk' })), { allowed: true });
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'refs/heads/trunk', defaultBranch: 'trunk' })), { allowed: true });
      const reason = reasonOf(evaluatePolicy(rules, subject({ ref: 'main', defaultBranch: 'trunk' })));
      assert.match(reason, /refused by rule \*\/\*\/\* refs \[@default\]/);
      reasonOf(evaluatePolicy(rules, subject({ ref: 'refs/tags/trunk', defaultBranch: 'trunk' })));
    });

    it('a rule without refs allows every ref; a matching rule with refs does not shadow it', () => {
      const rules = [rule({ org: 'acme', refs: ['main'] }), rule({ org: 'acme', repo: 'infra' })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'feature/x' })), { allowed: true });
    });

    it('branch globs: release/* but not release/a/b', () => {
      const rules = [rule({ refs: ['release/*'] })];
      assert.deepEqual(evaluatePolicy(rules, subject({ ref: 'release/1.0' })), { allowed: true });
      reasonOf(evaluatePolicy(rules, subject({ ref: 'release/1.0/x' })));
    });
  });
});
