// Issue 13, item 5: two GHES instances, one agent each, sharing one Port topic (each in its own
// consumer group) and one HTTPS installation. Each agent serves its organizations (github.orgs);
// a run for the other's organization is left to it with no report (outcome="not_mine"); a run no
// agent serves is reported FAILURE by the catch-all agent. Every run gets exactly one final
// status, from the agent of its GHES. Over HTTPS each agent claims for its own installation (the
// advice of docs/configuration.md); a run of another agent's organization claimed from its
// installation is left unacknowledged and unreported. Real broker, two GHES simulators, one Port
// simulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGhesSim } from '../sim/ghes/server.js';
import type { GhesSim } from '../sim/ghes/types.js';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, addSampleRepo, isFinal, startLocalStack } from '../stack/local-stack.js';

describe('two agents, two GHES, one topic', () => {
  let stack: LocalStack;
  let ghes2: GhesSim;
  let acmeAgent: AgentProcess;
  let globexAgent: AgentProcess;
  const portApi = (installationId: string) => ({ enabled: true, installationId, visibilityTimeoutMs: 10_000, claimIntervalSeconds: 1 });

  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.19.0' } });
    ghes2 = await startGhesSim({ version: '3.21.0', runAppearDelayMs: 200 });
    ghes2.addInstallation('globex');
    addSampleRepo(ghes2, 'globex');
    acmeAgent = await startAgentProcess(stack, { overrides: { github: { orgs: ['acme'] }, portApi: portApi('ghes-a') } });
    // The catch-all: it answers for organizations neither agent serves.
    globexAgent = await startAgentProcess(
      { ...stack, ghes: ghes2, ghOrg: 'globex' },
      {
        overrides: {
          github: { orgs: ['globex*'], catchAll: true, otherAgentsOrgs: ['acme'] },
          kafka: { groupId: `${stack.org}.ghes-agent-globex` },
          portApi: portApi('ghes-b'),
        },
      },
    );
    await Promise.all([acmeAgent.waitReady(), globexAgent.waitReady()]);
  });
  after(async () => {
    await Promise.all([acmeAgent?.stop(), globexAgent?.stop()]);
    await ghes2?.close();
    await stack?.close();
  });

  test('every run gets exactly one final status, from the agent of its GHES; unserved runs fail with the reason', async () => {
    const inv = (org: string, workflow = 'deploy.yml') => ({
      type: 'GITHUB' as const,
      org,
      repo: 'infra',
      workflow,
      workflowInputs: { service: 'api' },
    });
    const kafkaRuns = [
      ...(await Promise.all([1, 2, 3].map(() => stack.publish(inv('acme'))))),
      ...(await Promise.all([1, 2, 3].map(() => stack.publish(inv('globex'))))),
      await stack.publish(inv('acme', 'fail.yml')),
      await stack.publish(inv('initech')),
    ];
    const httpsRuns = (
      [
        ['acme', 'ghes-a'],
        ['globex', 'ghes-b'],
        ['initech', 'ghes-b'],
      ] as const
    ).map(([org, installationId]) => stack.createIntegrationRun({ org, repo: 'infra', workflow: 'deploy.yml' }, { installationId }));
    // globex's run in acme's installation: the acme agent claims it and leaves it alone.
    const left = stack.createIntegrationRun({ org: 'globex', repo: 'infra', workflow: 'deploy.yml' }, { installationId: 'ghes-a' });
    const all = [...kafkaRuns, ...httpsRuns];
    const done = await Promise.all(all.map((r) => stack.waitForRun(r.id, isFinal, 120_000)));
    // A few seconds more: a second agent's late report would show here.
    await new Promise((r) => setTimeout(r, 3000));
    for (const [i, run] of all.entries()) {
      const now = stack.port.getRun(run.id)!;
      const org =
        (run.invocation as { org?: string }).org ??
        (run.invocation as { integrationActionExecutionProperties?: { org?: string } }).integrationActionExecutionProperties?.org;
      assert.equal(now.statusWrites, 1, `run ${run.id} (${org}): exactly one final status write`);
      if (org === 'initech') {
        assert.equal(done[i]!.status, 'FAILURE');
        assert.match(done[i]!.summary ?? '', /no ghes-agent serves the GitHub organization "initech"/);
        continue;
      }
      const sim = org === 'acme' ? stack.ghes : ghes2;
      const other = org === 'acme' ? ghes2 : stack.ghes;
      const gh = sim.runs().filter((r) => r.inputs.port_run_id === run.id);
      assert.equal(gh.length, 1, `run ${run.id} (${org}) dispatched once, on its own GHES`);
      assert.equal(other.runs().filter((r) => r.inputs.port_run_id === run.id).length, 0, `run ${run.id} not dispatched on the other GHES`);
      assert.equal(now.link, `${sim.origin}/${org}/infra/actions/runs/${gh[0]!.id}`);
    }
    const leftNow = stack.port.getRun(left.id)!;
    assert.ok((leftNow.claims ?? 0) >= 1, 'claimed by the acme agent');
    assert.deepEqual(
      [leftNow.status, leftNow.acks, leftNow.statusWrites, leftNow.logs.length, leftNow.history.length],
      ['IN_PROGRESS', 0, 0, 0, 0],
      'left unacknowledged, with no report',
    );
    assert.ok(metricValue(await acmeAgent.metrics(), 'ghes_agent_messages_total', { outcome: 'not_mine', intake: 'port-api' }) >= 1);
    assert.ok(stack.ghes.dispatches().every((d) => d.owner === 'acme'));
    assert.ok(ghes2.dispatches().every((d) => d.owner === 'globex'));
    // The Kafka intake commits another agent's run with no report; each agent saw the other's.
    assert.ok(metricValue(await acmeAgent.metrics(), 'ghes_agent_messages_total', { outcome: 'not_mine', intake: 'kafka' }) >= 4);
    assert.ok(metricValue(await globexAgent.metrics(), 'ghes_agent_messages_total', { outcome: 'not_mine', intake: 'kafka' }) >= 4);
    assert.ok(metricValue(await globexAgent.metrics(), 'ghes_agent_messages_total', { outcome: 'unserved_org', intake: 'kafka' }) >= 1);
  });
});
