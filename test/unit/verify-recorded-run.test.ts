// Issue 23: a GitHub run recorded for a Port run (its link, its externalRunId, a run-name match)
// is followed only when it is the invocation's own run. The pure decisions of
// agent/run/verify-recorded-run.ts, one refusal per way a record can point elsewhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowRun } from '../../agent/github/run-list-api.js';
import { evaluatePolicy, evaluateTarget } from '../../agent/policy/evaluate-policy.js';
import { ghesOriginsOf, readRecordedRun, recordedIdsMismatch, verifyRecordedRun } from '../../agent/run/verify-recorded-run.js';

const GHES = ghesOriginsOf(['https://GHES.example.com', 'https://ghes.example.com/api/v3']);
const inv = { runId: 'r_abc123', org: 'acme', repo: 'infra', workflow: 'deploy.yml' };
const repo = { id: 42, ownerId: 7 };
const ACTOR = 'ghes-agent[bot]';

function ghRun(over: Partial<WorkflowRun> = {}): WorkflowRun {
  return {
    id: 900,
    status: 'in_progress',
    conclusion: null,
    html_url: 'https://ghes.example.com/acme/infra/actions/runs/900',
    display_title: `Deploy ${inv.runId}`,
    head_branch: 'main',
    created_at: '2026-01-01T10:00:00Z',
    updated_at: '2026-01-01T10:00:00Z',
    event: 'workflow_dispatch',
    actor: ACTOR,
    repository_id: 42,
    repository_owner_id: 7,
    path: '.github/workflows/deploy.yml',
    workflow_id: 5,
    ...over,
  };
}

const decide = (
  observed: WorkflowRun,
  opts: {
    workflow?: string;
    actor?: string | undefined;
    recorded?: { ghRunId: number; ids?: { ownerId: number; repoId: number } };
    createdAfterMs?: number;
  } = {},
) =>
  verifyRecordedRun(
    {
      invocation: { ...inv, workflow: opts.workflow ?? inv.workflow },
      repo,
      actor: 'actor' in opts ? opts.actor : ACTOR,
      recorded: opts.recorded ?? { ghRunId: observed.id },
      createdAfterMs: opts.createdAfterMs,
    },
    observed,
  );

