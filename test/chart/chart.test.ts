// Chart tests with the real helm CLI (install first: bash test/chart/install-tools.sh).
// Run: node --import tsx --test test/chart/chart.test.ts
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { envOf, loadAsThePodWould, mountedFile, pod } from './pod.js';
import {
  chartDir,
  findOne,
  helm,
  helmBin,
  kubeVersion,
  parseManifests,
  render,
  repoRoot,
  template,
  validateObject,
  withValuesFiles,
} from './render.js';

const valuesMin = join(repoRoot, 'test/chart/values-min.yaml');
const valuesAll = join(repoRoot, 'test/chart/values-all.yaml');
const minValues = parseYaml(readFileSync(valuesMin, 'utf8')) as Record<string, any>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

before(() => {
  assert.ok(existsSync(helmBin), `helm not found at ${helmBin}: run bash test/chart/install-tools.sh`);
});

describe('helm lint --strict', () => {
  for (const [label, files] of [
    ['minimal values', [valuesMin]],
    ['every feature on', [valuesAll]],
  ] as const) {
    it(`passes with ${label}`, () => {
      const r = helm(['lint', '--strict', '--kube-version', kubeVersion, chartDir, ...files.flatMap((f) => ['-f', f])]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
});

describe('rendered with the defaults plus the smallest required values', () => {
  const objects = render([valuesMin]);
  const { spec, annotations } = pod(objects);
  const c = spec.containers[0]!;

  it('renders exactly the default object set', () => {
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'Pod', 'Secret', 'Service', 'ServiceAccount']);
  });

  it("offers `ghes-agent check` as a helm test hook with exactly the agent's configuration, secrets and image", () => {
    const hook = findOne(objects, 'Pod') as any;
    assert.equal(hook.metadata.annotations['helm.sh/hook'], 'test');
    assert.equal(hook.spec.restartPolicy, 'Never');
    const t = hook.spec.containers[0];
    assert.deepEqual(t.command, ['node', 'dist/agent/main.js', 'check']);
    assert.equal(t.image, c.image);
    assert.deepEqual(t.env, c.env);
    assert.deepEqual(t.volumeMounts, c.volumeMounts);
    assert.deepEqual(hook.spec.volumes, spec.volumes);
    assert.deepEqual(t.securityContext, c.securityContext);
    assert.equal(hook.spec.automountServiceAccountToken, false);
    // The Service must not send scrapes to the check pod.
    const selector = (findOne(objects, 'Service') as any).spec.selector as Record<string, string>;
    assert.ok(
      Object.entries(selector).some(([k, v]) => hook.metadata.labels[k] !== v),
      'the Service selects the check pod',
    );
    const off = withValuesFiles([minValues, { helmTest: { enabled: false } }], (f) => render(f));
    assert.equal(
      off.some((o) => o.kind === 'Pod'),
      false,
    );
  });

  it('every object is valid against the Kubernetes schemas', async () => {
    for (const o of objects) await validateObject(o);
  });

  it('hardens pod and container security contexts', () => {
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.equal(spec.securityContext.runAsUser, 10001);
    assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.privileged, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    // The read-only root needs a writable /tmp.
    const tmp = c.volumeMounts.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp && spec.volumes.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
  });

  it('bounds the V8 heap exactly as the image does, and follows nodeHeap', () => {
    const dockerfile = readFileSync(join(repoRoot, 'docker/Dockerfile'), 'utf8');
    const imageOptions = /NODE_OPTIONS="([^"]+)"/.exec(dockerfile)?.[1];
    assert.ok(imageOptions, 'the Dockerfile sets NODE_OPTIONS');
    assert.equal(envOf(c).get('NODE_OPTIONS'), imageOptions);
    const bigger = withValuesFiles([minValues, { nodeHeap: { maxOldSpaceMb: 256, maxSemiSpaceMb: 4 } }], (f) => pod(render(f)));
    assert.equal(
      envOf(bigger.spec.containers[0]!).get('NODE_OPTIONS'),
      '--enable-source-maps --max-old-space-size=256 --max-semi-space-size=4',
    );
  });

  it('never mounts a service account token', () => {
    assert.equal(spec.automountServiceAccountToken, false);
    const sa = findOne(objects, 'ServiceAccount') as any;
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(spec.serviceAccountName, sa.metadata.name);
  });

  it('renders config to agent.yaml, mounted where GHES_AGENT_CONFIG points, with a matching checksum', () => {
    const cm = findOne(objects, 'ConfigMap') as any;
    const text: string = cm.data['agent.yaml'];
    assert.deepEqual(parseYaml(text), {
      ...parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')).config,
      ...minValues.config,
      port: { ...minValues.config.port, region: 'eu' },
      github: minValues.config.github,
    });
    assert.equal(annotations['checksum/config'], sha256(text.replace(/\n$/, '')));
    const path = envOf(c).get('GHES_AGENT_CONFIG');
    assert.equal(path, '/etc/ghes-agent/config/agent.yaml');
    const mount = c.volumeMounts.find((m) => m.mountPath === '/etc/ghes-agent/config');
    assert.equal(spec.volumes.find((v) => v.name === mount?.name)?.configMap?.name, cm.metadata.name);
  });

  it('changes the checksum when the config changes', () => {
    const other = withValuesFiles([{ config: { log: { level: 'debug' } } }], (f) => pod(render([valuesMin, ...f])));
    assert.notEqual(other.annotations['checksum/config'], annotations['checksum/config']);
  });

  it('mounts the secrets as files the agent is pointed at, and keeps them out of env and ConfigMap', () => {
    const secret = findOne(objects, 'Secret') as any;
    const env = envOf(c);
    const expected: [string, string][] = [
      ['GHES_AGENT_PORT_CLIENT_SECRET_FILE', minValues.secrets.portClientSecret],
      ['GHES_AGENT_GITHUB_PRIVATE_KEY_FILE', minValues.secrets.githubPrivateKey],
    ];
    for (const [name, value] of expected) {
      const path = env.get(name);
      assert.ok(path?.startsWith('/etc/ghes-agent/secrets/'), `${name}=${path}`);
      const { volume, key } = mountedFile(spec, c, path!);
      assert.equal(volume.secret?.secretName, secret.metadata.name);
      assert.equal(Buffer.from(secret.data[key], 'base64').toString('utf8'), value);
    }
    assert.equal(env.has('GHES_AGENT_GITHUB_TOKEN_FILE'), false);
    assert.equal(env.has('GHES_AGENT_KAFKA_PASSWORD_FILE'), false);
    const everythingButSecret = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
    assert.ok(!everythingButSecret.includes(minValues.secrets.portClientSecret), 'client secret leaks outside the Secret');
    assert.ok(!everythingButSecret.includes('TEST-ONLY-NOT-A-REAL-KEY'), 'private key leaks outside the Secret');
  });

  it('probes /livez and /readyz on the named metrics port, exposed by the Service', () => {
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/livez', port: 'metrics' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
    const svc = findOne(objects, 'Service') as any;
    assert.deepEqual(svc.spec.ports, [{ name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }]);
  });

  it('uses the appVersion as the image tag', () => {
    const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
    assert.equal(c.image, `ghcr.io/ghes-agent/ghes-agent:${chart.appVersion}`);
  });
});

