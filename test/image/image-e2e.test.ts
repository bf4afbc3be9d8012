// The built container image, run as Kubernetes would run it (uid 10001, read-only root, config
// as a mounted YAML file, secrets as mounted files), against the local stack: one run end to
// end and /metrics served. Needs `make image` first; run by `make image-test`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, metricValue, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const image = process.env.IMAGE ?? `localhost/ghes-agent:${version}`;

describe(`image ${image} against the local stack`, () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0' } });
    agent = await startAgentProcess(stack, { auth: 'app', image });
    await agent.waitReady(90_000);
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('processes a run end to end and serves /metrics', async () => {
    const run = await stack.publish({
      type: 'GITHUB',
      org: 'acme',
      repo: 'infra',
      workflow: 'deploy.yml',
      workflowInputs: { service: 'api' },
    });
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS');
    assert.match(String(done.link), /\/actions\/runs\/\d+$/);
    const text = await agent.metrics();
    assert.equal(metricValue(text, 'ghes_agent_runs_completed_total', { conclusion: 'success' }), 1);
    assert.match(text, /process_resident_memory_bytes/);
  });

  test("ghes-agent check, as the chart's helm test pod runs it, passes every check from inside the image", async () => {
    const check = await startAgentProcess(stack, { auth: 'app', image, args: ['check'] });
    const code = await check.waitExit(120_000);
    const out = check.output();
    assert.equal(code, 0, out.slice(-3000));
    for (const id of ['github.reachable', 'github.installation', 'port.credentials', 'kafka.sasl', 'kafka.topic', 'kafka.group']) {
      assert.match(out, new RegExp(`^PASS\\s+${id.replace('.', '\\.')}\\s`, 'm'), out.slice(-3000));
    }
    assert.ok(!out.includes(stack.port.clientSecret));
  });

  test('runs as the numeric non-root user and writes no secret to its output', () => {
    const lines = agent.lines();
    assert.ok(
      lines.some((l) => typeof l.message === 'string' && l.message.startsWith('ghes-agent')),
      agent.output().slice(-2000),
    );
    assert.ok(!agent.output().includes(stack.port.clientSecret));
    assert.ok(!agent.output().includes('PRIVATE KEY'));
  });
});