describe('reading the run Port recorded', () => {
  it('the origins of github.url and github.apiUrl, in lower case, once', () => {
    assert.deepEqual(GHES, ['https://ghes.example.com']);
  });

  it('an externalRunId gives the run and its repository ids; a link on the GHES the run alone', () => {
    assert.deepEqual(readRecordedRun({ externalRunId: 'gh_7_42_900' }, GHES), {
      kind: 'recorded',
      ref: { ghRunId: 900, ids: { ownerId: 7, repoId: 42 } },
    });
    assert.deepEqual(readRecordedRun({ link: 'https://ghes.example.com/acme/infra/actions/runs/900' }, GHES), {
      kind: 'recorded',
      ref: { ghRunId: 900 },
    });
    assert.deepEqual(
      readRecordedRun({ link: ['https://app.getport.io/x', 'https://GHES.example.com/acme/infra/actions/runs/900/attempts/2'] }, GHES),
      { kind: 'recorded', ref: { ghRunId: 900 } },
    );
    assert.deepEqual(readRecordedRun({ externalRunId: null, link: null }, GHES), { kind: 'none' });
    assert.deepEqual(readRecordedRun({ externalRunId: 'other-system-id', link: 'https://app.getport.io/runs' }, GHES), { kind: 'none' });
  });

  it('a run link on another host is refused, even with a matching externalRunId', () => {
    for (const link of [
      'https://evil.example/acme/infra/actions/runs/900',
      'http://ghes.example.com/acme/infra/actions/runs/900',
      'https://ghes.example.com:8443/acme/infra/actions/runs/900',
    ]) {
      const r = readRecordedRun({ link }, GHES);
      assert.equal(r.kind, 'refused', link);
      assert.match((r as { reason: string }).reason, /not on this agent's GHES/);
      assert.equal(readRecordedRun({ externalRunId: 'gh_7_42_900', link }, GHES).kind, 'refused', `${link} with an externalRunId`);
    }
  });

  it('a link and an externalRunId naming different runs, or an id beyond a number, are refused', () => {
    assert.match(
      (
        readRecordedRun({ externalRunId: 'gh_7_42_900', link: 'https://ghes.example.com/acme/infra/actions/runs/901' }, GHES) as {
          reason: string;
        }
      ).reason,
      /names GitHub run 901 and the externalRunId run 900/,
    );
    assert.equal(readRecordedRun({ externalRunId: 'gh_7_42_99999999999999999999' }, GHES).kind, 'refused');
    assert.equal(readRecordedRun({ externalRunId: 'gh_0_42_900' }, GHES).kind, 'refused');
  });

  it('an externalRunId of another owner or repository is refused before the run is read', () => {
    assert.match(
      recordedIdsMismatch({ ghRunId: 900, ids: { ownerId: 1, repoId: 2 } }, inv, repo)!,
      /names repository 2 of owner 1, not acme\/infra \(repository 42 of owner 7\)/,
    );
    assert.equal(recordedIdsMismatch({ ghRunId: 900, ids: { ownerId: 7, repoId: 42 } }, inv, repo), undefined);
    assert.equal(recordedIdsMismatch({ ghRunId: 900 }, inv, repo), undefined, 'a link names no ids: the run read decides');
  });
});

describe('the decision on the run GHES returned', () => {
  it("the agent's own run of the invocation's workflow in its repository is accepted, as a VerifiedRun", () => {
    const v = decide(ghRun(), { recorded: { ghRunId: 900, ids: { ownerId: 7, repoId: 42 } } });
    assert.equal(v.kind, 'accepted');
    const run = v.run;
    assert.deepEqual(
      { ...run },
      {
        portRunId: 'r_abc123',
        org: 'acme',
        repo: 'infra',
        ghRunId: 900,
        htmlUrl: 'https://ghes.example.com/acme/infra/actions/runs/900',
        trust: 'verified',
      },
    );
    assert.equal(decide(ghRun({ actor: 'GHES-Agent[bot]' })).kind, 'accepted', 'logins compare case-insensitively');
    assert.equal(
      decide(ghRun({ path: 'ACME/Infra/.github/workflows/deploy.yml@refs/heads/main' })).kind,
      'accepted',
      "GitHub's owner/repo/…@ref form of path",
    );
    assert.equal(decide(ghRun({ display_title: 'Deploy' })).kind, 'accepted', 'a run-name without Port run ids says nothing');
    assert.equal(decide(ghRun(), { workflow: '5' }).kind, 'accepted', 'a numeric workflow compares workflow_id');
    assert.equal(
      decide(ghRun(), { createdAfterMs: Date.parse('2026-01-01T10:30:00Z') }).kind,
      'accepted',
      "GHES's clock half an hour behind Port's: within the slack",
    );
  });

  const refusals: Array<[string, WorkflowRun, Parameters<typeof decide>[1], RegExp]> = [
    [
      'externalRunId of other ids',
      ghRun(),
      { recorded: { ghRunId: 900, ids: { ownerId: 1, repoId: 2 } } },
      /names repository 2 of owner 1/,
    ],
    ['another run than recorded', ghRun({ id: 901 }), { recorded: { ghRunId: 900 } }, /record names run 900/],
    ['a run of another repository', ghRun({ repository_id: 43 }), {}, /belongs to repository 43 of owner 7, not acme\/infra/],
    ['a run of another owner', ghRun({ repository_owner_id: 8 }), {}, /belongs to repository 42 of owner 8/],
    ['a run that names no repository', ghRun({ repository_id: undefined, repository_owner_id: undefined }), {}, /repository unknown/],
    [
      'a run of another workflow',
      ghRun({ path: '.github/workflows/other.yml' }),
      {},
      /run of \.github\/workflows\/other\.yml, not of \.github\/workflows\/deploy\.yml/,
    ],
    [
      'a workflow of the same name in another repository',
      ghRun({ path: 'evil/infra/.github/workflows/deploy.yml@main' }),
      {},
      /not of \.github\/workflows\/deploy\.yml/,
    ],
    ['a workflow file differing in case', ghRun({ path: '.github/workflows/Deploy.yml' }), {}, /not of/],
    ['a run of another numeric workflow', ghRun({ workflow_id: 6 }), { workflow: '5' }, /workflow 6, not of workflow 5/],
    ['a run of another actor', ghRun({ actor: 'mallory' }), {}, /started by mallory, not by this agent \(ghes-agent\[bot\]\)/],
    ["the agent's own actor unknown", ghRun(), { actor: undefined }, /own GitHub login is unknown/],
    ['a run-name naming another Port run', ghRun({ display_title: 'Deploy r_other999' }), {}, /run-name names Port run r_other999/],
    [
      'a run made long before the Port run',
      ghRun({ created_at: '2026-01-01T08:59:59Z' }),
      { createdAfterMs: Date.parse('2026-01-01T10:00:00Z') },
      /created at 2026-01-01T08:59:59Z, before this Port run existed/,
    ],
  ];
  for (const [what, observed, opts, reason] of refusals) {
    it(`refused: ${what}`, () => {
      const v = decide(observed, opts);
      assert.equal(v.kind, 'refused');
      assert.match((v as { reason: string }).reason, reason);
    });
  }
});

describe('the policy part decided before any GHES read', () => {
  const rules = [{ org: 'acme', repo: 'infra', workflow: 'deploy.yml', refs: ['main'] }];
  it('organization, repository and workflow decide alone; the same answer whatever the repository is', () => {
    assert.deepEqual(evaluateTarget(rules, { org: 'ACME', repo: 'Infra', workflow: 'deploy.yml' }), { allowed: true });
    const denied = evaluateTarget(rules, { org: 'acme', repo: 'secret', workflow: 'deploy.yml' });
    assert.equal(denied.allowed, false);
    assert.match((denied as { reason: string }).reason, /acme\/secret workflow deploy\.yml matches no rule/);
    assert.deepEqual(evaluateTarget([], { org: 'x', repo: 'y', workflow: 'z.yml' }), { allowed: true }, 'no rules: everything');
  });
  it('the full policy still refuses a ref once the repository is known, and agrees on the target part', () => {
    assert.equal(
      evaluatePolicy(rules, { org: 'acme', repo: 'infra', workflow: 'deploy.yml', ref: 'dev', defaultBranch: 'main' }).allowed,
      false,
    );
    assert.deepEqual(
      evaluatePolicy(rules, { org: 'acme', repo: 'secret', workflow: 'deploy.yml', ref: 'main', defaultBranch: 'main' }),
      evaluateTarget(rules, { org: 'acme', repo: 'secret', workflow: 'deploy.yml' }),
    );
  });
});
