// make stack-up / stack-down as a user runs them: up returns with the stack running in the
// background, a second up notices it, the simulators answer, down leaves no process behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, it } from 'node:test';
import { isStackProcess, readStackInfo } from './stack-files.js';

const run = promisify(execFile);
const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// A private dir under .cache/, so a stack a developer left running is not touched.
const dir = mkdtempSync(join(REPO_ROOT, '.cache', 'stack-test-'));
const cli = (command: string) =>
  run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/stack/stack-cli.ts'), command, '--dir', dir], {
    cwd: REPO_ROOT,
    timeout: 300_000,
  });

after(async () => {
  await cli('down').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

it('up starts the stack in the background, down stops it', { timeout: 360_000 }, async () => {
  const up = await cli('up');
  assert.match(up.stdout, /Local stack is up \(ready in [\d.]+ s\)/);
  assert.match(up.stdout, /node --import tsx agent\/main\.ts --config \S+agent\.yaml/);

  const info = readStackInfo(dir);
  assert.ok(info, 'stack.json written');
  assert.ok(isStackProcess(info.pid), 'the stack process outlives `up`');
  assert.equal(info.port.orgId, 'org_local');
  assert.equal(info.kafka.topic, 'org_local.github.runs');

  // GHES: the PAT from stack.json reads the sample repository.
  const repo = await fetch(`${info.ghes.apiUrl}/repos/acme/infra`, { headers: { authorization: `token ${info.ghes.token}` } });
  assert.equal(repo.status, 200);
  assert.equal(((await repo.json()) as { full_name: string }).full_name, 'acme/infra');
  // Port: the client credentials from stack.json get a token.
  const token = await fetch(`${info.port.url}/v1/auth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: info.port.clientId, clientSecret: info.port.clientSecret }),
  });
  assert.equal(token.status, 200);

  // The agent config points at the files the stack wrote.
  const agentYaml = readFileSync(info.agent.configFile, 'utf8');
  assert.ok(agentYaml.includes(info.port.url) && agentYaml.includes(info.ghes.url));
  assert.ok(existsSync(info.ghes.privateKeyFile) && existsSync(info.port.clientSecretFile));

  const again = await cli('up');
  assert.match(again.stdout, /Already running/);
  assert.equal(readStackInfo(dir)?.pid, info.pid);

  const down = await cli('down');
  assert.match(down.stdout, new RegExp(`Stopped the local stack \\(pid ${info.pid}\\)`));
  assert.equal(isStackProcess(info.pid), false);
  assert.equal(existsSync(join(dir, 'stack.json')), false);
  assert.equal(existsSync(join(dir, 'kafka')), false, 'the broker data is removed');
  await assert.rejects(fetch(`${info.port.url}/v1/auth/access_token`, { method: 'POST' }), 'the Port simulator is gone');
});
