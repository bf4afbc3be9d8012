// The GitHub App is uninstalled and installed again on the organization while the agent runs: the
// installation id changes, the old one's tokens answer 401 and its token POST 404. The agent used
// to cache the installation id forever, so every run failed until a restart (issue 12, item 6).
// It now drops the id on 401/404 and looks it up again. Real broker, GHES simulator, agent process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentProcess, startAgentProcess } from '../stack/agent-process.js';
import { type LocalStack, isFinal, startLocalStack } from '../stack/local-stack.js';

const deploy = { type: 'GITHUB' as const, org: 'acme', repo: 'infra', workflow: 'deploy.yml', workflowInputs: { service: 'api' } };

describe('the App reinstalled while the agent runs', () => {
  let stack: LocalStack;
  let agent: AgentProcess;
  const installationId = async () => {
    const jwtRequests = stack.ghes
      .requests()
      .filter((r) => r.route === 'POST /app/installations/{installation_id}/access_tokens' && r.status === 201);
    return Number(jwtRequests.at(-1)!.path.split('/')[3]);
  };
  before(async () => {
    // Tokens live 4 s here, so the second reinstall meets the token POST of the old id (404).
    stack = await startLocalStack({ ghes: { version: '3.21.0', tokenTtlMs: 4000 } });
    agent = await startAgentProcess(stack, { auth: 'app' });
    await agent.waitReady();
  });
  after(async () => {
    await agent?.stop();
    await stack?.close();
  });

  test('revoked token (401), then a token POST for the old id (404): each time the installation is looked up again and the run succeeds', async () => {
    const first = await stack.publish(deploy);
    assert.equal((await stack.waitForRun(first.id, isFinal)).status, 'SUCCESS');
    const before = await installationId();

    // Reinstalled: the cached token is revoked at once.
    stack.ghes.removeInstallation(before);
    const second = stack.ghes.addInstallation('acme');
    const run2 = await stack.publish(deploy);
    const done2 = await stack.waitForRun(run2.id, isFinal);
    assert.equal(done2.status, 'SUCCESS', done2.summary);
    assert.equal(await installationId(), second);

    // Reinstalled again, and the token has expired meanwhile: the old id's token POST is a 404.
    stack.ghes.removeInstallation(second);
    const third = stack.ghes.addInstallation('acme');
    await new Promise((r) => setTimeout(r, 4500));
    const run3 = await stack.publish(deploy);
    const done3 = await stack.waitForRun(run3.id, isFinal);
    assert.equal(done3.status, 'SUCCESS', done3.summary);
    assert.equal(await installationId(), third);
    const refusedTokenPosts = stack.ghes
      .requests()
      .filter((r) => r.route === 'POST /app/installations/{installation_id}/access_tokens' && r.status === 404);
    assert.ok(refusedTokenPosts.length >= 1, 'the 404 path was taken');
    assert.ok(
      agent.lines().some((l) => /installation on acme: now \d+/.test(String(l.message))),
      'the new installation is logged',
    );
  });
});
