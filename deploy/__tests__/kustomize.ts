/**
 * Builds a kustomization the way `kustomize build --load-restrictor
 * LoadRestrictionsNone` does, for the features deploy/k8s uses and no more:
 * resources (files and kustomization folders), namespace, configMapGenerator
 * (files and literals; an overlay's `behavior: merge`; the content-hash name
 * suffix and the references to it), JSON 6902 patches selected by kind and
 * name, and images. Anything else in a kustomization.yaml is refused, so a
 * feature added to the manifests without being added here fails loudly.
 *
 * The test compares its output with `kubectl kustomize` when kubectl is
 * installed, and runs on it alone where no kustomize can run.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  configMapGenerator?: { name: string; behavior?: 'create' | 'merge' | 'replace'; files?: string[]; literals?: string[] }[];
  patches?: { target: { kind?: string; name?: string }; patch: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'configMapGenerator', 'patches', 'images']);

/** A generated ConfigMap still carries its plain name here; the hash suffix is added last, once its data is final. */
interface Built {
  objects: K8sObject[];
  generated: Set<K8sObject>;
}

export function kustomizeBuild(dir: string): K8sObject[] {
  const { objects, generated } = build(resolve(dir));
  // Names with the hash of their content, and every reference to them.
  const renamed = new Map<string, string>();
  for (const configMap of generated) {
    const hashed = `${configMap.metadata.name}-${configMapHash(configMap)}`;
    renamed.set(configMap.metadata.name, hashed);
    configMap.metadata.name = hashed;
  }
  for (const object of objects) if (object.kind === 'Deployment') renameConfigMapReferences(object, renamed);
  return objects;
}

function build(dir: string): Built {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) throw new Error(`${dir}/kustomization.yaml uses ${unsupported.join(', ')}, which deploy/__tests__/kustomize.ts does not build`);

  const objects: K8sObject[] = [];
  const generated = new Set<K8sObject>();
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) {
      const inner = build(path);
      objects.push(...inner.objects);
      inner.generated.forEach((object) => generated.add(object));
    } else {
      objects.push(...parseAllDocuments(readFileSync(path, 'utf8')).map((document) => document.toJS() as K8sObject).filter(Boolean));
    }
  }

  for (const generator of kustomization.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const file of generator.files ?? []) {
      const [key, source] = file.includes('=') ? file.split('=') : [file.split('/').pop()!, file];
      data[key!] = readFileSync(join(dir, source!), 'utf8');
    }
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf('=');
      data[literal.slice(0, at)] = literal.slice(at + 1).replace(/^(["'])(.*)\1$/, '$2');
    }
    const existing = [...generated].find((object) => object.metadata.name === generator.name);
    if (generator.behavior === 'merge' || generator.behavior === 'replace') {
      if (!existing) throw new Error(`configMapGenerator ${generator.name} has behavior ${generator.behavior} but no base generates it`);
      existing['data'] = generator.behavior === 'merge' ? { ...(existing['data'] as Record<string, string>), ...data } : data;
      continue;
    }
    const configMap: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data };
    objects.push(configMap);
    generated.add(configMap);
  }

  for (const { target, patch } of kustomization.patches ?? []) {
    const operations = parse(patch) as JsonPatchOperation[];
    if (!Array.isArray(operations)) throw new Error(`${dir}: only JSON 6902 patches (a list of operations) are built here`);
    const targets = objects.filter((object) => (!target.kind || object.kind === target.kind) && (!target.name || object.metadata.name === target.name));
    for (const object of targets) operations.forEach((operation) => applyJsonPatch(object, operation));
  }

  for (const image of kustomization.images ?? []) {
    for (const container of objects.flatMap(containersOf)) {
      const [name, tag] = container.image.split(':');
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}${image.newTag ?? tag ? `:${image.newTag ?? tag}` : ''}`;
    }
  }

  if (kustomization.namespace) for (const object of objects) object.metadata.namespace = kustomization.namespace;
  return { objects, generated };
}

function containersOf(object: K8sObject): { name: string; image: string; [field: string]: unknown }[] {
  const spec = object['spec'] as { template?: { spec?: { containers?: { name: string; image: string }[] } } } | undefined;
  return spec?.template?.spec?.containers ?? [];
}

interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

function applyJsonPatch(object: K8sObject, { op, path, value }: JsonPatchOperation): void {
  const keys = path.split('/').slice(1).map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop()!;
  let parent: Record<string, unknown> = object;
  for (const key of keys) {
    const next = parent[key];
    if (next === undefined || next === null || typeof next !== 'object') throw new Error(`patch ${op} ${path}: ${object.kind}/${object.metadata.name} has nothing at /${key}`);
    parent = next as Record<string, unknown>;
  }
  if (op !== 'add' && !(last in parent)) throw new Error(`patch ${op} ${path}: ${object.kind}/${object.metadata.name} has no such field`);
  if (op === 'remove') delete parent[last];
  else parent[last] = structuredClone(value);
}

/**
 * kustomize's name suffix for a ConfigMap: sha256 of the JSON Go's encoding/json
 * writes for {data, kind, name} (keys sorted, HTML characters escaped; the name
 * is empty when kustomize 5 hashes a generated map), its first ten hex digits
 * with 0, 1, 3, a and e swapped for letters (no all-digit or vowel-made words).
 */
function configMapHash(configMap: K8sObject): string {
  const data = (configMap['data'] ?? {}) as Record<string, string>;
  const sorted = Object.fromEntries(Object.keys(data).sort().map((key) => [key, data[key]]));
  const json = JSON.stringify({ data: sorted, kind: 'ConfigMap', name: '' }).replace(
    /[<>&\u2028\u2029]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...createHash('sha256').update(json).digest('hex').slice(0, 10)].map((digit) => swap[digit] ?? digit).join('');
}

/** configMapRef, configMapKeyRef and configMap volumes of a Deployment's pods. */
function renameConfigMapReferences(deployment: K8sObject, renamed: Map<string, string>): void {
  const rename = (holder: { name: string } | undefined) => {
    if (holder && renamed.has(holder.name)) holder.name = renamed.get(holder.name)!;
  };
  const pod = (deployment['spec'] as { template: { spec: PodSpec } }).template.spec;
  for (const container of pod.containers) {
    container.envFrom?.forEach((source) => rename(source.configMapRef));
    container.env?.forEach((variable) => rename(variable.valueFrom?.configMapKeyRef));
  }
  pod.volumes?.forEach((volume) => rename(volume.configMap));
}

export interface PodSpec {
  containers: {
    name: string;
    image: string;
    command?: string[];
    envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
    env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } } }[];
    ports?: { name?: string; containerPort: number }[];
    readinessProbe?: Probe;
    livenessProbe?: Probe;
    startupProbe?: Probe;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  }[];
  volumes?: { name: string; configMap?: { name: string } }[];
}

interface Probe {
  httpGet?: { path: string; port: string | number };
}

export const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
