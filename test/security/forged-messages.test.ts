// Issue 23, item 1, on the real broker with the agent as a process: whoever can write to the
// topic learns a live run's id (it is in its run-name and port_run_id input) and sends messages
// naming it: unsigned, with an invalid field (unsigned, or badly signed), and an old signed copy
// replayed outside the 300 s window. With signature.mode required, none of them may touch the
// run: Port's record is unchanged, the GHES run is not cancelled (the Port end check would
// cancel it had the run been failed), the run completes SUCCESS, and each message is counted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildRunMessage, signRunMessage, tamperSignature } from '../sim/publisher.js';
import type { SimPortRun } from '../sim/port/types.js';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';
import { waitFor } from './helpers.js';

/** Runs long enough for the forged messages to be handled while it is tracked, then succeeds. */
const HOLD = 'hold.yml';
const HOLD_MS = 20_000;

describe('forged messages naming a live tracked run (signature.mode required)', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    stack.ghes.addWorkflow(stack.ghOrg, 'infra', {
      path: HOLD,
      name: 'hold',
      runName: RUN_NAME,
      inputs: { port_run_id: { required: false }, service: { required: false } },
      script: { conclusion: 'success', queuedMs: 200, durationMs: HOLD_MS },
    });
    agent = await startAgentProcess(stack, {
      auth: 'app',
      // The Port end check and cancellation on: a run failed in Port would have its GHES run cancelled.
      overrides: {
        signature: { mode: 'required', maxAgeSeconds: 300 },
        tracking: { pollIntervalSeconds: 0.5, portCheckSeconds: 1, cancelGraceSeconds: 2 },
      },
    });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('unsigned, invalid-field and replayed messages leave the run, its record and its GHES run alone; each is counted', async () => {
    const live = await stack.publish({
      type: 'GITHUB',
      org: stack.ghOrg,
      repo: 'infra',
      workflow: HOLD,
      workflowInputs: { service: 'api' },
    });
    const tracked = await stack.waitForRun(live.id, (r) => typeof r.link === 'string' && r.statusLabel === 'Workflow dispatched');
    const ghRun = () => stack.ghes.runs().find((r) => r.inputs.port_run_id === live.id);
    assert.equal(ghRun()?.status === 'completed', false, 'the GHES run is still going on');
    const snapshot = (r: SimPortRun) => ({
      status: r.status,
      statusLabel: r.statusLabel,
      link: r.link,
      externalRunId: r.externalRunId,
      summary: r.summary,
      statusWrites: r.statusWrites,
    });
    const before = snapshot(tracked);

    // What a topic writer can make of the run id: its message re-built without a signature...
    const copy = buildRunMessage({ orgId: stack.org, run: live });
    // ...one with an invalid field (refused before the signature was checked, until issue 23), unsigned and badly signed...
    const invalid = buildRunMessage({
      orgId: stack.org,
      run: { ...live, invocation: { type: 'GITHUB', org: stack.ghOrg, repo: 'a b', workflow: HOLD } },
    });
    // ...and a signed copy Port wrote an hour ago, written to the topic again now.
    const replayed = signRunMessage(copy, stack.port.clientSecret, Math.floor(Date.now() / 1000) - 3600);
    for (const forged of [copy, invalid, tamperSignature(signRunMessage(invalid, stack.port.clientSecret)), replayed])
      await stack.publishRaw(forged, live.id);

    // The run's own message (dispatched) and the four forged ones, each counted once by outcome.
    const text = await waitFor('each message handled', async () => {
      const t = await agent.metrics();
      return metricValue(t, 'ghes_agent_messages_total', { intake: 'kafka' }) >= 5 && t;
    });

    // While the run is still going on, for a few seconds (a refusal's report would land within
    // one, the Port end check and its cancel within two): Port's record as it was, and no line
    // of theirs in its log.
    for (const until = Date.now() + 4000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      assert.deepEqual(snapshot(stack.port.getRun(live.id)!), before);
    }
    const during = stack.port.getRun(live.id)!;
    assert.equal(ghRun()?.status === 'completed', false, 'checked while the GHES run is still going on');
    assert.deepEqual(
      during.logs.filter((l) => /refused|invalid|signature|ghes-agent:/i.test(l.message)).map((l) => l.message),
      [],
    );
    const counted = (outcome: string) => metricValue(text, 'ghes_agent_messages_total', { outcome, intake: 'kafka' });
    assert.deepEqual(
      { unsigned: counted('unsigned'), signatureRejected: counted('signature_rejected'), replayed: counted('replayed') },
      { unsigned: 2, signatureRejected: 1, replayed: 1 },
      text
        .split('\n')
        .filter((l) => l.startsWith('ghes_agent_messages_total'))
        .join('\n'),
    );
    const refusedLines = agent.lines().filter((l) => l.runId === live.id && /nothing written to the run/.test(String(l.message)));
    assert.equal(refusedLines.length, 4, 'each one logged with the run id it claims');

    const done = await stack.waitForRun(live.id, isFinal, HOLD_MS + 30_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    assert.equal(done.statusWrites, 1, "one status: the agent's SUCCESS");
    assert.equal(ghRun()?.conclusion, 'success');
    const cancels = stack.ghes.requests().filter((r) => r.route?.endsWith('/cancel') || r.route?.endsWith('/force-cancel'));
    assert.deepEqual(
      cancels.map((r) => r.path),
      [],
      'the GHES run was never cancelled',
    );
    assert.equal(stack.ghes.dispatches().filter((d) => d.inputs.port_run_id === live.id).length, 1, 'dispatched once');
    assert.deepEqual(
      done.logs.filter((l) => /refused|invalid|signature|ghes-agent:/i.test(l.message)).map((l) => l.message),
      [],
    );
    assert.equal(
      metricValue(await agent.metrics(), 'ghes_agent_messages_total', { outcome: 'invalid', intake: 'kafka' }),
      0,
      'no refusal reached the run',
    );
  });
});
