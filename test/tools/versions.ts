// The pinned test-tool versions (test/tools/versions.env, which the install scripts source and
// Renovate updates) and where the install scripts put each tool.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../..');
export const VERSIONS_FILE = join(here, 'versions.env');

export function toolVersions(text = readFileSync(VERSIONS_FILE, 'utf8')): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

const v = toolVersions();
/** Debian's build 2.42.0+ds-5+deb12u1 is unpacked under .cache/prometheus-2.42.0. */
export const PROMETHEUS_DIR = join(REPO_ROOT, '.cache', `prometheus-${v.PROMETHEUS_DEB_VERSION!.split('+')[0]}`, 'bin');
export const ACTIONLINT_BIN = join(REPO_ROOT, '.cache/go/bin/actionlint');
export const RENOVATE_SCHEMA = join(REPO_ROOT, '.cache', `renovate-schema-${v.RENOVATE_VERSION}.json`);
