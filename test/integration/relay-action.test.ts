// Issue 26's proof with the real action: port-labs/port-github-action's own built code
// (v1.7.10, vendored in test/port-github-action-v1.7.10) runs every operation — UPSERT,
// BULK_UPSERT, GET, SEARCH, PATCH_RUN (with logMessage: the run-log route too) and DELETE —
// against the relay of a real agent process on the local stack (broker, GHES and Port
// simulators), with the GitHub OIDC token GHES gives the workflow run the agent dispatched; then
// the same steps against Port's simulator directly with the organization's client secret. Port
// must have received the same requests (method, path, query, body, answer) both times: the relay
// changes who holds the credential, not what Port is asked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { freePort } from '../stack/free-port.js';
import { type LocalStack, startLocalStack } from '../stack/local-stack.js';
import { runPortGithubAction } from '../relay/port-github-action.js';
import type { RequestLogEntry } from '../sim/port/types.js';

const AUDIENCE = 'ghes-agent';

describe('port-github-action through the relay', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  let relayUrl: string;
  before(async () => {
    stack = await startLocalStack();
    const relayPort = await freePort();
    relayUrl = `http://127.0.0.1:${relayPort}`;
    agent = await startAgentProcess(stack, {
      overrides: {
        relay: {
          enabled: true,
          host: '127.0.0.1',
          port: relayPort,
          audience: AUDIENCE,
          policy: [{ repository: 'acme/infra', workflows: ['long.yml'], read: ['service'], write: ['service'] }],
        },
      },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  // The requests the action makes, as Port logged them: entity routes, and the run writes the
  // agent itself never makes (PATCH with ?runId=, logs starting "relay-proof").
  const actionTraffic = (entries: RequestLogEntry[]) =>
    entries
      .filter(
        (r) =>
          r.route.startsWith('/v1/blueprints/') ||
          r.route === '/v1/entities/search' ||
          (r.method === 'PATCH' && (r.query ?? '').includes('runId=')) ||
          (r.route === '/v1/actions/runs/:id/logs' &&
            String((r.body as { message?: unknown } | undefined)?.message).startsWith('relay-proof')),
      )
      .map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.body, status: r.status }));

  test('every operation: the same Port requests through the relay (OIDC token) as directly (client secret)', async () => {
    const run = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'long.yml' });
    const linked = await stack.waitForRun(run.id, (r) => typeof r.externalRunId === 'string');
    const ghRunId = Number(/_(\d+)$/.exec(linked.externalRunId!)![1]);
    // What the job's core.getIDToken('ghes-agent') returns on GHES.
    const oidcToken = await stack.ghes.oidc.mintForRun(ghRunId, { audience: AUDIENCE });

    const steps: Array<Record<string, string>> = [
      { operation: 'UPSERT', blueprint: 'service', identifier: 'svc-a', title: 'Service A', properties: '{"tier":"gold"}', runId: run.id },
      {
        operation: 'BULK_UPSERT',
        entities: JSON.stringify([
          { identifier: 'svc-b', blueprint: 'service', properties: { tier: 'silver' } },
          { identifier: 'svc-c', blueprint: 'service', properties: {} },
        ]),
        runId: run.id,
      },
      { operation: 'GET', blueprint: 'service', identifier: 'svc-a', include: 'properties.tier,identifier' },
      { operation: 'SEARCH', query: '{"combinator":"and","rules":[{"property":"$blueprint","operator":"=","value":"service"}]}' },
      { operation: 'PATCH_RUN', runId: run.id, logMessage: 'relay-proof: deployed svc-a', summary: 'relay-proof summary' },
      { operation: 'DELETE', blueprint: 'service', identifier: 'svc-b', runId: run.id },
    ];
    const sequence = async (auth: Record<string, string>) => {
      const since = stack.port.requests().length;
      const outputs: Array<Record<string, string>> = [];
      for (const step of steps) {
        const r = await runPortGithubAction({ ...auth, ...step });
        assert.equal(r.code, 0, `${step.operation} through ${auth.baseUrl} failed:\n${r.stdout}`);
        const { entities: _volatile, ...stable } = r.outputs;
        outputs.push(stable);
      }
      return { traffic: actionTraffic(stack.port.requests().slice(since)), outputs };
    };

    const viaRelay = await sequence({ baseUrl: relayUrl, clientId: 'github-oidc', clientSecret: oidcToken });
    const direct = await sequence({ baseUrl: stack.port.url, clientId: stack.port.clientId, clientSecret: stack.port.clientSecret });
    assert.equal(viaRelay.traffic.length, 8, JSON.stringify(viaRelay.traffic, null, 1));
    assert.deepEqual(viaRelay.traffic, direct.traffic);
    assert.deepEqual(viaRelay.outputs, direct.outputs);
    assert.deepEqual(
      viaRelay.traffic.map((t) => `${t.method} ${t.path} ${t.status}`),
      [
        'POST /v1/blueprints/service/entities 201',
        'POST /v1/blueprints/service/entities 201',
        'POST /v1/blueprints/service/entities 201',
        'GET /v1/blueprints/service/entities/svc-a 200',
        'POST /v1/entities/search 200',
        `POST /v1/actions/runs/${run.id}/logs 201`,
        `PATCH /v1/actions/runs/${run.id} 200`,
        'DELETE /v1/blueprints/service/entities/svc-b 200',
      ],
    );
    assert.equal(viaRelay.outputs[0]!.identifier, 'svc-a');
    assert.deepEqual(
      stack.port
        .entities()
        .map((e) => e.identifier)
        .sort(),
      ['svc-a', 'svc-c'],
    );

    // The workflow ends its own Port run through the relay.
    const end = await runPortGithubAction({
      baseUrl: relayUrl,
      clientId: 'github-oidc',
      clientSecret: oidcToken,
      operation: 'PATCH_RUN',
      runId: run.id,
      status: 'SUCCESS',
      logMessage: 'relay-proof: finished',
    });
    assert.equal(end.code, 0, end.stdout);
    assert.equal(stack.port.getRun(run.id)!.status, 'SUCCESS');
    const audit = agent.lines().filter((l) => l.audit === true);
    assert.ok(audit.length >= 7, JSON.stringify(audit));
    assert.ok(audit.every((l) => l.repository === 'acme/infra' && l.githubRunId === ghRunId && l.workflow === 'long.yml'));
    assert.ok(!agent.output().includes(oidcToken), 'the OIDC token is never logged');
    assert.ok(metricValue(await agent.metrics(), 'ghes_agent_relay_requests_total', { route: 'upsert_entity', outcome: 'ok' }) >= 3);
  });

  test("the action in another workflow run cannot write this run: it fails, Port's run is unchanged", async () => {
    const run = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'long.yml' });
    await stack.waitForRun(run.id, (r) => typeof r.externalRunId === 'string');
    const [intruder] = stack.ghes.addRuns({
      owner: 'acme',
      repo: 'infra',
      workflow: 'long.yml',
      script: { conclusion: 'success', queuedMs: 100, durationMs: 600_000 },
    });
    const token = await stack.ghes.oidc.mintForRun(intruder!, { audience: AUDIENCE });
    const r = await runPortGithubAction({
      baseUrl: relayUrl,
      clientId: 'x',
      clientSecret: token,
      operation: 'PATCH_RUN',
      runId: run.id,
      status: 'FAILURE',
      logMessage: 'relay-proof: forged',
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /403/);
    const after = stack.port.getRun(run.id)!;
    assert.equal(after.status, 'IN_PROGRESS');
    assert.ok(!after.logs.some((l) => l.message.includes('forged')));
  });
});
