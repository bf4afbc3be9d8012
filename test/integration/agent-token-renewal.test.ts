// Installation tokens and ETags (issue 12, item 8). GitHub computes a list's ETag per credential,
// so each token renewal makes the tracking lists answer 200 once more; the GHES simulator does
// the same. The agent renews a token before the expires_at GHES gave it (on GHES's clock), so a
// renewal never shows as a 401, and costs at most one 200 per list kind per repository.
// Tokens live 6 s here instead of an hour. Real broker, GHES simulator, agent process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, RUN_NAME, isFinal, startLocalStack } from '../stack/local-stack.js';

describe('installation tokens renewed by their expires_at', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  before(async () => {
    stack = await startLocalStack({ ghes: { version: '3.21.0', tokenTtlMs: 6000 } });
    stack.ghes.addWorkflow('acme', 'infra', {
      path: 'long.yml',
      runName: RUN_NAME,
      inputs: { port_run_id: { required: false } },
      script: { conclusion: 'success', queuedMs: 500, durationMs: 20_000 },
    });
    agent = await startAgentProcess(stack, { auth: 'app' });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('a run outliving several tokens: renewed before expiry (no 401), each renewal one 200 per list kind at most', async () => {
    const start = Date.now();
    const run = await stack.publish({ type: 'GITHUB', org: 'acme', repo: 'infra', workflow: 'long.yml' });
    const done = await stack.waitForRun(run.id, isFinal, 60_000);
    assert.equal(done.status, 'SUCCESS', done.summary);
    const log = stack.ghes.requests().filter((r) => r.at >= start);
    assert.deepEqual(
      log.filter((r) => r.status === 401).map((r) => `${r.method} ${r.path}`),
      [],
      'no request met an expired token',
    );
    const tokens = log.filter((r) => r.route === 'POST /app/installations/{installation_id}/access_tokens' && r.status === 201);
    assert.ok(tokens.length >= 3, `tokens created: ${tokens.length}`);
    // Lists answered 200: the first of each kind, one per kind per renewal, and the status
    // changes (queued → in progress → completed) the sweeps and the completed list bring.
    const lists200 = log.filter((r) => r.route === 'GET /repos/{owner}/{repo}/actions/runs' && r.status === 200).length;
    assert.ok(lists200 <= 2 * tokens.length + 4, `list 200s ${lists200} for ${tokens.length} tokens`);
  });
});
