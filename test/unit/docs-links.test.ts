// The README is a front door (issue 25): at most 200 lines, the two commands first, and one link
// from it to every page of docs/ and to every section that left it. Every relative link and
// anchor of the project's Markdown resolves, so moving a section cannot strand a reader.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { README, REPO_ROOT } from '../docs/generated-docs.js';
import { anchors, headings, relativeLinks, slug } from '../docs/markdown-links.js';

const DOCS = join(REPO_ROOT, 'docs');
const docsPages = (): string[] =>
  readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(DOCS, f));
const read = (file: string): string => readFileSync(file, 'utf8');
/** The Markdown a reader of the project meets: README, docs/, the policies, the chart's READMEs. */
const MARKDOWN = (): string[] => [
  README,
  ...docsPages(),
  ...['CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', 'charts/ghes-agent/README.md', 'charts/ghes-agent/examples/README.md'].map((f) =>
    join(REPO_ROOT, f),
  ),
];

/** The files README.md links to, resolved. */
const readmeTargets = (): Set<string> => new Set(relativeLinks(read(README)).map((l) => resolve(REPO_ROOT, l.path)));

// The sections the README held before issue 25 moved them to docs/ (their headings, kept there).
const SECTIONS_THAT_LEFT = [
  'Workflows',
  'Why, not only what: failures, progress, approvals, cancellation',
  'Several GHES instances on one Port topic',
  'Which Port backend?',
  'Moving an action from the GitHub App backend to this agent',
  'Registering an installation, or executing for an existing one',
  "What the agent assumes about Port's routes",
  'If Port changes them',
  "Port's API: what the agent relies on",
  'Delivery guarantees',
  'The HTTPS intake (GitHub Ocean backend and workflow-node runs)',
  'Security',
  'Performance',
  'Install with Helm',
  'Monitoring',
  'Metrics',
  'Troubleshooting',
  'Releases',
  'Development',
];

describe('README.md, the front door', () => {
  it('has at most 200 lines', () => {
    const lines = read(README).trimEnd().split('\n').length;
    assert.ok(lines <= 200, `README.md has ${lines} lines; move whole sections to docs/ and link them`);
  });

  it('opens with the two commands: make demo, then make test', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(read(README))?.[1] ?? '';
    assert.deepEqual(
      firstBlock
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+#/)[0]!.trim()),
      ['make demo', 'make test'],
    );
  });

  it('links every page of docs/', () => {
    const targets = readmeTargets();
    const pages = docsPages();
    assert.ok(pages.length > 0, 'docs/ has no pages');
    for (const page of pages) assert.ok(targets.has(page), `README.md does not link ${relative(REPO_ROOT, page)}`);
  });

  it('reaches every section that left it in one link', () => {
    const reachable = [README, ...readmeTargets()].filter((f) => f.endsWith('.md') && existsSync(f));
    const found = new Set(reachable.flatMap((f) => headings(read(f))));
    for (const section of SECTIONS_THAT_LEFT) assert.ok(found.has(section), `no page README.md links has the section "${section}"`);
  });
});

describe('links of the project Markdown', () => {
  it('every relative link names a file that exists, and every anchor a heading of it', () => {
    const problems: string[] = [];
    for (const file of MARKDOWN()) {
      for (const link of relativeLinks(read(file))) {
        const target = link.path === '' ? file : resolve(dirname(file), link.path);
        const where = `${relative(REPO_ROOT, file)}:${link.line}`;
        if (!existsSync(target)) {
          problems.push(`${where}: ${link.path} does not exist`);
        } else if (link.anchor !== undefined && target.endsWith('.md') && !anchors(read(target)).has(link.anchor)) {
          problems.push(`${where}: ${relative(REPO_ROOT, target)} has no heading #${link.anchor}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('anchors are made as GitHub makes them', () => {
    assert.equal(slug("Port's API: what the agent relies on"), 'ports-api-what-the-agent-relies-on');
    assert.equal(slug('Which Port backend?'), 'which-port-backend');
    assert.equal(
      slug('The HTTPS intake (GitHub Ocean backend and workflow-node runs)'),
      'the-https-intake-github-ocean-backend-and-workflow-node-runs',
    );
    assert.equal(
      slug('Registering an installation, or executing for an existing one'),
      'registering-an-installation-or-executing-for-an-existing-one',
    );
    assert.equal(slug('`make bench` and [the docs](x.md)'), 'make-bench-and-the-docs');
    const seen = new Map<string, number>();
    assert.deepEqual([slug('Limits', seen), slug('Limits', seen)], ['limits', 'limits-1']);
  });

  it('headings and links inside code blocks are not read', () => {
    const md = '# Title\n\n```yaml\n# agent of ghes-a\n[x](missing.md)\n```\n\nSee [y](docs/a.md#b) and `[z](no.md)`.\n';
    assert.deepEqual(headings(md), ['Title']);
    assert.deepEqual(relativeLinks(md), [{ path: 'docs/a.md', anchor: 'b', line: 8 }]);
  });
});
