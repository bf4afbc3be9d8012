// The chart with the HTTPS intake: values and schema for config.kafka.enabled and
// config.portApi, and the agent's own loader accepting what the chart renders for it.
// Run: node --import tsx --test test/chart/port-api.test.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../agent/config/load.js';
import { findOne, render, repoRoot, template, withValuesFiles } from './render.js';

const minValues = parseYaml(readFileSync(join(repoRoot, 'test/chart/values-min.yaml'), 'utf8')) as Record<string, any>;
const httpsOnly = {
  ...minValues,
  config: {
    ...minValues.config,
    kafka: { enabled: false },
    portApi: { enabled: true, installationId: 'my-ghes', integrationMode: 'existing', visibilityTimeoutMs: 60_000 },
  },
};

describe('chart: the HTTPS intake', () => {
  it('renders kafka.enabled and portApi into agent.yaml, which the agent loads (no Kafka settings needed)', () => {
    const objects = withValuesFiles([httpsOnly], (files) => render(files));
    const cm = findOne(objects, 'ConfigMap') as unknown as { data: Record<string, string> };
    const yaml = cm.data['agent.yaml']!;
    const config = loadConfig({
      argv: ['--config', '/c/agent.yaml'],
      env: { GHES_AGENT_PORT_CLIENT_SECRET: 'x', GHES_AGENT_GITHUB_PRIVATE_KEY: minValues.secrets.githubPrivateKey },
      readFile: (p) => {
        if (p === '/c/agent.yaml') return yaml;
        throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
      },
    }).config;
    assert.equal(config.kafka.enabled, false);
    assert.equal(config.portApi.enabled, true);
    assert.equal(config.portApi.installationId, 'my-ghes');
    assert.equal(config.portApi.integrationMode, 'existing');
    assert.equal(config.portApi.visibilityTimeoutMs, 60_000);
    assert.equal(config.portApi.routes.claimActionRuns, '/v1/actions/runs/claim-pending', 'defaults from the agent');
  });

  const refused: Array<[string, object, RegExp]> = [
    ['a visibility timeout Port does not accept', { portApi: { visibilityTimeoutMs: 5 } }, /visibilityTimeoutMs/],
    ['an unknown integration mode', { portApi: { integrationMode: 'adopt' } }, /integrationMode/],
    ['a claim batch over 1000', { portApi: { claimBatchSize: 5000 } }, /claimBatchSize/],
    ['a misspelt portApi key', { portApi: { installationID: 'x' } }, /installationID/],
    ['a route that is not a path', { portApi: { routes: { claimActionRuns: 'https://x' } } }, /claimActionRuns/],
    ['kafka.enabled as a string', { kafka: { enabled: 'maybe' } }, /enabled/],
  ];
  for (const [label, config, expected] of refused) {
    it(`refuses ${label}`, () => {
      const r = withValuesFiles([{ ...minValues, config: { ...minValues.config, ...config } }], (files) => template(files));
      assert.notEqual(r.status, 0, `rendered although it should not:\n${r.stdout.slice(0, 300)}`);
      assert.match(r.stderr, expected);
    });
  }
});
