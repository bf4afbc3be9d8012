// Every values example of the chart (charts/ghes-agent/examples/*.yaml) is installable: it
// passes helm lint --strict, renders, every object is valid against the Kubernetes schemas, and
// the agent's own configuration loader accepts what the pod would read. Examples that leave
// the secrets to --set-file are given test secrets here, as an operator gives real ones.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { envOf, loadAsThePodWould, mountedFile, pod } from './pod.js';
import { chartDir, findOne, helm, kubeVersion, render, validateObject, withValuesFiles, type K8sObject } from './render.js';

const examplesDir = join(chartDir, 'examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const TEST_KEY = '-----BEGIN PRIVATE KEY-----\nTEST-ONLY\n-----END PRIVATE KEY-----\n';

/** What an operator adds on the command line: the secrets, unless the example names an existing Secret. */
function installSecrets(values: Record<string, any>): object {
  if (values.secrets?.existingSecret) return {};
  return {
    secrets: {
      portClientSecret: 'test-secret',
      ...(values.secrets?.githubAuth === 'token' ? { githubToken: 'ghp_test' } : { githubPrivateKey: TEST_KEY }),
    },
  };
}

/** What each example is for, checked on its rendering. */
const PURPOSE: Record<string, (objects: K8sObject[]) => void> = {
  'github-app-existing-secret.yaml': (objects) => {
    assert.equal(
      objects.some((o) => o.kind === 'Secret'),
      false,
      'no chart-made Secret',
    );
    const { spec } = pod(objects);
    assert.equal(spec.volumes.find((v) => v.secret)?.secret?.secretName, 'ghes-agent-credentials');
    assert.ok(envOf(spec.containers[0]!).get('GHES_AGENT_GITHUB_PRIVATE_KEY_FILE'));
    assert.ok(objects.some((o) => o.kind === 'ServiceMonitor') && objects.some((o) => o.kind === 'PrometheusRule'));
  },
  'private-ca.yaml': (objects) => {
    const { spec } = pod(objects);
    const c = spec.containers[0]!;
    const { volume } = mountedFile(spec, c, envOf(c).get('NODE_EXTRA_CA_CERTS')!);
    const cm = findOne(objects, 'ConfigMap', volume.configMap!.name) as any;
    assert.match(cm.data['ca.crt'], /BEGIN CERTIFICATE/);
  },
  'proxy.yaml': (objects) => {
    const env = envOf(pod(objects).spec.containers[0]!);
    assert.equal(env.get('HTTPS_PROXY'), 'http://proxy.corp.example:3128');
    assert.match(env.get('NO_PROXY') ?? '', /ghes\.corp\.example/);
    const np = findOne(objects, 'NetworkPolicy') as any;
    assert.deepEqual(
      np.spec.egress[1].ports.map((p: { port: number }) => p.port),
      [3128, 443, 9196],
    );
  },
  'https-intake.yaml': (objects) => {
    const agentYaml = (objects.find((o) => o.kind === 'ConfigMap' && (o as any).data?.['agent.yaml']) as any).data['agent.yaml'] as string;
    const config = parseYaml(agentYaml) as { kafka: { enabled: boolean }; portApi: { enabled: boolean } };
    assert.equal(config.kafka.enabled, false);
    assert.equal(config.portApi.enabled, true);
    const env = envOf(pod(objects).spec.containers[0]!);
    assert.equal(env.has('GHES_AGENT_KAFKA_PASSWORD_FILE'), false, 'no Kafka secret');
    const np = findOne(objects, 'NetworkPolicy') as any;
    assert.deepEqual(
      np.spec.egress[1].ports.map((p: { port: number }) => p.port),
      [443],
      'no egress to the brokers',
    );
  },
  'relay.yaml': (objects) => {
    const { spec } = pod(objects);
    const c = spec.containers[0]!;
    assert.deepEqual(c.ports?.find((p) => p.name === 'relay')?.containerPort, 8443);
    const config = loadAsThePodWould(objects);
    assert.equal(config.relay.enabled, true);
    assert.equal(mountedFile(spec, c, config.relay.tlsCertFile).volume.secret?.secretName, 'ghes-agent-relay-tls');
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata.labels?.['app.kubernetes.io/component'] === 'relay') as any;
    assert.equal(svc.spec.type, 'LoadBalancer');
    assert.deepEqual(svc.spec.ports[0], { name: 'relay', port: 443, targetPort: 'relay', protocol: 'TCP', appProtocol: 'https' });
    const np = findOne(objects, 'NetworkPolicy') as any;
    assert.deepEqual(np.spec.ingress[1].ports, [{ port: 'relay', protocol: 'TCP' }]);
    assert.equal(np.spec.ingress[1].from.length, 2);
  },
  'token-auth.yaml': (objects) => {
    const env = envOf(pod(objects).spec.containers[0]!);
    assert.ok(env.get('GHES_AGENT_GITHUB_TOKEN_FILE'));
    assert.equal(env.has('GHES_AGENT_GITHUB_PRIVATE_KEY_FILE'), false);
  },
};

describe('chart values examples', () => {
  it('there are examples, each listed in examples/README.md and checked for its purpose', () => {
    assert.ok(examples.length >= 4);
    const readme = readFileSync(join(examplesDir, 'README.md'), 'utf8');
    for (const f of examples) {
      assert.ok(readme.includes(`(${f})`), `${f} is not listed in examples/README.md`);
      assert.ok(PURPOSE[f], `${f}: say what it is for in PURPOSE (test/chart/examples.test.ts)`);
    }
  });

  for (const file of examples) {
    describe(file, () => {
      const path = join(examplesDir, file);
      const values = parseYaml(readFileSync(path, 'utf8')) as Record<string, any>;
      const withSecrets = (fn: (files: string[]) => void) => withValuesFiles([installSecrets(values)], (extra) => fn([path, ...extra]));

      it('passes helm lint --strict', () => {
        withSecrets((files) => {
          const r = helm(['lint', '--strict', '--kube-version', kubeVersion, chartDir, ...files.flatMap((f) => ['-f', f])]);
          assert.equal(r.status, 0, r.stdout + r.stderr);
        });
      });

      it('renders objects valid against the Kubernetes schemas, which the agent can load, for its purpose', async () => {
        let objects: K8sObject[] = [];
        withSecrets((files) => (objects = render(files)));
        for (const o of objects) await validateObject(o);
        const config = loadAsThePodWould(objects);
        assert.equal(config.port.orgId, values.config.port.orgId);
        assert.equal(config.github.url, values.config.github.url);
        PURPOSE[file]?.(objects);
      });
    });
  }
});
