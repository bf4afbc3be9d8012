// Which Node the project ships, tests and promises, read from the files that say it:
//   .nvmrc                       the exact version of the image's base (the one place it is written)
//   docker/Dockerfile            ARG NODE_IMAGE=<name>:<that version>-bookworm-slim@sha256:<digest>
//   docker/build-base.sh         the local stand-in for that base: reads .nvmrc and the Dockerfile
//   test/node/compat-versions    the older lines `make test-compat` proves
//   package.json engines.node    what is supported and tested: one ^x.y.z range per tested line
// checkNodeVersions() lists every way these disagree; test/unit/node-versions.test.ts fails on any.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const NVMRC = join(REPO_ROOT, '.nvmrc');
export const COMPAT_VERSIONS = join(REPO_ROOT, 'test/node/compat-versions');
export const DOCKERFILE = join(REPO_ROOT, 'docker/Dockerfile');
/** Where test/node/fetch-node.sh keeps each fetched release: <dir>/<version>/bin/node. */
export const NODE_CACHE = join(REPO_ROOT, '.cache', 'node');

type Version = [major: number, minor: number, patch: number];

const EXACT = /^v?(\d+)\.(\d+)\.(\d+)$/;

function parseExact(text: string, where: string): Version {
  const m = EXACT.exec(text.trim());
  if (!m) throw new Error(`${where}: "${text.trim()}" is not an exact Node version (x.y.z)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The version the image ships, from the text of .nvmrc (one exact x.y.z, optional leading v). */
export function parseNvmrc(text: string): string {
  return parseExact(text, '.nvmrc').join('.');
}

/** test/node/compat-versions: one exact version a line, # comments and blank lines ignored. */
export function parseCompatVersions(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => parseExact(l, 'test/node/compat-versions').join('.'));
}

export const shippedNodeVersion = (): string => parseNvmrc(readFileSync(NVMRC, 'utf8'));
export const compatNodeVersions = (): string[] => parseCompatVersions(readFileSync(COMPAT_VERSIONS, 'utf8'));

export interface BaseImage {
  /** The whole reference, name:tag@digest. */
  ref: string;
  /** name:tag, without the digest. */
  name: string;
  tag: string;
  digest: string;
}

/** The base image of docker/Dockerfile: its one `ARG NODE_IMAGE=name:tag@sha256:…` line. */
export function dockerfileBaseImage(dockerfile: string): BaseImage {
  const lines = dockerfile.split('\n').filter((l) => /^ARG NODE_IMAGE=/.test(l));
  if (lines.length !== 1)
    throw new Error(`docker/Dockerfile: expected one ARG NODE_IMAGE=<image>:<tag>@sha256:<digest> line, found ${lines.length}`);
  const ref = lines[0]!.slice('ARG NODE_IMAGE='.length).trim();
  const m = /^([^@\s]+):([^:@\s]+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (!m) throw new Error(`docker/Dockerfile: ARG NODE_IMAGE=${ref} is not <image>:<tag>@sha256:<64 hex digits>`);
  return { ref, name: `${m[1]}:${m[2]}`, tag: m[2]!, digest: m[3]! };
}

/** engines.node as the project writes it: caret ranges joined by ||, e.g. "^20.20.2 || ^24.18.0". */
export function parseEnginesRange(range: string): Version[] {
  return range.split('||').map((part) => {
    const m = /^\^(\d+\.\d+\.\d+)$/.exec(part.trim());
    if (!m)
      throw new Error(`package.json engines.node: "${part.trim()}" is not a ^x.y.z range (one per supported Node line, joined by ||)`);
    return parseExact(m[1]!, 'package.json engines.node');
  });
}

/** semver's ^x.y.z for x ≥ 1: same major, at least x.y.z. */
export function satisfiesEngines(version: string, range: string): boolean {
  const v = parseExact(version, 'version');
  return parseEnginesRange(range).some((low) => low[0] === v[0] && compare(v, low) >= 0);
}

export interface NodeVersionFiles {
  nvmrc: string;
  compatVersions: string;
  packageJson: string;
  dockerfile: string;
  /** What docker/build-base.sh --print-plan prints: "node <version>" and "image <name:tag>" lines. */
  standInPlan: string;
}

/** Every disagreement between the files that name a Node version; empty when they agree. */
export function checkNodeVersions(files: NodeVersionFiles): string[] {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const shipped = attempt(() => parseNvmrc(files.nvmrc));
  const compat = attempt(() => parseCompatVersions(files.compatVersions));
  const engines = attempt(() => {
    const range = (JSON.parse(files.packageJson) as { engines?: { node?: unknown } }).engines?.node;
    if (typeof range !== 'string') throw new Error('package.json: engines.node is missing');
    parseEnginesRange(range);
    return range;
  });
  const base = attempt(() => dockerfileBaseImage(files.dockerfile));
  if (shipped === undefined) return problems;

  if (base && !base.tag.startsWith(`${shipped}-`)) {
    problems.push(
      `docker/Dockerfile: the base image tag ${base.tag} is not Node ${shipped} (.nvmrc); bump the tag and its digest together with .nvmrc`,
    );
  }
  const plan = Object.fromEntries(
    files.standInPlan
      .split('\n')
      .map((l) => l.trim().split(/\s+/, 2))
      .filter((kv) => kv.length === 2),
  );
  if (plan.node !== shipped)
    problems.push(`docker/build-base.sh: the image stand-in is built with Node ${plan.node ?? '(none)'}, not ${shipped} (.nvmrc)`);
  if (base && plan.image !== base.name)
    problems.push(`docker/build-base.sh: the stand-in is tagged ${plan.image ?? '(none)'}, not ${base.name} (docker/Dockerfile)`);

  const shippedMajor = Number(shipped.split('.')[0]);
  for (const v of compat ?? []) {
    if (Number(v.split('.')[0]) >= shippedMajor)
      problems.push(`test/node/compat-versions: ${v} is not an older line than the shipped ${shipped}`);
  }
  // Which lines engines may promise depends on the list of tested versions: unreadable, no verdict.
  if (engines !== undefined && compat !== undefined) {
    const tested = [shipped, ...compat];
    for (const v of tested) {
      if (!satisfiesEngines(v, engines))
        problems.push(
          `package.json engines.node "${engines}" does not admit ${v}, which the project tests (${v === shipped ? '.nvmrc' : 'test/node/compat-versions'})`,
        );
    }
    const testedMajors = new Set(tested.map((v) => Number(v.split('.')[0])));
    for (const [major] of parseEnginesRange(engines)) {
      if (!testedMajors.has(major))
        problems.push(
          `package.json engines.node "${engines}" promises Node ${major}, which no test runs on (add it to test/node/compat-versions or drop it)`,
        );
    }
  }
  return problems;
}

/** The first line `make test` prints: which Node runs the suites, and where it came from. */
export function describeRunningNode(execPath: string, version: string, shipped: string, fetchedFrom?: string): string {
  const where = fetchedFrom ? `${execPath}, ${fetchedFrom} fetched by test/node/fetch-node.sh` : execPath;
  const which =
    version === `v${shipped}`
      ? `the Node of the image's base (.nvmrc ${shipped})`
      : `NOT the Node of the image's base (.nvmrc ${shipped}; \`make test\` runs on that one)`;
  return `node ${version} runs the suites: ${where}; ${which}`;
}
