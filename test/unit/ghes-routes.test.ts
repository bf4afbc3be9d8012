// agent/github/ghes-routes.ts is data computed from @octokit/openapi's descriptions: these tests
// recompute it from the files (test/tools/ghes-routes.ts) so it cannot drift from them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTION_ROUTES, GHES_ROUTES, actionAvailability } from '../../agent/github/ghes-routes.js';
import { computeRoutes, ghesDescriptions } from '../tools/ghes-routes.js';

describe('GHES route table', () => {
  it('matches the OpenAPI descriptions route by route', () => {
    assert.deepEqual(computeRoutes(), GHES_ROUTES);
  });

  it('reads every GHES description shipped, oldest first', () => {
    const v = ghesDescriptions();
    assert.ok(v.length >= 3, `descriptions: ${v.join(', ')}`);
    assert.equal(v[0], '3.17');
  });

  it('names a route every action type writes with, each in the table', () => {
    for (const [action, routes] of Object.entries(ACTION_ROUTES)) {
      assert.ok(routes.length > 0, action);
      for (const r of routes) assert.ok(r in GHES_ROUTES, `${action}: ${r}`);
    }
  });

  it('actionAvailability: a documented type runs from its first version, an undocumented one never', () => {
    assert.deepEqual(actionAvailability('create_pull_request', [3, 19, 0]), { ok: true });
    assert.deepEqual(actionAvailability('create_pull_request', [3, 16, 4]), { ok: false, needs: '3.17' });
    assert.deepEqual(actionAvailability('update_repo_external_custom_properties', [3, 21, 0]), { ok: false, needs: null });
    assert.deepEqual(actionAvailability('no_such_type', [3, 19, 0]), { ok: false, unknown: true });
  });
});
