// Issue 24, item 3: policy rules gain `actions`; a rule that does not name them allows
// dispatch_workflow only, and no rules at all allow dispatch_workflow everywhere and nothing
// else, so an upgrade changes nothing for a user who did not ask. The loader takes the key and
// refuses an action type no executor has; a claimed run of a new type is decoded for its executor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { loadConfig } from '../../agent/config/load.js';
import { evaluateAction, evaluatePolicy, evaluateTarget } from '../../agent/policy/evaluate-policy.js';
import { decodeClaimedRun } from '../../agent/port/decode-claimed-run.js';
import { nodePatchBody } from '../../agent/port/node-runs.js';
import { createPortClient } from '../../agent/port/port-client.js';
import type { PortHttp } from '../../agent/port/port-http.js';

const subject = { org: 'acme', repo: 'infra', workflow: 'deploy.yml', ref: 'main', defaultBranch: 'main' };

describe('policy.allow actions', () => {
  it('no rules: dispatch_workflow everywhere, no other type', () => {
    assert.equal(evaluatePolicy([], subject).allowed, true);
    assert.equal(evaluateAction([], { org: 'acme', repo: 'infra', action: 'create_pull_request' }).allowed, false);
  });

  it('a rule naming only create_issue does not allow dispatch_workflow there', () => {
    const rules = [{ org: 'acme', repo: '*', workflow: '*', refs: [], actions: ['create_issue'] }];
    assert.equal(evaluateTarget(rules, subject).allowed, false);
    assert.equal(evaluatePolicy(rules, subject).allowed, false);
    assert.equal(evaluateAction(rules, { org: 'acme', repo: 'infra', action: 'create_issue' }).allowed, true);
    assert.equal(evaluateAction(rules, { org: 'acme', repo: 'infra', action: 'create_pull_request' }).allowed, false);
  });

  it('org and repo globs match case-insensitively, as for workflows', () => {
    const rules = [{ org: 'ACME', repo: 'infra-*', workflow: '*', refs: [], actions: ['create_pull_request', 'dispatch_workflow'] }];
    assert.equal(evaluateAction(rules, { org: 'acme', repo: 'Infra-api', action: 'create_pull_request' }).allowed, true);
    assert.equal(evaluateAction(rules, { org: 'acme', repo: 'docs', action: 'create_pull_request' }).allowed, false);
    assert.equal(evaluatePolicy(rules, { ...subject, repo: 'infra-api' }).allowed, true);
  });
});

describe('policy.allow actions in the configuration', () => {
  const yaml = (rule: string) => `
port:
  orgId: org_AbC123
  clientId: client-1
  clientSecret: s3cret-value-123
github:
  url: https://ghes.internal
  token: ghp_tokenAbCdEf0123456789
policy:
  allow:
${rule}`;
  const load = (text: string) => loadConfig({ argv: ['--config', '/etc/agent.yaml'], env: {}, readFile: () => text });

  it("takes a rule's actions", () => {
    const { config } = load(yaml('    - org: acme\n      actions: [create_pull_request, dispatch_workflow]\n'));
    assert.deepEqual(config.policy.allow[0]?.actions, ['create_pull_request', 'dispatch_workflow']);
  });

  it('refuses an action type no executor has, naming the ones there are', () => {
    assert.throws(
      () => load(yaml('    - org: acme\n      actions: [delete_repository]\n')),
      (err: unknown) =>
        err instanceof AgentError &&
        /rule 0\.actions must be a non-empty list of action types \(dispatch_workflow, create_pull_request, create_issue, create_pr_comment, close_pull_request, update_pull_request, merge_pull_request, review_pull_request, edit_issue, close_issue, edit_pr_comment, delete_pr_comment\)/.test(
          err.message,
        ),
    );
  });
});

describe('claimed runs of the new types', () => {
  const claimed = (type: string, props: Record<string, unknown>) => ({
    id: 'r_claim000000001',
    status: 'IN_PROGRESS',
    updatedAt: '2026-05-01T00:00:00Z',
    payload: {
      type: 'INTEGRATION_ACTION',
      installationId: 'ghes',
      integrationActionType: type,
      integrationActionExecutionProperties: props,
    },
  });

  it('a create_pull_request claim is a run for its executor, with org, repo and its properties', () => {
    const props = { org: 'acme', repo: 'infra', title: 't', head: 'h', base: 'main' };
    const d = decodeClaimedRun(claimed('create_pull_request', props), 'action');
    assert.equal(d.kind, 'run');
    if (d.kind === 'run') {
      assert.deepEqual(d.run.action, { type: 'create_pull_request', props });
      assert.equal(d.run.org, 'acme');
      assert.equal(d.run.repo, 'infra');
    }
  });

  it('a claim of another Ocean catalogue type reaches the processor (which says why it cannot run it); an unknown type is refused at decoding', () => {
    assert.equal(decodeClaimedRun(claimed('update_repo_external_custom_properties', { org: 'acme', repo: 'infra' }), 'action').kind, 'run');
    const d = decodeClaimedRun(claimed('delete_repository', { org: 'acme', repo: 'infra' }), 'action');
    assert.equal(d.kind === 'refuse' && d.outcome, 'unsupported');
  });

  it('a create_issue claim with repository ".." is refused as invalid, as a workflow run would be', () => {
    const d = decodeClaimedRun(claimed('create_issue', { org: 'acme', repo: '..', title: 't' }), 'action');
    assert.equal(d.kind, 'refuse');
    if (d.kind === 'refuse') assert.match(d.reason, /repo is not a repository name/);
  });

  it("a node run's output carries the number and URL next to the link", () => {
    const body = nodePatchBody({
      status: 'SUCCESS',
      link: 'https://ghes/acme/infra/pull/3',
      nodeOutput: { number: 3, url: 'https://ghes/acme/infra/pull/3' },
    });
    assert.deepEqual(body.output, { workflowRunUrl: 'https://ghes/acme/infra/pull/3', number: 3, url: 'https://ghes/acme/infra/pull/3' });
  });

  it("an action run's PATCH never carries the node output (Port's action-run API has no output)", async () => {
    const bodies: unknown[] = [];
    const http = {
      call: async (_op: string, _m: string, _p: string, o?: { body?: unknown }) => (
        bodies.push(o?.body),
        { ok: true, status: 200, json: async () => ({}), text: async () => '' }
      ),
    } as unknown as PortHttp;
    await createPortClient({ http }).patchRun('r_abc', { status: 'SUCCESS', link: 'https://ghes/x/pull/3', nodeOutput: { number: 3 } });
    assert.deepEqual(bodies, [{ status: 'SUCCESS', link: 'https://ghes/x/pull/3' }]);
  });
});
