// The agent's pod as the chart renders it: its container, env and mounted files, and the
// configuration the agent would load from them. Shared by the chart and examples tests.
import assert from 'node:assert/strict';
import { loadConfig } from '../../agent/config/load.js';
import { findOne, type K8sObject } from './render.js';

export interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  envFrom?: object[];
  ports?: { name: string; containerPort: number }[];
  securityContext: Record<string, any>;
  livenessProbe: { httpGet: { path: string; port: string | number } };
  readinessProbe: { httpGet: { path: string; port: string | number } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface PodSpec {
  automountServiceAccountToken?: boolean;
  serviceAccountName: string;
  securityContext: Record<string, any>;
  containers: Container[];
  volumes: {
    name: string;
    secret?: { secretName: string; items?: { key: string; path: string }[] };
    configMap?: { name: string; items?: { key: string; path: string }[] };
    emptyDir?: object;
  }[];
}

export function pod(objects: K8sObject[]): { spec: PodSpec; annotations: Record<string, string> } {
  const d = findOne(objects, 'Deployment') as any;
  return { spec: d.spec.template.spec, annotations: d.spec.template.metadata.annotations ?? {} };
}
export function envOf(c: Container): Map<string, string | undefined> {
  return new Map((c.env ?? []).map((e) => [e.name, e.value]));
}
export function mountedFile(spec: PodSpec, c: Container, path: string): { volume: PodSpec['volumes'][number]; key: string } {
  for (const m of c.volumeMounts) {
    if (path.startsWith(m.mountPath + '/')) {
      const rest = path.slice(m.mountPath.length + 1);
      const volume = spec.volumes.find((v) => v.name === m.name);
      assert.ok(volume, `volume ${m.name} exists`);
      const items = volume.secret?.items ?? volume.configMap?.items;
      const item = items?.find((i) => i.path === rest);
      assert.ok(item, `${path} is an item of volume ${m.name}`);
      return { volume, key: item.key };
    }
  }
  assert.fail(`${path} is under no volume mount`);
}
/**
 * Feeds the rendered agent.yaml and the Deployment's GHES_AGENT_* env to the agent's own config
 * loader, with the mounted files faked: catches drift between chart values/env names and the
 * agent's convict schema (which rejects unknown keys and unknown GHES_AGENT_ variables).
 */
export function loadAsThePodWould(objects: K8sObject[]) {
  const { spec } = pod(objects);
  const c = spec.containers[0]!;
  const env = Object.fromEntries([...envOf(c)].filter(([k]) => k.startsWith('GHES_AGENT_')));
  const cm = objects.find((o) => o.kind === 'ConfigMap' && (o as any).data?.['agent.yaml']) as any;
  const files: Record<string, string> = { [env.GHES_AGENT_CONFIG!]: cm.data['agent.yaml'] };
  // Secret files hold what the chart-made Secret holds; with an existing Secret, a stand-in text.
  const secret = objects.find((o) => o.kind === 'Secret') as any;
  for (const [k, v] of Object.entries(env)) {
    if (!k.endsWith('_FILE')) continue;
    const { key } = mountedFile(spec, c, v!);
    const standIn = k.includes('PRIVATE_KEY')
      ? `-----BEGIN PRIVATE KEY-----\nsecret-from-${k}\n-----END PRIVATE KEY-----`
      : `secret-from-${k}`;
    files[v!] = secret ? Buffer.from(secret.data[key], 'base64').toString('utf8') : standIn;
  }
  return loadConfig({
    argv: [],
    env,
    readFile: (path) => {
      const f = files[path];
      if (f === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return f;
    },
  }).config;
}
