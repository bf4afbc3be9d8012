// The chart's side of the relay (issue 26, docs/relay.md): the listener's container port, its
// own Service, the optional Ingress, the certificate from a TLS Secret mounted where agent.yaml
// points, the NetworkPolicy rule that lets runners reach it, and the values the chart refuses.
// Everything with the real helm binary, every object validated against the Kubernetes schemas,
// and the agent's own configuration loader fed what the pod would read.
// Run: node --import tsx --test test/chart/relay.test.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { envOf, loadAsThePodWould, mountedFile, pod } from './pod.js';
import {
  chartDir,
  findOne,
  helm,
  kubeVersion,
  render,
  repoRoot,
  template,
  validateObject,
  withValuesFiles,
  type K8sObject,
} from './render.js';

const minValues = parseYaml(readFileSync(join(repoRoot, 'test/chart/values-min.yaml'), 'utf8')) as Record<string, any>;

/** minValues plus the relay on, with `config` merged into config.relay and `chart` as top-level values. */
function withRelay(relayConfig: Record<string, unknown> = {}, chart: Record<string, unknown> = {}): Record<string, any> {
  return {
    ...minValues,
    config: {
      ...minValues.config,
      relay: { enabled: true, policy: [{ repository: 'acme/payments', write: ['service'] }], ...relayConfig },
    },
    ...chart,
  };
}

const renderValues = (values: object[]): K8sObject[] => withValuesFiles(values, (f) => render(f));
const relayService = (objects: K8sObject[]) => {
  const found = objects.filter((o) => o.kind === 'Service' && o.metadata.labels?.['app.kubernetes.io/component'] === 'relay');
  assert.ok(found.length <= 1, 'at most one relay Service');
  return found[0] as any;
};

const tlsServed = withRelay(
  { port: 8600 },
  {
    relay: {
      tls: { secretName: 'relay-cert' },
      service: {
        type: 'LoadBalancer',
        port: 443,
        loadBalancerSourceRanges: ['10.20.0.0/16'],
        annotations: { 'example.com/internal': 'true' },
      },
    },
    networkPolicy: {
      enabled: true,
      relayFrom: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'arc-runners' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/component': 'runner' } },
        },
        { ipBlock: { cidr: '10.20.0.0/16' } },
      ],
    },
  },
);
const behindIngress = withRelay(
  {},
  {
    relay: {
      ingress: {
        enabled: true,
        className: 'nginx',
        host: 'ghes-agent-relay.example.internal',
        tls: [{ secretName: 'relay-ingress-tls', hosts: ['ghes-agent-relay.example.internal'] }],
      },
    },
    networkPolicy: { enabled: true },
  },
);

describe('chart: the relay only when config.relay.enabled', () => {
  it('off (the default) renders no relay port, Service, Ingress, volume nor NetworkPolicy rule; the same values with the relay on render them', () => {
    const chartSide = {
      relay: { tls: { secretName: 'relay-cert' }, ingress: { enabled: true, host: 'relay.example.internal' } },
      networkPolicy: { enabled: true },
    };
    const kinds = (objects: K8sObject[]) => ({
      ports: pod(objects).spec.containers[0]!.ports!.map((p) => p.name),
      relayService: relayService(objects) !== undefined,
      ingress: objects.some((o) => o.kind === 'Ingress'),
      tlsVolume: pod(objects).spec.volumes.some((v) => v.name === 'relay-tls'),
      networkPolicyRules: (findOne(objects, 'NetworkPolicy') as any).spec.ingress.length,
      agentRelay: loadAsThePodWould(objects).relay.enabled,
    });
    const off = renderValues([minValues, { networkPolicy: { enabled: true } }]);
    assert.deepEqual(kinds(off), {
      ports: ['metrics'],
      relayService: false,
      ingress: false,
      tlsVolume: false,
      networkPolicyRules: 1,
      agentRelay: false,
    });
    const on = renderValues([withRelay({}, chartSide)]);
    assert.deepEqual(kinds(on), {
      ports: ['metrics', 'relay'],
      relayService: true,
      ingress: true,
      tlsVolume: true,
      networkPolicyRules: 2,
      agentRelay: true,
    });
  });
});

