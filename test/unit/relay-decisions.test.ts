// The relay's pure decisions (issue 26): which Port request a port-github-action request becomes,
// who a token's claims name, what relay.policy allows, and whose run a Port record names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RelayRule } from '../../agent/config/schema.js';
import { decideEntityAccess, decideWideWrite, searchedBlueprints } from '../../agent/relay/relay-policy.js';
import { matchRelayRoute } from '../../agent/relay/relay-routes.js';
import { createRepoRateLimit } from '../../agent/relay/repo-rate-limit.js';
import { decideRunScope } from '../../agent/relay/run-scope.js';
import { type WorkflowIdentity, workflowIdentity } from '../../agent/relay/workflow-identity.js';

// GitHub docs "OpenID Connect reference": the example token's claims (ids are strings).
const claims = {
  repository: 'acme/infra',
  repository_id: '74',
  repository_owner_id: '65',
  run_id: '9001',
  workflow_ref: 'acme/infra/.github/workflows/deploy.yml@refs/heads/main',
  ref: 'refs/heads/main',
  actor: 'octocat',
};
const who: WorkflowIdentity = workflowIdentity(claims);
const rule = (r: Partial<RelayRule>): RelayRule => ({
  repository: 'acme/*',
  workflows: [],
  refs: [],
  environments: [],
  read: [],
  write: [],
  ...r,
});

describe('relay routes: what port-github-action sends (v1.7.10 src/clients/port)', () => {
  test('each operation maps to its Port route with only the parameters the action sends', () => {
    assert.deepEqual(matchRelayRoute('POST', '/v1/auth/access_token'), { name: 'token' });
    const up = matchRelayRoute('POST', '/v1/blueprints/service/entities?upsert=true&merge=true&run_id=r_abc');
    assert.equal(up.name, 'upsert_entity');
    assert.deepEqual(
      [(up as { portPath: string }).portPath, (up as { runId?: string }).runId],
      ['/v1/blueprints/service/entities?upsert=true&merge=true&run_id=r_abc', 'r_abc'],
    );
    const get = matchRelayRoute('GET', '/v1/blueprints/service/entities/a%2Fb?include=identifier&include=properties.tier');
    assert.deepEqual(
      [get.name, (get as { entity?: string }).entity, (get as { portPath: string }).portPath],
      ['get_entity', 'a/b', '/v1/blueprints/service/entities/a%2Fb?include=identifier&include=properties.tier'],
    );
    assert.equal(matchRelayRoute('DELETE', '/v1/blueprints/service/entities/x?delete_dependents=false').name, 'delete_entity');
    assert.equal(matchRelayRoute('POST', '/v1/entities/search?include=identifier').name, 'search_entities');
    assert.equal(matchRelayRoute('PATCH', '/v1/actions/runs/r_1?runId=r_1').name, 'patch_run');
    assert.equal(matchRelayRoute('POST', '/v1/actions/runs/r_1/logs').name, 'add_run_log');
  });

  test('anything else is refused with a reason: other routes, methods, parameters, ids', () => {
    for (const [method, url, status] of [
      ['GET', '/v1/actions/runs/r_1', 405],
      ['POST', '/v1/actions/act/runs', 404],
      ['GET', '/v1/blueprints', 404],
      ['PUT', '/v1/blueprints/service/entities/x', 405],
      ['POST', '/v1/blueprints/service/entities?upsert=true&validation_only=true', 400],
      ['PATCH', '/v1/actions/runs/r_1?runId=r_2', 400],
      ['PATCH', '/v1/actions/runs/wfnr_1', 400],
      ['POST', '/v1/blueprints/..%2Fx/entities', 400],
      ['GET', '/v1//blueprints', 404],
    ] as const) {
      const r = matchRelayRoute(method, url);
      assert.equal(r.name, 'unknown', `${method} ${url}`);
      assert.equal((r as { status: number }).status, status, `${method} ${url}`);
    }
  });
});

describe('workflow identity from verified claims', () => {
  test('reads the documented claims', () => {
    assert.deepEqual(who, {
      repository: 'acme/infra',
      repositoryId: 74,
      ownerId: 65,
      runId: 9001,
      workflowFile: 'deploy.yml',
      workflowRef: claims.workflow_ref,
      ref: 'refs/heads/main',
      environment: undefined,
      actor: 'octocat',
    });
  });
  test('refuses a token without them, or whose workflow_ref is of another repository', () => {
    for (const bad of [
      { run_id: undefined },
      { repository_id: 'x' },
      { repository: 'acme' },
      { workflow_ref: 'evil/repo/.github/workflows/deploy.yml@refs/heads/main' },
      { ref: '' },
    ]) {
      assert.throws(() => workflowIdentity({ ...claims, ...bad }), /claim is missing or malformed/, JSON.stringify(bad));
    }
  });
});

