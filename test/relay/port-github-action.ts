// Runs port-labs/port-github-action's own built code (test/port-github-action-v1.7.10/index.js)
// the way GitHub's runner runs a JavaScript action: `node <main>` with every input as an
// INPUT_<NAME> environment variable (name upper-cased, spaces as underscores; @actions/core
// getInput), the defaults of action.yml filled in for inputs the step does not give (the runner
// does this), and GITHUB_OUTPUT naming the file the action's outputs are appended to.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ACTION_DIR = resolve(fileURLToPath(new URL('../port-github-action-v1.7.10', import.meta.url)));

export interface ActionResult {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
}

const defaults = (): Record<string, string> => {
  const spec = parse(readFileSync(join(ACTION_DIR, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };
  return Object.fromEntries(Object.entries(spec.inputs).flatMap(([k, v]) => (v.default === undefined ? [] : [[k, String(v.default)]])));
};

/** GitHub's file command format: `name<<DELIMITER\nvalue\nDELIMITER` per output (@actions/core prepareKeyValueMessage). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[3]!;
  return out;
}

export function runPortGithubAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<ActionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'port-github-action-'));
  const outputFile = join(dir, 'output');
  writeFileSync(outputFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_OUTPUT: outputFile,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    ...extraEnv,
  };
  for (const [k, v] of Object.entries({ ...defaults(), ...inputs })) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [join(ACTION_DIR, 'index.js')], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolvePromise({ code, stdout: stdout + stderr, outputs: parseOutputs(readFileSync(outputFile, 'utf8')) });
    });
  });
}
