// Rewrites the generated README sections (config-reference, metrics-reference) and
// config/agent.example.yaml from the code. Run after changing the schema or a metric:
//   node --import tsx test/docs/update-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { EXAMPLE_CONFIG, README, REPO_ROOT, expectedExampleConfig, expectedReadme } from './generated-docs.js';

// Read just before writing: other sections of the README are edited by hand.
const before = readFileSync(README, 'utf8');
const readme = await expectedReadme(before);
const example = expectedExampleConfig();
let exampleBefore = '';
try {
  exampleBefore = readFileSync(EXAMPLE_CONFIG, 'utf8');
} catch {
  // first run: the file does not exist yet
}
for (const [file, old, next] of [[README, before, readme], [EXAMPLE_CONFIG, exampleBefore, example]] as const) {
  if (old === next) {
    process.stdout.write(`${relative(REPO_ROOT, file)}: up to date\n`);
  } else {
    writeFileSync(file, next);
    process.stdout.write(`${relative(REPO_ROOT, file)}: updated\n`);
  }
}
