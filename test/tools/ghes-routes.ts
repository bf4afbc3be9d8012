// Computes agent/github/ghes-routes.ts's table from GitHub's own OpenAPI descriptions: for each
// route Port's GitHub Ocean executors use (or the agent needs to find what a first attempt made),
// the first GHES version whose description (@octokit/openapi generated/ghes-3.NN.json) has the
// operation, and whether api.github.com's description has it at all.
//   node --import tsx test/tools/ghes-routes.ts          prints the table as JSON
//   node --import tsx test/tools/ghes-routes.ts --check  exits 1 when the module disagrees
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GHES_ROUTES, type GhesRouteKey, type RouteAvailability } from '../../agent/github/ghes-routes.js';

const DIR = fileURLToPath(new URL('../../node_modules/@octokit/openapi/generated/', import.meta.url));

type Paths = Record<string, Record<string, unknown>>;

function pathsOf(file: string): Paths {
  return (JSON.parse(readFileSync(`${DIR}${file}`, 'utf8')) as { paths: Paths }).paths;
}

const has = (paths: Paths, key: string): boolean => {
  const sp = key.indexOf(' ');
  return paths[key.slice(sp + 1)]?.[key.slice(0, sp).toLowerCase()] !== undefined;
};

/** The GHES descriptions shipped, oldest first ('3.17', '3.18', …). */
export function ghesDescriptions(): string[] {
  return readdirSync(DIR)
    .map((f) => /^ghes-(\d+\.\d+)\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]) || Number(a.split('.')[0]) - Number(b.split('.')[0]));
}

/** Pure over the files: the availability of every route the module lists. */
export function computeRoutes(keys: readonly GhesRouteKey[] = Object.keys(GHES_ROUTES) as GhesRouteKey[]): Record<string, RouteAvailability> {
  const versions = ghesDescriptions();
  const ghes = versions.map((v) => [v, pathsOf(`ghes-${v}.json`)] as const);
  const dotcom = pathsOf('api.github.com.json');
  const out: Record<string, RouteAvailability> = {};
  for (const key of keys) {
    // A route in the oldest description is reported with that version: older GHES releases are
    // not shipped by @octokit/openapi, and the agent supports none older than it.
    const first = ghes.find(([, p]) => has(p, key))?.[0] ?? null;
    // A route that a version has and a later one dropped would need a range, not a first version.
    const firstIdx = ghes.findIndex(([, p]) => has(p, key));
    const gap = firstIdx >= 0 && ghes.slice(firstIdx).some(([, p]) => !has(p, key));
    if (gap) throw new Error(`${key} is missing from a GHES description after ${first}: the table cannot say it with one version`);
    out[key] = { firstGhes: first, dotcom: has(dotcom, key) };
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const computed = computeRoutes();
  if (process.argv.includes('--check')) {
    const wrong = Object.entries(computed).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(GHES_ROUTES[k as GhesRouteKey]));
    for (const [k, v] of wrong) console.error(`${k}: module says ${JSON.stringify(GHES_ROUTES[k as GhesRouteKey])}, OpenAPI says ${JSON.stringify(v)}`);
    process.exit(wrong.length === 0 ? 0 : 1);
  }
  console.log(`GHES descriptions: ${ghesDescriptions().join(', ')}`);
  console.log(JSON.stringify(computed, null, 2));
}