describe('rendered with every optional feature on', () => {
  const objects = render([valuesAll]);
  const all = parseYaml(readFileSync(valuesAll, 'utf8')) as Record<string, any>;
  const { spec, annotations } = pod(objects);
  const c = spec.containers[0]!;
  const env = envOf(c);

  it('renders every optional object, and no Secret (existingSecret)', () => {
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'ConfigMap',
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
  });

  it('every object is valid against the Kubernetes schemas (CRDs included)', async () => {
    for (const o of objects) await validateObject(o);
  });

  it('monitoring CRDs have the structure the operator needs', () => {
    const sm = findOne(objects, 'ServiceMonitor') as any;
    assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(sm.metadata.labels.release, 'prometheus');
    assert.deepEqual(sm.spec.selector.matchLabels, (findOne(objects, 'Service') as any).spec.selector);
    assert.equal(sm.spec.endpoints[0].port, 'metrics');
    assert.equal(sm.spec.endpoints[0].path, '/metrics');
    const pr = findOne(objects, 'PrometheusRule') as any;
    const rules: { alert?: string; record?: string; expr: string; for?: string }[] = pr.spec.groups.flatMap((g: any) => g.rules);
    for (const r of rules) {
      assert.ok((r.alert || r.record) && typeof r.expr === 'string' && r.expr.trim().length > 0, JSON.stringify(r));
      if (r.for !== undefined) assert.match(r.for, /^([0-9]+(ms|s|m|h|d|w|y))+$/);
    }
    const names = rules.map((r) => r.alert);
    for (const a of [
      'GhesAgentConsumerDown',
      'GhesAgentDispatchFailures',
      'GhesAgentRunsStuck',
      'GhesAgentRunsTimingOut',
      'GhesAgentGitHubApiFailing',
      'GhesAgentGitHubRateLimitLow',
      'GhesAgentPortApiFailing',
      'GhesAgentCustom',
    ]) {
      assert.ok(names.includes(a), `alert ${a}`);
    }
  });

  it('uses the existing Secret with the configured key names, token auth and the Kafka password', () => {
    const secretsVolume = spec.volumes.find((v) => v.secret)!;
    assert.equal(secretsVolume.secret!.secretName, 'ghes-agent-creds');
    assert.equal(mountedFile(spec, c, env.get('GHES_AGENT_PORT_CLIENT_SECRET_FILE')!).key, 'port-secret');
    assert.equal(mountedFile(spec, c, env.get('GHES_AGENT_GITHUB_TOKEN_FILE')!).key, 'gh-token');
    assert.equal(mountedFile(spec, c, env.get('GHES_AGENT_KAFKA_PASSWORD_FILE')!).key, 'kafka-pw');
    assert.equal(env.has('GHES_AGENT_GITHUB_PRIVATE_KEY_FILE'), false);
    assert.equal(annotations['checksum/secret'], undefined);
  });

  it('mounts the CA bundle and points NODE_EXTRA_CA_CERTS at it', () => {
    const { volume, key } = mountedFile(spec, c, env.get('NODE_EXTRA_CA_CERTS')!);
    assert.equal(key, 'corp-ca.pem');
    const caMap = findOne(objects, 'ConfigMap', volume.configMap!.name) as any;
    assert.equal(caMap.data['corp-ca.pem'].trim(), all.caBundle.pem.trim());
    assert.ok(annotations['checksum/ca']);
  });

  it('passes proxy, extra env, envFrom and extra volumes through', () => {
    assert.equal(env.get('HTTPS_PROXY'), all.proxy.httpsProxy);
    assert.equal(env.get('no_proxy'), all.proxy.noProxy);
    assert.equal(env.get('EXTRA_FLAG'), '1');
    assert.deepEqual(c.envFrom, all.extraEnvFrom);
    assert.ok(c.volumeMounts.some((m) => m.mountPath === '/scratch'));
    assert.ok(spec.volumes.some((v) => v.name === 'scratch'));
  });

  it('follows config.server.port for the container, the Service and the probes', () => {
    assert.equal(c.ports![0]!.containerPort, 9191);
    assert.equal((findOne(objects, 'Service') as any).spec.ports[0].port, 9191);
  });

  it('pins the image by digest and sets scheduling knobs', () => {
    assert.equal(c.image, `registry.example.com/platform/ghes-agent:0.1.0@${all.image.digest}`);
    const d = findOne(objects, 'Deployment') as any;
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.template.spec.tolerations, all.tolerations);
    assert.deepEqual(d.spec.template.spec.topologySpreadConstraints, all.topologySpreadConstraints);
    assert.equal(d.spec.template.spec.priorityClassName, 'high-priority');
  });

  it('limits ingress to the metrics port and the Grafana dashboard is valid JSON in its namespace', () => {
    const np = findOne(objects, 'NetworkPolicy') as any;
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    // The policy applies to the agent and to its helm test pod: the check sees the agent's network.
    for (const kind of ['Deployment', 'Pod']) {
      const o = findOne(objects, kind) as any;
      const labels = kind === 'Pod' ? o.metadata.labels : o.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) assert.equal(labels[k], v, `${kind} label ${k}`);
    }
    assert.deepEqual(np.spec.ingress[0].ports, [{ port: 'metrics', protocol: 'TCP' }]);
    const dash = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')) as any;
    assert.equal(dash.metadata.namespace, 'monitoring');
    assert.equal(dash.metadata.labels.grafana_dashboard, '1');
    const json = JSON.parse(dash.data['ghes-agent.json']);
    assert.ok(json.panels.length >= 10);
  });
});