describe('chart: the relay serving HTTPS from a TLS Secret, a LoadBalancer, runners allowed by NetworkPolicy', () => {
  const objects = renderValues([tlsServed]);
  const { spec } = pod(objects);
  const c = spec.containers[0]!;

  it('passes helm lint --strict, and every object is valid against the Kubernetes schemas', async () => {
    withValuesFiles([tlsServed], (files) => {
      const r = helm(['lint', '--strict', '--kube-version', kubeVersion, chartDir, ...files.flatMap((f) => ['-f', f])]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
    for (const o of objects) await validateObject(o);
  });

  it('opens the container port config.relay.port, named relay, beside the metrics port', () => {
    assert.deepEqual(c.ports, [
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      { name: 'relay', containerPort: 8600, protocol: 'TCP' },
    ]);
  });

  it('mounts the TLS Secret where agent.yaml points relay.tlsCertFile and tlsKeyFile, which the agent loads', () => {
    const config = loadAsThePodWould(objects);
    assert.equal(config.relay.enabled, true);
    assert.equal(config.relay.port, 8600);
    assert.equal(config.relay.oidcIssuer, 'https://ghes.example.com/_services/token', "GHES's issuer, derived by the agent");
    for (const [path, key] of [
      [config.relay.tlsCertFile, 'tls.crt'],
      [config.relay.tlsKeyFile, 'tls.key'],
    ] as const) {
      const mounted = mountedFile(spec, c, path);
      assert.equal(mounted.volume.secret?.secretName, 'relay-cert');
      assert.equal(mounted.key, key);
    }
    const mount = c.volumeMounts.find((m) => m.name === 'relay-tls');
    assert.equal(mount?.readOnly, true);
    // The helm test pod sees the same configuration and files (its env and mounts are the agent's).
    const check = findOne(objects, 'Pod') as any;
    assert.deepEqual(check.spec.volumes, spec.volumes);
    assert.deepEqual(check.spec.containers[0].volumeMounts, c.volumeMounts);
    // No certificate material in env: the agent reads files.
    assert.ok(![...envOf(c).keys()].some((k) => k.startsWith('GHES_AGENT_RELAY')));
  });

  it('rolls the pods when the relay configuration changes', () => {
    const other = renderValues([tlsServed, { config: { relay: { requestsPerRepoPerMinute: 60 } } }]);
    assert.notEqual(pod(other).annotations['checksum/config'], pod(objects).annotations['checksum/config']);
  });

  it('gives the relay its own Service (LoadBalancer, source ranges, annotations) aimed at the relay port, speaking https; the metrics Service is unchanged', () => {
    const svc = relayService(objects);
    assert.equal(svc.metadata.name, 'rel-ghes-agent-relay');
    assert.equal(svc.spec.type, 'LoadBalancer');
    assert.deepEqual(svc.spec.loadBalancerSourceRanges, ['10.20.0.0/16']);
    assert.equal(svc.metadata.annotations['example.com/internal'], 'true');
    assert.deepEqual(svc.spec.ports, [{ name: 'relay', port: 443, targetPort: 'relay', protocol: 'TCP', appProtocol: 'https' }]);
    const metrics = findOne(objects, 'Service', 'rel-ghes-agent') as any;
    assert.deepEqual(svc.spec.selector, metrics.spec.selector, 'selects the agent pods');
    assert.equal(metrics.spec.type, 'ClusterIP');
    assert.deepEqual(
      metrics.spec.ports.map((p: { name: string }) => p.name),
      ['metrics'],
    );
    // The helm test pod is not selected (it serves no relay).
    const check = findOne(objects, 'Pod') as any;
    assert.ok(Object.entries(svc.spec.selector as Record<string, string>).some(([k, v]) => check.metadata.labels[k] !== v));
  });

  it('lets exactly the runner peers reach the relay port; the metrics rule is unchanged', () => {
    const np = findOne(objects, 'NetworkPolicy') as any;
    assert.equal(np.spec.ingress.length, 2);
    assert.deepEqual(np.spec.ingress[0], { ports: [{ port: 'metrics', protocol: 'TCP' }] });
    assert.deepEqual(np.spec.ingress[1], { ports: [{ port: 'relay', protocol: 'TCP' }], from: tlsServed.networkPolicy.relayFrom });
  });

  it('the Service port defaults to config.relay.port', () => {
    const svc = relayService(
      renderValues([
        {
          ...tlsServed,
          relay: { tls: { secretName: 'relay-cert' }, service: { type: 'ClusterIP', loadBalancerSourceRanges: ['10.20.0.0/16'] } },
        },
      ]),
    );
    assert.equal(svc.spec.ports[0].port, 8600);
    assert.equal(svc.spec.loadBalancerSourceRanges, undefined, 'source ranges only on a LoadBalancer');
  });
});

describe('chart: the relay on plain HTTP behind a TLS-terminating Ingress', () => {
  const objects = renderValues([behindIngress]);

  it('renders an Ingress for the host, with its TLS, to the relay Service port; objects are valid', async () => {
    for (const o of objects) await validateObject(o);
    const ing = findOne(objects, 'Ingress') as any;
    assert.equal(ing.spec.ingressClassName, 'nginx');
    assert.deepEqual(ing.spec.tls, [{ secretName: 'relay-ingress-tls', hosts: ['ghes-agent-relay.example.internal'] }]);
    assert.deepEqual(ing.spec.rules, [
      {
        host: 'ghes-agent-relay.example.internal',
        http: {
          paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'rel-ghes-agent-relay', port: { name: 'relay' } } } }],
        },
      },
    ]);
    const svc = relayService(objects);
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.deepEqual(svc.spec.ports, [{ name: 'relay', port: 8443, targetPort: 'relay', protocol: 'TCP', appProtocol: 'http' }]);
  });

  it('mounts no certificate and the agent serves plain HTTP on its default port', () => {
    const { spec } = pod(objects);
    assert.equal(
      spec.volumes.some((v) => v.name === 'relay-tls'),
      false,
    );
    const config = loadAsThePodWould(objects);
    assert.equal(config.relay.tlsCertFile, '');
    assert.equal(config.relay.port, 8443);
    assert.deepEqual(
      spec.containers[0]!.ports!.find((p) => p.name === 'relay'),
      { name: 'relay', containerPort: 8443, protocol: 'TCP' },
    );
  });

  it('with relayFrom empty, the relay port is open to any peer (the Ingress controller among them)', () => {
    const np = findOne(objects, 'NetworkPolicy') as any;
    assert.deepEqual(np.spec.ingress[1], { ports: [{ port: 'relay', protocol: 'TCP' }] });
  });

  it('relay.allowPlainHttp: plain HTTP with neither certificate nor Ingress, when the operator says so', () => {
    const objects = renderValues([withRelay({}, { relay: { allowPlainHttp: true } })]);
    assert.equal(relayService(objects).spec.ports[0].appProtocol, 'http');
  });
});

