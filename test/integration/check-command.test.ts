// `ghes-agent check` as an operator runs it, as a real process, against the local stack (real
// Kafka with Port's ACLs, the GHES simulator over TLS with a private CA, the Port simulator):
// every check passes on a working setup, without joining the consumer group or committing, and
// each broken setup fails the check that names it, with exit code 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { stringify } from 'yaml';
import { ALL_CHECKS } from '../../agent/cli/check/check-command.js';
import { startGhesSim } from '../sim/ghes/server.js';
import type { GhesSim } from '../sim/ghes/types.js';
import { agentConfig } from '../stack/agent-process.js';
import { type CertificateAuthority, generateCa, issueServerCert } from '../stack/certs.js';
import { kafkaClientConfig } from '../stack/kafka-org.js';
import { type LocalStack, startLocalStack } from '../stack/local-stack.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
type Overrides = Record<string, Record<string, unknown>>;

interface CheckRun {
  code: number | null;
  out: string;
  /** check id → PASS | FAIL | SKIP */
  status: Map<string, string>;
  line(id: string): string;
}

describe('ghes-agent check', () => {
  let stack: LocalStack;
  let ca: CertificateAuthority;
  let dir: string;
  const runs: Promise<unknown>[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ghes-agent-check-'));
    ca = await generateCa(dir, 'check-test');
    const cert = await issueServerCert(ca, dir, 'ghes');
    stack = await startLocalStack({ ghes: { version: '3.21.0', tls: { certPem: cert.certPem, keyPem: cert.keyPem } } });
    stack.ghes.addInstallation('weakorg', { permissions: { actions: 'read', metadata: 'read' } });
  });
  after(async () => {
    await Promise.allSettled(runs);
    await stack?.close();
  });

  let n = 0;
  async function check(
    opts: { auth?: 'app' | 'token'; overrides?: Overrides; files?: Record<string, string>; ghes?: GhesSim } = {},
  ): Promise<CheckRun> {
    const d = join(dir, `run-${++n}`);
    const { config, files, secretDir } = agentConfig(stack, d, { auth: opts.auth, metricsPort: 0 });
    const merged: Overrides = {
      ...config,
      github: { ...config.github, caFile: ca.certFile },
      policy: { allow: [{ org: 'acme', repo: 'infra' }] },
    };
    for (const [section, values] of Object.entries(opts.overrides ?? {})) merged[section] = { ...(merged[section] ?? {}), ...values };
    mkdirSync(secretDir, { recursive: true });
    for (const [name, content] of Object.entries({ ...files, ...opts.files }))
      writeFileSync(join(secretDir, name), content, { mode: 0o600 });
    const configFile = join(d, 'agent.yaml');
    writeFileSync(configFile, stringify(merged));
    const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'agent/main.ts'), 'check', '--config', configFile], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    const status = new Map<string, string>();
    for (const m of out.matchAll(/^(PASS|FAIL|SKIP)\s+(\S+)\s/gm)) status.set(m[2]!, m[1]!);
    return {
      code,
      out,
      status,
      line: (id) => out.split('\n').find((l) => new RegExp(`^\\w+\\s+${id.replace('.', '\\.')}\\s`).test(l)) ?? '',
    };
  }

  /** Exit 1, the named check FAILs with `why`, and everything before it still passed. */
  function assertFails(r: CheckRun, id: string, why: RegExp): void {
    assert.equal(r.code, 1, r.out);
    assert.equal(r.status.get(id), 'FAIL', r.out);
    assert.match(r.line(id), why);
    assert.match(r.line(id), /→ fix: /);
    assert.match(r.out, new RegExp(`failing: .*${id.replace('.', '\\.')}`));
  }

  test('a working setup (GitHub App, private CA, Kafka from Port, the HTTPS intake): every check passes, exit 0, the group is not joined', async () => {
    const r = await check({ overrides: { portApi: { enabled: true } } });
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(
      [...r.status.keys()],
      ALL_CHECKS.map((c) => c.id),
      r.out,
    );
    assert.deepEqual(
      [...r.status.values()].filter((s) => s !== 'PASS'),
      [],
      r.out,
    );
    assert.match(r.line('github.reachable'), /TLS verified with .*check-test\.crt\.pem/);
    assert.match(r.line('github.version'), /GHES 3\.21\.0: dispatches return the run id/);
    assert.match(r.line('github.installation'), /installed on acme with actions: write, metadata: read/);
    assert.match(r.line('kafka.topic'), new RegExp(`topic ${stack.topic} readable`));
    assert.match(r.line('kafka.group'), /allowed .*not joined/);
    assert.match(r.out, /ready for a first run/);
    // Read-only: nothing joined the group, nothing committed, nothing dispatched.
    const admin = new kafkajs.Kafka(kafkaClientConfig(stack.broker, 'admin', 'check-verify')).admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([`${stack.org}.ghes-agent`]);
      assert.equal(groups[0]!.members.length, 0);
      const offsets = await admin.fetchOffsets({ groupId: `${stack.org}.ghes-agent`, topics: [stack.topic] });
      assert.deepEqual(
        offsets[0]!.partitions.filter((p) => p.offset !== '-1'),
        [],
      );
    } finally {
      await admin.disconnect();
    }
    assert.equal(stack.ghes.dispatches().length, 0);
  });

  test('the HTTPS intake alone: the Kafka checks are skipped, the installation is checked, nothing is claimed', async () => {
    const r = await check({ overrides: { kafka: { enabled: false }, portApi: { enabled: true } } });
    assert.equal(r.code, 0, r.out);
    for (const id of ['kafka.tls', 'kafka.sasl', 'kafka.topic', 'kafka.group', 'port.kafka-credentials'])
      assert.match(r.line(id), /^SKIP .*kafka\.enabled is false/, id);
    assert.match(r.line('port-api.machine-token'), /a machine \(organization\) credential/);
    assert.match(r.line('port-api.installation'), /does not exist yet: the agent registers it at start/);
    assert.equal(stack.port.requests().filter((q) => q.route.endsWith('claim-pending')).length, 0, 'check never claims');
    const missing = await check({
      overrides: { kafka: { enabled: false }, portApi: { enabled: true, integrationMode: 'existing', installationId: 'nobody' } },
    });
    assertFails(missing, 'port-api.installation', /Port has no integration installation "nobody"/);
    const off = await check();
    assert.match(off.line('port-api.installation'), /^SKIP .*portApi\.enabled is false/);
  });

  test('token auth: the scopes are read from X-OAuth-Scopes', async () => {
    const good = await check({ auth: 'token' });
    assert.equal(good.code, 0, good.out);
    assert.match(good.line('github.auth'), /token accepted; no X-OAuth-Scopes \(a fine-grained token\)/);
    assert.match(good.line('github.installation'), /token auth/);
    stack.ghes.addToken('ghp_readonlyscopes0000000000000000000000', { orgs: ['acme'], scopes: ['read:org', 'read:user'] });
    const weak = await check({ auth: 'token', files: { 'github-token': 'ghp_readonlyscopes0000000000000000000000' } });
    assertFails(weak, 'github.auth', /scopes are \[read:org, read:user\]; dispatching a workflow needs the repo scope/);
    stack.ghes.addToken('ghp_classicreposcope000000000000000000000', { orgs: ['acme'], scopes: ['repo', 'workflow'] });
    const classic = await check({ auth: 'token', files: { 'github-token': 'ghp_classicreposcope000000000000000000000' } });
    assert.equal(classic.code, 0, classic.out);
    assert.match(classic.line('github.auth'), /scopes \[repo, workflow\]/);
  });

  test('GHES certificate not trusted (no github.caFile) → github.reachable, the rest of GitHub skipped', async () => {
    const r = await check({ overrides: { github: { caFile: '' } } });
    assertFails(r, 'github.reachable', /not trusted.*github\.caFile/);
    assert.equal(r.status.get('github.auth'), 'SKIP');
    assert.equal(r.status.get('kafka.group'), 'PASS', 'the other parts are still checked');
  });

  test('GHES unreachable → github.reachable', async () => {
    const r = await check({ overrides: { github: { url: 'https://127.0.0.1:9' } } });
    assertFails(r, 'github.reachable', /refused/);
  });

  test('the App is not installed where the policy points → github.installation', async () => {
    const r = await check({ overrides: { policy: { allow: [{ org: 'acme' }, { org: 'otherorg', repo: 'x' }] } } });
    assertFails(r, 'github.installation', /not installed on otherorg/);
  });

  test('an installation without Actions: read & write → github.installation', async () => {
    const r = await check({ overrides: { policy: { allow: [{ org: 'weak*' }] } } });
    assertFails(r, 'github.installation', /installation on weakorg holds actions: read \(needs read & write\)/);
  });

  test('wrong Port client secret → port.credentials, the Kafka checks skipped', async () => {
    const r = await check({ files: { 'port-client-secret': 'not-the-secret' } });
    assertFails(r, 'port.credentials', /Port rejected client id/);
    for (const id of ['port.kafka-credentials', 'kafka.tls', 'kafka.sasl', 'kafka.topic', 'kafka.group'])
      assert.equal(r.status.get(id), 'SKIP', r.out);
    assert.equal(r.status.get('github.installation'), 'PASS');
  });

  test("the brokers' CA not given (kafka.caFile) → kafka.tls", async () => {
    const r = await check({ overrides: { kafka: { caFile: '' } } });
    assertFails(r, 'kafka.tls', /TLS to the brokers failed.*(SELF_SIGNED|UNABLE_TO|CERT)/);
  });

  test('wrong Kafka password → kafka.sasl', async () => {
    const r = await check({
      overrides: {
        kafka: {
          brokers: stack.broker.brokers,
          username: stack.broker.agent.username,
          passwordFile: join(dir, `run-${n + 1}`, 'secrets', 'kafka-password'),
        },
      },
      files: { 'kafka-password': 'wrong-password' },
    });
    assertFails(r, 'kafka.sasl', /SASL authentication failed/);
  });

  test('a topic the ACLs do not let this user read → kafka.topic', async () => {
    const secretTopic = `${stack.org}.secret`;
    const admin = new kafkajs.Kafka(kafkaClientConfig(stack.broker, 'admin', 'check-topic')).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: secretTopic, numPartitions: 1 }] });
    await admin.disconnect();
    const r = await check({ overrides: { kafka: { topic: secretTopic } } });
    assertFails(r, 'kafka.topic', /not authorized to read topic/);
  });

  test('a consumer group outside the org prefix → kafka.group', async () => {
    const r = await check({ overrides: { kafka: { groupId: 'other.ghes-agent' } } });
    assertFails(r, 'kafka.group', /consumer group other\.ghes-agent/);
    assert.equal(r.status.get('kafka.topic'), 'PASS');
  });

  test("this clock 5 minutes off GHES's → clock.skew", async () => {
    const skewed = await startGhesSim({ version: '3.19.0', now: () => Date.now() - 5 * 60_000 });
    try {
      skewed.addToken('ghp_skewedclock00000000000000000000000000', { orgs: ['acme'] });
      const r = await check({
        auth: 'token',
        overrides: { github: { url: skewed.origin, caFile: '' } },
        files: { 'github-token': 'ghp_skewedclock00000000000000000000000000' },
      });
      assertFails(r, 'clock.skew', /this clock is 300 s ahead of GHES's/);
      assert.match(r.line('github.version'), /GHES 3\.19\.0: before 3\.21 the run a dispatch started is found by its run-name/);
    } finally {
      await skewed.close();
    }
  });

  test('--help, --version, and a configuration error (exit 2)', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((res) => {
        const p = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'agent/main.ts'), ...args], {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? '' },
        });
        let out = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        p.stderr.on('data', (c: Buffer) => (out += c.toString()));
        p.once('exit', (code) => res({ code, out }));
      });
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: ghes-agent \[run\]/);
    assert.match(help.out, /check +Check the configuration/);
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.out, /^ghes-agent \d+\.\d+\.\d+/);
    const bad = await run(['check', '--config', join(dir, 'missing.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /cannot read config file/);
  });
});
