import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

/** Helpers for test/chart: run the real helm binary and validate rendered objects offline. */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = join(repoRoot, 'charts/ghes-agent');
export const toolsDir = join(repoRoot, '.cache/tools');
export const helmBin = join(toolsDir, 'bin/helm');
/** Lint and render for a concrete cluster version: a plain helm build assumes an old one. */
export const kubeVersion = '1.31.0';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmResult {
  const r = spawnSync(helmBin, args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(toolsDir, 'helm-cache'),
      HELM_CONFIG_HOME: join(toolsDir, 'helm-config'),
      HELM_DATA_HOME: join(toolsDir, 'helm-data'),
    },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes each values object to a temp file (helm reads -f files) and runs `fn` with the paths. */
export function withValuesFiles<T>(values: object[], fn: (files: string[]) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ghes-agent-chart-'));
  try {
    const files = values.map((v, i) => {
      const f = join(dir, `values-${i}.yaml`);
      writeFileSync(f, stringify(v));
      return f;
    });
    return fn(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function template(valuesFiles: string[], extra: string[] = []): HelmResult {
  return helm([
    'template',
    'rel',
    chartDir,
    '--namespace',
    'agents',
    '--kube-version',
    kubeVersion,
    ...valuesFiles.flatMap((f) => ['-f', f]),
    ...extra,
  ]);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function render(valuesFiles: string[]): K8sObject[] {
  const r = template(valuesFiles);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return parseManifests(r.stdout);
}

export function findOne(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: object) => Model;

/**
 * Validates an object against the Kubernetes JSON schemas shipped by `kubernetes-models`
 * (and `@kubernetes-models/prometheus-operator` for the monitoring CRDs), loaded from
 * .cache/tools so the root node_modules stays the product's. Module layout there is
 * <group>/<version>/<Kind>.js, which is exactly what apiVersion + kind name.
 */
export async function validateObject(obj: K8sObject): Promise<void> {
  const pkg = obj.apiVersion.startsWith('monitoring.coreos.com/') ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  const modulePath = join(toolsDir, 'node_modules', pkg, obj.apiVersion, `${obj.kind}.js`);
  const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, ModelClass>;
  const Ctor = mod[obj.kind];
  if (!Ctor) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  new Ctor(obj).validate();
}
