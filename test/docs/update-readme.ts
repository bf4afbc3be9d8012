// Rewrites the generated documentation (docs/configuration.md's config reference,
// docs/monitoring.md's metrics reference) and config/agent.example.yaml from the code. Run after
// changing the schema or a metric:
//   node --import tsx test/docs/update-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { EXAMPLE_CONFIG, REPO_ROOT, expectedExampleConfig, expectedPages } from './generated-docs.js';

// Read just before writing: other sections of these pages are edited by hand.
const pages = await expectedPages();
let exampleBefore = '';
try {
  exampleBefore = readFileSync(EXAMPLE_CONFIG, 'utf8');
} catch {
  // first run: the file does not exist yet
}
const files = [
  ...pages.map((p) => [p.file, p.current, p.expected] as const),
  [EXAMPLE_CONFIG, exampleBefore, expectedExampleConfig()] as const,
];
for (const [file, old, next] of files) {
  if (old === next) {
    process.stdout.write(`${relative(REPO_ROOT, file)}: up to date\n`);
  } else {
    writeFileSync(file, next);
    process.stdout.write(`${relative(REPO_ROOT, file)}: updated\n`);
  }
}
