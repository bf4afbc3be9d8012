// The Node version lives in one place (.nvmrc); the Dockerfile's base image, the image stand-in
// (docker/build-base.sh), the compat lines and package.json engines must agree with it. This
// fails when any of them drifts, and says which file to fix.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  COMPAT_VERSIONS,
  DOCKERFILE,
  NVMRC,
  type NodeVersionFiles,
  REPO_ROOT,
  checkNodeVersions,
  dockerfileBaseImage,
  parseCompatVersions,
  parseEnginesRange,
  satisfiesEngines,
} from '../node/versions.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A consistent set of files, to drift one at a time. */
const consistent = (): NodeVersionFiles => ({
  nvmrc: '24.18.0\n',
  compatVersions: '# older lines\n20.20.2\n22.23.5\n',
  packageJson: JSON.stringify({ engines: { node: '^20.20.2 || ^22.23.5 || ^24.18.0' } }),
  dockerfile: `# base\nARG NODE_IMAGE=docker.io/library/node:24.18.0-bookworm-slim@${DIGEST}\n\nFROM \${NODE_IMAGE} AS build\n`,
  standInPlan: 'node 24.18.0\nimage docker.io/library/node:24.18.0-bookworm-slim\n',
});

const realFiles = (): NodeVersionFiles => ({
  nvmrc: readFileSync(NVMRC, 'utf8'),
  compatVersions: readFileSync(COMPAT_VERSIONS, 'utf8'),
  packageJson: readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'),
  dockerfile: readFileSync(DOCKERFILE, 'utf8'),
  // The script itself, asked what it would build (no root, no buildah, nothing built).
  standInPlan: execFileSync('bash', [join(REPO_ROOT, 'docker/build-base.sh'), '--print-plan'], { encoding: 'utf8' }),
});