describe('relay.policy', () => {
  test('a rule applies by repository glob, workflow file, ref and environment', () => {
    const rules = [
      rule({
        repository: 'acme/inf*',
        workflows: ['deploy.yml'],
        refs: ['refs/heads/main'],
        write: ['service'],
        read: ['service', 'env*'],
      }),
    ];
    assert.deepEqual(decideEntityAccess(rules, who, 'write', 'service'), { allowed: true });
    assert.deepEqual(decideEntityAccess(rules, who, 'read', 'environment'), { allowed: true });
    assert.equal(decideEntityAccess(rules, who, 'write', 'environment').allowed, false);
    assert.equal(decideEntityAccess(rules, { ...who, workflowFile: 'ci.yml' }, 'write', 'service').allowed, false);
    assert.equal(decideEntityAccess(rules, { ...who, ref: 'refs/heads/feature' }, 'write', 'service').allowed, false);
    assert.equal(decideEntityAccess([rule({ environments: ['prod'], write: ['*'] })], who, 'write', 'service').allowed, false);
    assert.equal(
      decideEntityAccess([rule({ environments: ['prod'], write: ['*'] })], { ...who, environment: 'prod' }, 'write', 'service').allowed,
      true,
    );
    assert.match((decideEntityAccess([], who, 'read', 'service') as { reason: string }).reason, /no rule for acme\/infra/);
  });
  test('writes reaching other blueprints need a write-everything rule', () => {
    assert.equal(decideWideWrite([rule({ write: ['service'] })], who, 'delete_dependents=true').allowed, false);
    assert.equal(decideWideWrite([rule({ write: ['*'] })], who, 'delete_dependents=true').allowed, true);
  });
  test('a search is confined by a top-level $blueprint rule under "and"', () => {
    assert.deepEqual(
      searchedBlueprints({
        combinator: 'and',
        rules: [
          { property: '$blueprint', operator: '=', value: 'service' },
          { property: 'tier', operator: '=', value: 'gold' },
        ],
      }),
      { blueprints: ['service'] },
    );
    assert.deepEqual(searchedBlueprints({ combinator: 'or', rules: [{ property: '$blueprint', operator: 'in', value: ['a', 'b'] }] }), {
      blueprints: ['a', 'b'],
    });
    for (const body of [
      {
        combinator: 'or',
        rules: [
          { property: '$blueprint', operator: '=', value: 'service' },
          { property: '$identifier', operator: '=', value: 'x' },
        ],
      },
      { combinator: 'and', not: true, rules: [{ property: '$blueprint', operator: '=', value: 'service' }] },
      { combinator: 'and', rules: [{ combinator: 'and', rules: [{ property: '$blueprint', operator: '=', value: 'service' }] }] },
      { combinator: 'and', rules: [{ property: '$blueprint', operator: '!=', value: 'service' }] },
      [],
    ]) {
      assert.ok('reason' in searchedBlueprints(body), JSON.stringify(body));
    }
  });
});

describe("run scope: the run Port's record names", () => {
  test('externalRunId: run and repository ids must be the token’s', () => {
    assert.deepEqual(decideRunScope('r_1', { ghRunId: 9001, ids: { ownerId: 65, repoId: 74 } }, [], who), { allowed: true });
    assert.equal(decideRunScope('r_1', { ghRunId: 9002, ids: { ownerId: 65, repoId: 74 } }, [], who).allowed, false);
    assert.equal(decideRunScope('r_1', { ghRunId: 9001, ids: { ownerId: 65, repoId: 75 } }, [], who).allowed, false);
    assert.equal(decideRunScope('r_1', { ghRunId: 9001, ids: { ownerId: 66, repoId: 74 } }, [], who).allowed, false);
  });
  test('a link alone: the run id and the repository in its path', () => {
    assert.deepEqual(decideRunScope('r_1', { ghRunId: 9001 }, ['https://ghes.example.com/Acme/Infra/actions/runs/9001'], who), {
      allowed: true,
    });
    assert.equal(decideRunScope('r_1', { ghRunId: 9001 }, ['https://ghes.example.com/acme/other/actions/runs/9001'], who).allowed, false);
  });
});

describe('per-repository rate', () => {
  test('a bucket per repository: one empties, another is untouched, tokens come back over the minute', () => {
    let now = 0;
    const rate = createRepoRateLimit({ perMinute: 3, now: () => now });
    assert.deepEqual([rate.take(1), rate.take(1), rate.take(1)], [0, 0, 0]);
    assert.equal(rate.take(1), 20_000);
    assert.equal(rate.take(2), 0);
    now = 20_000;
    assert.equal(rate.take(1), 0);
  });
});