describe("the agent's own config loader accepts what the chart renders", () => {
  it('with the smallest values (GitHub App)', () => {
    const config = loadAsThePodWould(render([valuesMin]));
    assert.equal(config.port.orgId, minValues.config.port.orgId);
    assert.equal(config.port.clientSecret, minValues.secrets.portClientSecret);
    assert.equal(config.github.privateKey, minValues.secrets.githubPrivateKey.trim());
  });
  it('with every feature on (token, Kafka credentials)', () => {
    const config = loadAsThePodWould(render([valuesAll]));
    assert.equal(config.github.token, 'secret-from-GHES_AGENT_GITHUB_TOKEN_FILE');
    assert.equal(config.kafka.password, 'secret-from-GHES_AGENT_KAFKA_PASSWORD_FILE');
    assert.equal(config.server.port, 9191);
  });
});

describe('values.schema.json refuses bad values', () => {
  const cases: [string, object[], RegExp][] = [
    ['the bare defaults (no config, no secrets)', [], /orgId|portClientSecret|url/],
    ['an unknown top-level key', [minValues, { replicas: 2 }], /Additional property replicas is not allowed/],
    ['a wrong type', [minValues, { replicaCount: 'three' }], /replicaCount/],
    ['an unknown config section', [minValues, { config: { kafak: {} } }], /kafak/],
    ['token auth without a token', [minValues, { secrets: { githubAuth: 'token' } }], /githubToken/],
    ['a GitHub App without its private key', [{ config: minValues.config, secrets: { portClientSecret: 'x' } }], /githubPrivateKey/],
    [
      'a GitHub App without config.github.appId',
      [{ ...minValues, config: { ...minValues.config, github: { url: minValues.config.github.url } } }],
      /appId is required/,
    ],
    ['Kafka credentials without the password', [minValues, { secrets: { kafkaCredentials: true } }], /kafkaPassword/],
    ['an existing Secret plus inline secrets', [minValues, { secrets: { existingSecret: 'creds' } }], /portClientSecret|githubPrivateKey/],
    ['a secret inside config', [minValues, { config: { port: { clientSecret: 'oops' } } }], /config\.port\.clientSecret/],
    ['a GitHub token inside config', [minValues, { config: { github: { token: 'oops' } } }], /config\.github\.token/],
    ['a numeric GitHub App id (the agent wants a string)', [minValues, { config: { github: { appId: 12345 } } }], /appId/],
    ['a malformed image digest', [minValues, { image: { digest: 'latest' } }], /digest/],
    ['an unknown githubAuth', [minValues, { secrets: { githubAuth: 'oauth' } }], /githubAuth/],
    ['a heap too small to run the agent', [minValues, { nodeHeap: { maxOldSpaceMb: 32 } }], /maxOldSpaceMb/],
    ['a heap size given as a string', [minValues, { nodeHeap: { maxOldSpaceMb: '160Mi' } }], /maxOldSpaceMb/],
  ];
  for (const [label, values, expected] of cases) {
    it(`refuses ${label}`, () => {
      const r = withValuesFiles(values, (files) => template(files));
      assert.notEqual(r.status, 0, `rendered although it should not:\n${r.stdout.slice(0, 300)}`);
      assert.match(r.stderr, /values don't meet the specifications of the schema|is required/);
      assert.match(r.stderr, expected);
    });
  }

  it('accepts an existing Secret with no inline secrets', () => {
    const { githubPrivateKey: _k, portClientSecret: _p, ...rest } = minValues.secrets;
    const objects = withValuesFiles([{ config: minValues.config, secrets: { ...rest, existingSecret: 'creds' } }], (f) => render(f));
    assert.equal(
      objects.some((o) => o.kind === 'Secret'),
      false,
    );
    assert.equal(pod(objects).spec.volumes.find((v) => v.secret)?.secret?.secretName, 'creds');
  });
});

// Metric names of the alerts and the dashboard: test/chart/prometheus-rules.test.ts.

// parseManifests is exported for other suites; referenced here so a refactor keeps it working.
void parseManifests;
