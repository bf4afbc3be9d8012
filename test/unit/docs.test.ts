// The generated documentation cannot drift: the config reference (docs/configuration.md), the
// metrics reference (docs/monitoring.md) and config/agent.example.yaml must equal what the code
// generates now, and the example must load.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../agent/config/load.js';
import { leaves } from '../../agent/config/schema.js';
import { renderConfigReference, renderExampleYaml, replaceSection } from '../../agent/config/reference.js';
import {
  EXAMPLE_CONFIG,
  REPO_ROOT,
  UPDATE_COMMAND,
  expectedExampleConfig,
  expectedPages,
  generatedSections,
} from '../docs/generated-docs.js';

const STALE = `stale: run \`${UPDATE_COMMAND}\` and commit the result`;

describe('generated documentation', () => {
  it('the config and metrics references in docs/ are up to date', async () => {
    for (const page of await expectedPages()) assert.equal(page.current, page.expected, `${relative(REPO_ROOT, page.file)} ${STALE}`);
  });

  it('config/agent.example.yaml is up to date', () => {
    assert.equal(readFileSync(EXAMPLE_CONFIG, 'utf8'), expectedExampleConfig(), `config/agent.example.yaml ${STALE}`);
  });

  it('documents every config key and every metric', async () => {
    const sections = await generatedSections();
    const example = expectedExampleConfig();
    for (const [path] of leaves()) {
      assert.ok(sections['config-reference']!.includes(`| \`${path}\` |`), `${path} missing from the reference`);
      assert.ok(example.includes(`${path.split('.').at(-1)}:`), `${path} missing from the example`);
    }
    for (const name of ['ghes_agent_messages_total', 'ghes_agent_dispatches_total', 'ghes_agent_ready']) {
      assert.ok(sections['metrics-reference']!.includes(`\`${name}\``), `${name} missing from the metrics reference`);
    }
    assert.match(sections['metrics-reference']!, /\| `ghes_agent_dispatches_total` \| counter \| `outcome`, `reason`, `intake` \|/);
  });

  it('the example loads with loadConfig once the required values are given (env overrides the file)', () => {
    const { config } = loadConfig({
      argv: ['--config', 'agent.example.yaml'],
      env: {
        GHES_AGENT_PORT_ORG_ID: 'org_Example1',
        GHES_AGENT_PORT_CLIENT_ID: 'client-1',
        GHES_AGENT_PORT_CLIENT_SECRET: 'port-secret-value',
        GHES_AGENT_GITHUB_URL: 'https://github.example.com',
        GHES_AGENT_GITHUB_TOKEN: 'ghp_exampleToken0123',
      },
      readFile: (path) => {
        assert.equal(path, 'agent.example.yaml');
        return readFileSync(EXAMPLE_CONFIG, 'utf8');
      },
    });
    // Every default from the schema survives the round trip through the example file.
    assert.equal(config.kafka.topic, 'org_Example1.github.runs');
    assert.equal(config.kafka.groupId, 'org_Example1.ghes-agent');
    assert.equal(config.github.apiUrl, 'https://github.example.com/api/v3');
    assert.equal(config.port.apiUrl, 'https://api.port.io');
    assert.equal(config.server.port, 9090);
    assert.deepEqual(config.policy.allow, []);
  });

  it('the example without the required values is refused, naming them', () => {
    assert.throws(
      () => loadConfig({ argv: ['--config', 'x.yaml'], env: {}, readFile: () => renderExampleYaml() }),
      (err: Error) => /port\.orgId/.test(err.message) && /port\.clientId/.test(err.message),
    );
  });
});

describe('reference rendering', () => {
  it('escapes table-breaking characters and shows choices', () => {
    const table = renderConfigReference([['a.b', { doc: 'x | <y>', format: ['p', 'q'], default: 'p', sensitive: true }]]);
    assert.match(table, /\| `a\.b` \| `GHES_AGENT_A_B` \| `"p"` \| yes \| x \\\| &lt;y&gt; One of: `p`, `q`\. \|/);
  });

  it('replaceSection keeps the markers and everything outside them', () => {
    const doc = 'before\n<!-- s:start -->\nold\n<!-- s:end -->\nafter\n';
    assert.equal(replaceSection(doc, 's', 'new'), 'before\n<!-- s:start -->\nnew\n<!-- s:end -->\nafter\n');
    assert.throws(() => replaceSection(doc, 'missing', 'x'), /markers/);
  });
});
