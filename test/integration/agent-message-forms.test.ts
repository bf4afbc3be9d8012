// What Port may send that the simulators used to leave out (issue 12, items 1, 2 and 10), on the
// real broker with the agent as a process: the other signature form port-agent knows, flags as
// strings, refused messages named by their keys, and legacy (v1) actions' port_payload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../security/helpers.js';
import { buildRunMessage, publishMessages, signRunMessage } from '../sim/publisher.js';
import type { GithubInvocation } from '../sim/port/types.js';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const inv = (extra: Partial<GithubInvocation> = {}): GithubInvocation => ({
  type: 'GITHUB',
  org: 'acme',
  repo: 'infra',
  workflow: 'deploy.yml',
  workflowInputs: { service: 'api' },
  ...extra,
});

describe('message forms Port may send', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  const dispatches = (runId: string) => stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === runId);
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, { auth: 'app', overrides: { signature: { mode: 'required', maxAgeSeconds: 300 } } });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test("a message signed with its headers object deleted (port-agent's GITLAB form) is accepted, counted and logged by variant", async () => {
    const run = await stack.publish(inv(), { signatureVariant: 'headers_deleted' });
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(dispatches(run.id).length, 1);
    assert.equal(metricValue(await agent.metrics(), 'ghes_agent_signature_variants_total', { signature_variant: 'headers_deleted' }), 1);
    assert.ok(
      agent.lines().some((l) => l.signature_variant === 'headers_deleted'),
      'the matching form is logged',
    );
    // The documented form still works, and is told apart.
    const other = await stack.publish(inv());
    assert.equal((await stack.waitForRun(other.id, isFinal)).status, 'SUCCESS');
    assert.equal(
      metricValue(await agent.metrics(), 'ghes_agent_signature_variants_total', { signature_variant: 'signature_keys_deleted' }),
      1,
    );
  });

  test('reportWorkflowStatus "false" (a string) is honoured: the run gets its log line, no status', async () => {
    const run = await stack.publish(inv({ workflow: 'fail.yml', reportWorkflowStatus: 'false' }));
    await stack.waitForRun(run.id, (r) => r.logs.some((l) => l.message === 'Workflow completed: failure'));
    await new Promise((r) => setTimeout(r, 500));
    const r = stack.port.getRun(run.id)!;
    assert.equal(r.status, 'IN_PROGRESS');
    assert.equal(r.statusWrites, 0);
    const yes = await stack.publish(inv({ reportWorkflowStatus: 'true' }));
    assert.equal((await stack.waitForRun(yes.id, isFinal)).status, 'SUCCESS');
  });

  test('a refused message logs the names of its keys (top level, payload, invocationMethod), never their values', async () => {
    const run = await stack.publish(inv({ reportWorkflowStatus: 'maybe', futureField: 'value-not-logged' } as Partial<GithubInvocation>));
    const done = await stack.waitForRun(run.id, isFinal);
    assert.equal(done.status, 'FAILURE');
    assert.match(done.summary ?? '', /reportWorkflowStatus is not a boolean/);
    const line = await waitFor('the refusal log line', () =>
      agent.lines().find((l) => l.runId === run.id && /invalid run message/.test(String(l.message))),
    );
    assert.deepEqual(line.messageKeys, ['action', 'resourceType', 'status', 'trigger', 'context', 'payload', 'headers']);
    assert.ok((line.invocationMethodKeys as string[]).includes('futureField'), JSON.stringify(line));
    assert.ok(!agent.output().includes('value-not-logged'), 'values are never logged');
  });

  test('a legacy (v1) action: user inputs as inputs and port_payload by default; omitUserInputs keeps them in port_payload only', async () => {
    const publishV1 = async (flags: Partial<GithubInvocation>) => {
      const run = stack.port.createRun({ invocation: { type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'deploy.yml', ...flags } });
      const msg = signRunMessage(
        buildRunMessage({ orgId: stack.org, run, properties: { service: 'from-user-input' } }),
        stack.port.clientSecret,
      );
      await publishMessages(stack.producer, stack.topic, [{ key: run.id, value: msg }]);
      return run;
    };
    const defaults = await publishV1({ omitUserInputs: false });
    assert.equal((await stack.waitForRun(defaults.id, isFinal)).status, 'SUCCESS');
    const d = dispatches(defaults.id)[0]!;
    assert.equal(d.inputs.service, 'from-user-input');
    const payload = JSON.parse(String(d.inputs.port_payload));
    assert.equal(payload.context.runId, defaults.id);
    assert.equal(payload.headers, undefined, 'port_payload carries no signature');

    const inPayloadOnly = await publishV1({ omitUserInputs: true, omitPayload: false });
    assert.equal((await stack.waitForRun(inPayloadOnly.id, isFinal)).status, 'SUCCESS');
    const d2 = dispatches(inPayloadOnly.id)[0]!;
    assert.equal(d2.inputs.service, undefined);
    assert.equal(JSON.parse(String(d2.inputs.port_payload)).payload.properties.service, 'from-user-input');

    // A v2 action (neither flag) is exactly its workflowInputs.
    const v2 = await stack.publish(inv({ workflowInputs: { service: 'v2' } }));
    assert.equal((await stack.waitForRun(v2.id, isFinal)).status, 'SUCCESS');
    assert.deepEqual(Object.keys(dispatches(v2.id)[0]!.inputs).sort(), ['port_run_id', 'service']);
  });
});
