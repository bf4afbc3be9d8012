// Issue 25, item 5: the agent's modules stand in floors, each importing only from its own floor
// or below, and no module reaches itself through its imports (a circle). Type-only imports count:
// a type that two parts share belongs on the floor beneath both (agent/types/), not in one of them.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../agent');

/**
 * The floors, lowest first (issue 25): the ground floor holds what every part may use (the error
 * type, the configuration, the types several parts share); then the utilities; then the two
 * outside systems' adapters (github/, port/); then the run's processing and its tracking; then
 * the intakes; the composition root and the command line on top.
 */
const FLOORS: Array<[number, RegExp]> = [
  [0, /^(errors\.ts|version\.ts|config\/|types\/)/],
  [1, /^(util\/|observability\/|policy\/)/],
  [2, /^(github\/|port\/)/],
  [3, /^(run\/|tracking\/|actions\/)/],
  [4, /^(kafka\/|claim\/|relay\/)/],
  [5, /^(main\.ts|start-intakes\.ts|cli\/)/], // the composition root and the intakes' start, which wires both intakes
];

/** Parts of one floor that must not know each other: GHES's side and Port's side meet only above them. */
const APART: Array<[RegExp, RegExp]> = [[/^github\//, /^port\//]];

function floorOf(file: string): number {
  const hit = FLOORS.find(([, re]) => re.test(file));
  if (!hit) throw new Error(`${file} stands on no floor: add its folder to FLOORS`);
  return hit[0];
}

/** Every .ts file under agent/, relative to it. */
function sources(dir = AGENT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [path.relative(AGENT, full)] : [];
  });
}

/** The agent's own modules a source imports (static, type-only and dynamic imports, and re-exports). */
function importsOf(file: string, text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g)) {
    const target = path.normalize(path.join(path.dirname(file), m[1]!)).replace(/\.js$/, '.ts');
    found.add(target);
  }
  return [...found];
}

function graphOf(files: Map<string, string>): Map<string, string[]> {
  return new Map([...files].map(([file, text]) => [file, importsOf(file, text)]));
}

/** Imports from a higher floor, and between parts kept apart. */
function forbiddenImports(graph: Map<string, string[]>): string[] {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (floorOf(target) > floorOf(file)) wrong.push(`${file} (floor ${floorOf(file)}) imports ${target} (floor ${floorOf(target)})`);
      for (const [a, b] of APART) {
        if ((a.test(file) && b.test(target)) || (b.test(file) && a.test(target)))
          wrong.push(`${file} imports ${target}: the two are kept apart`);
      }
    }
  }
  return wrong;
}

/** The circles of the import graph, each as the path that closes it (depth-first, three colours). */
function circles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

const agentGraph = () => graphOf(new Map(sources().map((f) => [f, readFileSync(path.join(AGENT, f), 'utf8')])));

describe('layers: who may import whom (issue 25)', () => {
  it('every import of the agent resolves to one of its files', () => {
    const graph = agentGraph();
    const missing = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => !graph.has(t)).map((t) => `${file} imports ${t}, which does not exist`),
    );
    assert.deepEqual(missing, []);
  });

  it('no module imports from a higher floor, and github/ and port/ never import each other', () => {
    assert.deepEqual(forbiddenImports(agentGraph()), []);
  });

  it('no circle anywhere', () => {
    assert.deepEqual(
      circles(agentGraph()).map((c) => c.join(' -> ')),
      [],
    );
  });

  it('the checks themselves see a circle, an upward import and a crossing between github/ and port/', () => {
    const graph = graphOf(
      new Map([
        ['port/a.ts', "import type { X } from './b.js';"],
        ['port/b.ts', "import { y } from './a.js';\nimport { z } from '../run/c.js';"],
        ['run/c.ts', "export const z = await import('../github/d.js');"],
        ['github/d.ts', "export { w } from '../port/a.js';"],
      ]),
    );
    assert.deepEqual(
      circles(graph).map((c) => c.join(' -> ')),
      ['port/a.ts -> port/b.ts -> port/a.ts', 'github/d.ts -> port/a.ts -> port/b.ts -> run/c.ts -> github/d.ts'],
    );
    assert.deepEqual(forbiddenImports(graph), [
      'port/b.ts (floor 2) imports run/c.ts (floor 3)',
      'github/d.ts imports port/a.ts: the two are kept apart',
    ]);
  });
});
