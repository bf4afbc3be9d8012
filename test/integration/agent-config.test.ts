// Configuration mistakes stop the real binary before it connects anywhere, with exit code 2
// and a message naming the key; --print-config shows the effective configuration, masked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const run = (yaml: string, env: Record<string, string> = {}, args: string[] = []) => {
  const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-config-'));
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, yaml);
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--config', file, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
};

const valid = `
port: { orgId: org_1, clientId: cid, clientSecret: super-secret-value-1 }
github: { url: "https://ghes.example.com", token: ghp_very_secret_token_123 }
server: { port: 0 }
`;

describe('configuration errors exit 2 before connecting', () => {
  test('unknown key', () => {
    const r = run(`${valid}\ngithub2: { url: x }\n`);
    assert.equal(r.code, 2);
    assert.match(r.out, /github2: unknown key/);
  });
  test('misspelt nested key', () => {
    const r = run(valid.replace('clientId: cid', 'clientID: cid'));
    assert.equal(r.code, 2);
    assert.match(r.out, /port\.clientID: unknown key/);
  });
  test('missing required value names the key and its env variable', () => {
    const r = run(valid.replace('orgId: org_1, ', ''));
    assert.equal(r.code, 2);
    assert.match(r.out, /port\.orgId: is required/);
    assert.match(r.out, /GHES_AGENT_PORT_ORG_ID/);
  });
  test('malformed URL', () => {
    const r = run(valid.replace('https://ghes.example.com', 'ghes example com'));
    assert.equal(r.code, 2);
    assert.match(r.out, /github\.url: must be an absolute http\(s\) URL/);
  });
  test('env override of a bad value', () => {
    const r = run(valid, { GHES_AGENT_KAFKA_SSL: 'maybe' });
    assert.equal(r.code, 2);
    assert.match(r.out, /kafka\.ssl: must be true or false/);
  });
  test('no intake at all (kafka and portApi both off)', () => {
    const r = run(`${valid}\nkafka: { enabled: false }\n`);
    assert.equal(r.code, 2);
    assert.match(r.out, /no intake: kafka\.enabled and portApi\.enabled are both false/);
  });
  test('a claim visibility timeout outside what Port accepts', () => {
    const r = run(`${valid}\nportApi: { enabled: true, visibilityTimeoutMs: 700000 }\n`);
    assert.equal(r.code, 2);
    assert.match(r.out, /portApi\.visibilityTimeoutMs: must be an integer from 10000 to 600000/);
  });
  test('a node-run route without {id}', () => {
    const r = run(`${valid}\nportApi: { enabled: true, routes: { nodeRun: /v1/workflows/nodes/runs } }\n`);
    assert.equal(r.code, 2);
    assert.match(r.out, /portApi\.routes\.nodeRun: must contain \{id\}/);
  });
  test('the HTTPS intake alone needs no Kafka settings', () => {
    const r = run(`${valid}\nkafka: { enabled: false, brokers: [] }\nportApi: { enabled: true, installationId: my-ghes }\n`, {}, [
      '--print-config',
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /installationId: my-ghes/);
    assert.match(r.out, /claimActionRuns: \/v1\/actions\/runs\/claim-pending/);
  });
  test('--print-config masks secrets and shows derived defaults', () => {
    const r = run(valid, {}, ['--print-config']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /topic: org_1\.github\.runs/);
    assert.match(r.out, /groupId: org_1\.ghes-agent/);
    assert.match(r.out, /apiUrl: https:\/\/ghes\.example\.com\/api\/v3/);
    assert.ok(!r.out.includes('super-secret-value-1'));
    assert.ok(!r.out.includes('ghp_very_secret_token_123'));
    assert.match(r.out, /clientSecret: "?\[set, masked\]"?/);
  });
});

describe('start-up advice', () => {
  const start = (yaml: string, env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-config-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, yaml);
    // Port is unreachable: the agent logs its start-up lines, then retries until killed.
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--config', file], {
      env: { PATH: process.env.PATH ?? '', GHES_AGENT_PORT_API_URL: 'http://127.0.0.1:9', ...env },
      encoding: 'utf8',
      timeout: 6_000,
    });
    return `${res.stdout}${res.stderr}`;
  };

  test('a V8 heap too small for limits.maxInflightRuns is named with the fix', () => {
    const out = start(`${valid}\nlimits: { maxInflightRuns: 40000 }\n`, { NODE_OPTIONS: '--max-old-space-size=128' });
    assert.match(out, /the V8 heap limit \(\d+ MB\) is too small for limits.maxInflightRuns=40000 .*--max-old-space-size=448/);
  });

  test('the image heap holds the default limits.maxInflightRuns: no warning', () => {
    const out = start(valid, { NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=2' });
    assert.match(out, /ghes-agent .* starting/);
    assert.doesNotMatch(out, /V8 heap limit/);
  });
});