describe('Node versions of the repository', () => {
  it('.nvmrc, the Dockerfile base image, the image stand-in, the compat lines and engines agree', () => {
    assert.deepEqual(checkNodeVersions(realFiles()), []);
  });

  it('the base image is pinned by a real digest on one line (no placeholder)', () => {
    const base = dockerfileBaseImage(readFileSync(DOCKERFILE, 'utf8'));
    assert.match(base.digest, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(
      base.digest,
      'sha256:d8b3cb2c2c86f287b71e130056e736db1eb941ccb57b047f0eab8bcf1a01e08f',
      'the placeholder digest is back',
    );
    assert.equal(
      readFileSync(DOCKERFILE, 'utf8').match(/^FROM \$\{NODE_IMAGE\} AS /gm)?.length,
      3,
      'every stage builds FROM ${NODE_IMAGE}',
    );
  });

  it('a consistent set has no problems', () => {
    assert.deepEqual(checkNodeVersions(consistent()), []);
  });

  it('.nvmrc bumped alone: the Dockerfile tag and the stand-in are named', () => {
    const problems = checkNodeVersions({ ...consistent(), nvmrc: '24.19.0' });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /docker\/Dockerfile: the base image tag 24\.18\.0-bookworm-slim is not Node 24\.19\.0/);
    assert.match(problems[1]!, /docker\/build-base\.sh: the image stand-in is built with Node 24\.18\.0, not 24\.19\.0/);
  });

  it('the Dockerfile bumped alone (a bot moving tag and digest): .nvmrc is named', () => {
    const files = consistent();
    const problems = checkNodeVersions({
      ...files,
      dockerfile: files.dockerfile.replace('24.18.0', '24.19.0'),
      standInPlan: 'node 24.18.0\nimage docker.io/library/node:24.19.0-bookworm-slim',
    });
    assert.deepEqual(problems, [
      'docker/Dockerfile: the base image tag 24.19.0-bookworm-slim is not Node 24.18.0 (.nvmrc); bump the tag and its digest together with .nvmrc',
    ]);
  });

  it('the stand-in tagged with another name than the Dockerfile pulls', () => {
    const problems = checkNodeVersions({ ...consistent(), standInPlan: 'node 24.18.0\nimage docker.io/library/node:24-bookworm-slim' });
    assert.deepEqual(problems, [
      'docker/build-base.sh: the stand-in is tagged docker.io/library/node:24-bookworm-slim, not docker.io/library/node:24.18.0-bookworm-slim (docker/Dockerfile)',
    ]);
  });

  it('engines that no longer admit a tested version, or promise an untested line', () => {
    const tooHigh = checkNodeVersions({
      ...consistent(),
      packageJson: JSON.stringify({ engines: { node: '^20.20.2 || ^22.23.5 || ^24.19.0' } }),
    });
    assert.deepEqual(tooHigh, [
      'package.json engines.node "^20.20.2 || ^22.23.5 || ^24.19.0" does not admit 24.18.0, which the project tests (.nvmrc)',
    ]);
    const untested = checkNodeVersions({
      ...consistent(),
      packageJson: JSON.stringify({ engines: { node: '^18.20.0 || ^20.20.2 || ^22.23.5 || ^24.18.0' } }),
    });
    assert.deepEqual(untested, [
      'package.json engines.node "^18.20.0 || ^20.20.2 || ^22.23.5 || ^24.18.0" promises Node 18, which no test runs on (add it to test/node/compat-versions or drop it)',
    ]);
    const dropped = checkNodeVersions({ ...consistent(), compatVersions: '22.23.5\n' });
    assert.deepEqual(dropped, [
      'package.json engines.node "^20.20.2 || ^22.23.5 || ^24.18.0" promises Node 20, which no test runs on (add it to test/node/compat-versions or drop it)',
    ]);
    const open = checkNodeVersions({ ...consistent(), packageJson: JSON.stringify({ engines: { node: '>=20.18.1' } }) });
    assert.deepEqual(open, ['package.json engines.node: ">=20.18.1" is not a ^x.y.z range (one per supported Node line, joined by ||)']);
  });

  it('unreadable inputs are reported, not thrown', () => {
    const problems = checkNodeVersions({ ...consistent(), dockerfile: 'FROM node:24\n', compatVersions: '24.18.0\nlatest\n' });
    assert.deepEqual(problems, [
      'test/node/compat-versions: "latest" is not an exact Node version (x.y.z)',
      'docker/Dockerfile: expected one ARG NODE_IMAGE=<image>:<tag>@sha256:<digest> line, found 0',
    ]);
    assert.deepEqual(checkNodeVersions({ ...consistent(), dockerfile: 'ARG NODE_IMAGE=node:24.18.0-bookworm-slim\n' }), [
      'docker/Dockerfile: ARG NODE_IMAGE=node:24.18.0-bookworm-slim is not <image>:<tag>@sha256:<64 hex digits>',
    ]);
    assert.deepEqual(checkNodeVersions({ ...consistent(), nvmrc: 'lts/*' }), ['.nvmrc: "lts/*" is not an exact Node version (x.y.z)']);
    assert.deepEqual(checkNodeVersions({ ...consistent(), compatVersions: '24.1.0\n20.20.2\n22.23.5\n' }), [
      'test/node/compat-versions: 24.1.0 is not an older line than the shipped 24.18.0',
      'package.json engines.node "^20.20.2 || ^22.23.5 || ^24.18.0" does not admit 24.1.0, which the project tests (test/node/compat-versions)',
    ]);
  });
});

describe('engines ranges', () => {
  it('^x.y.z admits the same major from x.y.z on, nothing else', () => {
    const range = '^20.20.2 || ^22.23.5 || ^24.18.0';
    for (const v of ['20.20.2', '20.21.0', '22.23.5', '22.30.1', '24.18.0', '24.18.1', '24.20.0'])
      assert.equal(satisfiesEngines(v, range), true, v);
    for (const v of ['20.20.1', '20.18.1', '21.0.0', '22.12.0', '23.1.0', '24.17.9', '25.0.0', '26.1.0'])
      assert.equal(satisfiesEngines(v, range), false, v);
  });

  it('parses the project form and refuses the rest', () => {
    assert.deepEqual(parseEnginesRange('^20.20.2 ||^24.18.0'), [
      [20, 20, 2],
      [24, 18, 0],
    ]);
    for (const bad of ['>=20', '20.x', '^20', '~20.1.0', '^20.1.0 || *'])
      assert.throws(() => parseEnginesRange(bad), /is not a \^x\.y\.z range/, bad);
  });

  it('compat-versions: comments and blank lines ignored, v prefix accepted', () => {
    assert.deepEqual(parseCompatVersions('# a\n\n20.20.2  # the last 20\nv22.23.5\n'), ['20.20.2', '22.23.5']);
  });
});
