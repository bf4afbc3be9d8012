// The pure parts behind the issue and custom-property routes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesSearch, parseIssueSearch, type IssueSearch } from './routes/issue-search.js';
import { propertyValueError } from './routes/properties.js';
import type { IssueRecord } from './tracker-state.js';
import type { RepoRecord } from './state.js';

const repo = { owner: { login: 'acme', id: 1, type: 'Organization' }, name: 'infra' } as RepoRecord;
const issue = (o: Partial<IssueRecord>): IssueRecord =>
  ({ repo, title: 'Deploy', body: 'made for r_42', state: 'open', user: { login: 'ghes-agent-sim[bot]', id: 2, type: 'Bot' }, ...o }) as IssueRecord;

describe('issue search (the subset the agent uses)', () => {
  it('parses qualifiers, words and quoted phrases; refuses what it does not model', () => {
    const s = parseIssueSearch('repo:Acme/Infra is:issue state:open author:app/ghes-agent-sim in:body "r_42" deploy') as IssueSearch;
    assert.deepEqual(s, { repos: ['acme/infra'], kind: 'issue', state: 'open', author: 'app/ghes-agent-sim', fields: ['body'], terms: ['r_42', 'deploy'] });
    assert.ok('error' in parseIssueSearch('label:bug'));
  });

  it('matches by repository, kind, author, state and text in the chosen fields', () => {
    const q = (text: string): IssueSearch => parseIssueSearch(text) as IssueSearch;
    assert.equal(matchesSearch(q('repo:acme/infra "r_42"'), issue({})), true);
    assert.equal(matchesSearch(q('repo:acme/other "r_42"'), issue({})), false);
    assert.equal(matchesSearch(q('in:title "r_42"'), issue({})), false);
    assert.equal(matchesSearch(q('is:pr "r_42"'), issue({})), false);
    assert.equal(matchesSearch(q('author:app/ghes-agent-sim r_42'), issue({})), true);
    assert.equal(matchesSearch(q('author:mallory r_42'), issue({})), false);
    assert.equal(matchesSearch(q('is:closed r_42'), issue({})), false);
    assert.equal(matchesSearch(q('in:comments r_43'), issue({}), ['see r_43']), true);
  });
});

describe('custom property values', () => {
  const def = { name: 'env', valueType: 'single_select' as const, required: false, defaultValue: null, allowedValues: ['prod', 'dev'] };
  it('accepts allowed values and null, refuses the rest with a reason', () => {
    assert.equal(propertyValueError(def, 'env', 'prod'), null);
    assert.equal(propertyValueError(def, 'env', null), null);
    assert.match(propertyValueError(def, 'env', 'qa')!, /not a valid value/);
    assert.match(propertyValueError(undefined, 'x', 'a')!, /not defined/);
    assert.match(propertyValueError({ ...def, required: true }, 'env', null)!, /required/);
    assert.match(propertyValueError({ ...def, valueType: 'true_false' }, 'env', 'yes')!, /not a valid value/);
    assert.equal(propertyValueError({ ...def, valueType: 'multi_select' }, 'env', ['prod', 'dev']), null);
    assert.match(propertyValueError({ ...def, valueType: 'string' }, 'env', 3)!, /expects a string/);
  });
});