describe('chart: relay values it refuses', () => {
  const cases: Array<[string, object[], RegExp]> = [
    ['plain HTTP end to end (no certificate, no Ingress TLS, no allowPlainHttp)', [withRelay()], /plain HTTP: set relay\.tls\.secretName/],
    [
      'an Ingress without TLS and no certificate',
      [withRelay({}, { relay: { ingress: { enabled: true, host: 'relay.example.internal' } } })],
      /plain HTTP/,
    ],
    [
      'an Ingress without a host',
      [withRelay({}, { relay: { tls: { secretName: 'c' }, ingress: { enabled: true } } })],
      /relay\.ingress\.host/,
    ],
    [
      'an Ingress host with a scheme',
      [withRelay({}, { relay: { tls: { secretName: 'c' }, ingress: { enabled: true, host: 'https://relay.example.internal' } } })],
      /relay\.ingress\.host: Does not match/,
    ],
    [
      'an Ingress while config.relay is off',
      [minValues, { relay: { ingress: { enabled: true, host: 'relay.example.internal', tls: [{ secretName: 'x' }] } } }],
      /need config\.relay\.enabled: true/,
    ],
    ['a TLS Secret while config.relay is off', [minValues, { relay: { tls: { secretName: 'c' } } }], /need config\.relay\.enabled: true/],
    [
      'a TLS Secret and config.relay.tlsCertFile both',
      [withRelay({ tlsCertFile: '/x/c.pem', tlsKeyFile: '/x/k.pem' }, { relay: { tls: { secretName: 'c' } } })],
      /give one/,
    ],
    [
      'the relay on the metrics port',
      [withRelay({ port: 9090 }, { relay: { allowPlainHttp: true } })],
      /must differ from config\.server\.port/,
    ],
    ['the relay on a loopback address', [withRelay({ host: '127.0.0.1' }, { relay: { allowPlainHttp: true } })], /loopback/],
    [
      'a misspelt config.relay key',
      [withRelay({ requestPerRepoPerMinute: 5 }, { relay: { allowPlainHttp: true } })],
      /requestPerRepoPerMinute/,
    ],
    [
      'a relay policy rule without its repository',
      [withRelay({ policy: [{ write: ['service'] }] }, { relay: { allowPlainHttp: true } })],
      /config\.relay\.policy\.0: repository is required/,
    ],
    [
      'a relay policy repository that is not owner/name',
      [withRelay({ policy: [{ repository: 'payments', write: ['service'] }] }, { relay: { allowPlainHttp: true } })],
      /config\.relay\.policy\.0\.repository/,
    ],
    [
      'an unknown key in a relay policy rule',
      [withRelay({ policy: [{ repository: 'acme/x', blueprints: ['service'] }] }, { relay: { allowPlainHttp: true } })],
      /blueprints/,
    ],
    [
      'a per-repository rate of 0',
      [withRelay({ requestsPerRepoPerMinute: 0 }, { relay: { allowPlainHttp: true } })],
      /config\.relay\.requestsPerRepoPerMinute/,
    ],
    ['a relay port out of range', [withRelay({ port: 70000 }, { relay: { allowPlainHttp: true } })], /config\.relay\.port/],
    ['a Service port out of range', [withRelay({}, { relay: { tls: { secretName: 'c' }, service: { port: 0 } } })], /relay\.service\.port/],
    [
      'a misspelt NetworkPolicy peer for the relay',
      [withRelay({}, { relay: { tls: { secretName: 'c' } }, networkPolicy: { enabled: true, relayFrom: [{ namespaceSelecter: {} }] } })],
      /namespaceSelecter/,
    ],
    [
      'an empty NetworkPolicy peer (it would match nothing useful)',
      [withRelay({}, { relay: { tls: { secretName: 'c' } }, networkPolicy: { enabled: true, relayFrom: [{}] } })],
      /networkPolicy\.relayFrom\.0/,
    ],
    [
      'a runner CIDR that is not one',
      [
        withRelay(
          {},
          { relay: { tls: { secretName: 'c' } }, networkPolicy: { enabled: true, relayFrom: [{ ipBlock: { cidr: 'runners' } }] } },
        ),
      ],
      /networkPolicy\.relayFrom\.0\.ipBlock\.cidr/,
    ],
    [
      'a LoadBalancer source range that is not a CIDR',
      [withRelay({}, { relay: { tls: { secretName: 'c' }, service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.1'] } } })],
      /relay\.service\.loadBalancerSourceRanges\.0/,
    ],
    ['an unknown key under relay', [withRelay({}, { relay: { tls: { secretName: 'c' }, servce: {} } })], /servce/],
  ];
  for (const [label, values, expected] of cases) {
    it(`refuses ${label}`, () => {
      const r = withValuesFiles(values, (files) => template(files));
      assert.notEqual(r.status, 0, `rendered although it should not:\n${r.stdout.slice(0, 300)}`);
      assert.match(r.stderr, expected);
    });
  }
});
