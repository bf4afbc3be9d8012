// Issue 25 ("Proof"): no function over 150 lines except flat declaration lists (the metrics
// registry, the config schema). Measured with the TypeScript compiler's own parser over every .ts
// file under agent/: each function-like node with a body (function declarations and expressions,
// arrow functions, methods, accessors, constructors), its span in lines from its first to its last line.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../agent');
const MAX_LINES = 150;

/**
 * The flat declaration lists issue 25 exempts: a list of metrics reads top to bottom, one entry at
 * a time, and splitting it would only scatter the list. Keyed by file and function. The config
 * schema (config/schema.ts `schemaTree`) is an object literal, not a function, so it is not measured.
 */
const EXEMPT = new Set(['observability/metrics.ts:createMetrics']);

interface Measured {
  file: string;
  name: string;
  lines: number;
}

/** Every .ts file under agent/, relative to it. */
function sources(dir = AGENT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [path.relative(AGENT, full)] : [];
  });
}

/** A readable name: the declared one, else the variable, property or method the function is bound to. */
function nameOf(node: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  if (node.name) return node.name.getText(sf);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(sf);
  }
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText(sf).slice(0, 40)}>`;
  return `<anonymous at line ${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}>`;
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isConstructorDeclaration(node)) &&
    node.body !== undefined
  );
}

/** Every function-like node with a body in one source text, with its line span. */
export function measureFunctions(file: string, text: string): Measured[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Measured[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionWithBody(node)) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ file, name: nameOf(node, sf), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function oversized(measured: Measured[]): Measured[] {
  return measured.filter((m) => m.lines > MAX_LINES && !EXEMPT.has(`${m.file}:${m.name}`));
}

describe('function size (issue 25: no function over 150 lines but the flat declaration lists)', () => {
  it('measures a function by its line span, arrow functions and methods included', () => {
    const body = Array.from({ length: 160 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = [
      `export function big() {\n${body}\n}`,
      `const arrow = () => {\n${body}\n};`,
      `class C {\n  method() {\n${body}\n  }\n}`,
      'export function small() {\n  return 1;\n}',
    ].join('\n');
    const measured = measureFunctions('x.ts', text);
    assert.deepEqual(
      oversized(measured).map((m) => [m.name, m.lines]),
      [
        ['big', 162],
        ['arrow', 162],
        ['method', 162],
      ],
    );
    assert.deepEqual(
      measured.filter((m) => m.name === 'small').map((m) => m.lines),
      [3],
    );
  });

  it('the exempt list names only functions that exist (a stale exemption would hide nothing but mislead)', () => {
    const all = sources().flatMap((file) => measureFunctions(file, readFileSync(path.join(AGENT, file), 'utf8')));
    const names = new Set(all.map((m) => `${m.file}:${m.name}`));
    for (const exempt of EXEMPT) assert.ok(names.has(exempt), `exempt ${exempt} is not a function under agent/`);
  });

  it('no function under agent/ spans more than 150 lines', () => {
    const all = sources().flatMap((file) => measureFunctions(file, readFileSync(path.join(AGENT, file), 'utf8')));
    const over = oversized(all).map((m) => `agent/${m.file}: ${m.name} spans ${m.lines} lines (at most ${MAX_LINES})`);
    assert.deepEqual(over, [], `functions over ${MAX_LINES} lines:\n${over.join('\n')}`);
  });
});
