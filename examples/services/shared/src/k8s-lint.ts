/**
 * Offline checks of Kubernetes manifests, for the deploy test (no API server can be had here).
 *
 * 1. Schema: `kubernetes-models` validates each object (types, required fields, enums).
 * 2. Unknown fields: that validator accepts any extra key, so a misspelt `readinessProbe` or
 *    `runAsNonroot` would pass; {@link unknownFields} walks each object against the property names of
 *    the typed interfaces `kubernetes-models` ships (its `.d.ts` files are generated from the API's
 *    OpenAPI schema).
 * 3. Cross-object references: {@link referenceErrors} checks what only a cluster would notice at run
 *    time: selectors against pod labels, ConfigMap/Secret names and keys, Service and probe ports
 *    against container ports, NetworkPolicy and PodDisruptionBudget selectors against real pods.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as apps from 'kubernetes-models/apps/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, walked key by key
export type K8sDoc = Record<string, any>;

const GROUPS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
};

/** The API's own schema check: `[]` when the object is valid. */
export function schemaErrors(doc: K8sDoc): string[] {
  const where = `${doc['kind']}/${doc['metadata']?.['name']}`;
  const Model = GROUPS[doc['apiVersion']]?.[doc['kind']] as
    | (new (
        d: unknown,
      ) => { validate(): void })
    | undefined;
  if (!Model) return [`${where}: no schema for ${doc['apiVersion']} ${doc['kind']}`];
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    return [`${where}: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`];
  }
}

// --- unknown fields -------------------------------------------------------------------------------

const MODELS = findModels();

function findModels(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', 'kubernetes-models');
    if (existsSync(candidate)) return dirname(candidate);
    const up = dirname(dir);
    if (up === dir) throw new Error('kubernetes-models is not installed');
    dir = up;
  }
}

interface Shape {
  /** Property name → the file of its interface type, or null for a leaf (string, map, IntOrString …). */
  props: Map<string, string | null>;
}

const shapes = new Map<string, Shape | null>();

/** The properties of the first interface a models `.d.ts` file declares; null when it declares none. */
function shapeOf(file: string): Shape | null {
  const cached = shapes.get(file);
  if (cached !== undefined) return cached;
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const [, name, from] = m as unknown as [string, string, string];
    if (from.startsWith('.')) imports.set(name, resolve(dirname(file), from.replace(/\.js$/, '.d.ts')));
    else if (from.startsWith('@kubernetes-models/')) imports.set(name, join(MODELS, `${from}.d.ts`));
  }
  const body = /^export interface \w+[^{]*\{\n([\s\S]*?)^\}/m.exec(text)?.[1];
  let shape: Shape | null = null;
  if (body !== undefined) {
    shape = { props: new Map() };
    for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) {
      const [, key, type] = m as unknown as [string, string, string];
      const ref = /^(?:Array<)?(I\w+)>?$/.exec(type)?.[1];
      const target = ref ? imports.get(ref) : undefined;
      shape.props.set(key, target && existsSync(target) ? target : null);
    }
  }
  shapes.set(file, shape);
  return shape;
}

function walk(value: unknown, at: { file: string; path: string }, out: string[]): void {
  const { file, path } = at;
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, { file, path: `${path}[${i}]` }, out);
    return;
  }
  const shape = shapeOf(file);
  if (!shape) return;
  for (const [key, v] of Object.entries(value)) {
    if (!shape.props.has(key)) {
      out.push(`${path}.${key}: unknown field`);
      continue;
    }
    const next = shape.props.get(key);
    if (next) walk(v, { file: next, path: `${path}.${key}` }, out);
  }
}

/** Fields the API does not know (a typo Kubernetes would drop silently, or reject, depending on the client). */
export function unknownFields(doc: K8sDoc): string[] {
  const dir = doc['apiVersion'] === 'v1' ? 'v1' : doc['apiVersion'];
  const file = join(MODELS, 'kubernetes-models', dir, `${doc['kind']}.d.ts`);
  if (!existsSync(file)) return [`${doc['kind']}: no model for ${doc['apiVersion']}`];
  const out: string[] = [];
  walk(doc, { file, path: `${doc['kind']}/${doc['metadata']?.['name']}` }, out);
  return out;
}

// --- cross-object references ----------------------------------------------------------------------

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> = {}) =>
  selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** References between objects that would only fail at run time in a cluster. `[]` when all resolve. */
export function referenceErrors(docs: K8sDoc[]): string[] {
  const out: string[] = [];
  const of = (kind: string) => docs.filter((d) => d['kind'] === kind);
  const named = (kind: string, name: string) => of(kind).find((d) => d['metadata']['name'] === name);
  const keysOf = (d: K8sDoc | undefined) =>
    new Set([...Object.keys(d?.['data'] ?? {}), ...Object.keys(d?.['stringData'] ?? {})]);
  const namespaces = new Set(of('Namespace').map((n) => n['metadata']['name']));
  const pods = of('Deployment').map((d) => ({
    name: d['metadata']['name'] as string,
    namespace: d['metadata']['namespace'] as string,
    labels: (d['spec']['template']['metadata']?.['labels'] ?? {}) as Record<string, string>,
    spec: d['spec']['template']['spec'] as K8sDoc,
  }));

  for (const d of docs) {
    const ns = d['metadata']?.['namespace'];
    if (d['kind'] !== 'Namespace' && ns !== undefined && !namespaces.has(ns))
      out.push(`${d['kind']}/${d['metadata']['name']}: namespace ${ns} is not declared`);
  }

  for (const d of of('Deployment')) {
    const name = `Deployment/${d['metadata']['name']}`;
    const labels = d['spec']['template']['metadata']?.['labels'];
    if (!matches(d['spec']['selector']?.['matchLabels'], labels))
      out.push(`${name}: spec.selector does not match the pod template's labels`);
  }

  for (const pod of pods) {
    const where = `Deployment/${pod.name}`;
    const volumes = new Set(((pod.spec['volumes'] ?? []) as K8sDoc[]).map((v) => v['name']));
    for (const v of (pod.spec['volumes'] ?? []) as K8sDoc[]) {
      const s = v['secret'];
      if (s && !named('Secret', s['secretName']))
        out.push(`${where}: volume ${v['name']} → no Secret ${s['secretName']}`);
      for (const item of (s?.['items'] ?? []) as K8sDoc[])
        if (s && !keysOf(named('Secret', s['secretName'])).has(item['key']))
          out.push(`${where}: volume ${v['name']} → Secret ${s['secretName']} has no key ${item['key']}`);
      const c = v['configMap'];
      if (c && !named('ConfigMap', c['name']))
        out.push(`${where}: volume ${v['name']} → no ConfigMap ${c['name']}`);
    }
    for (const c of (pod.spec['containers'] ?? []) as K8sDoc[]) {
      const ports = (c['ports'] ?? []) as K8sDoc[];
      const portOk = (p: unknown) =>
        ports.some((x) => x['name'] === p || x['containerPort'] === p || String(x['containerPort']) === p);
      for (const from of (c['envFrom'] ?? []) as K8sDoc[]) {
        if (from['configMapRef'] && !named('ConfigMap', from['configMapRef']['name']))
          out.push(`${where}: envFrom → no ConfigMap ${from['configMapRef']['name']}`);
        if (from['secretRef'] && !named('Secret', from['secretRef']['name']))
          out.push(`${where}: envFrom → no Secret ${from['secretRef']['name']}`);
      }
      for (const e of (c['env'] ?? []) as K8sDoc[]) {
        for (const [kind, ref] of [
          ['Secret', e['valueFrom']?.['secretKeyRef']],
          ['ConfigMap', e['valueFrom']?.['configMapKeyRef']],
        ] as const) {
          if (!ref) continue;
          const target = named(kind, ref['name']);
          if (!target) out.push(`${where}: env ${e['name']} → no ${kind} ${ref['name']}`);
          else if (!keysOf(target).has(ref['key']))
            out.push(`${where}: env ${e['name']} → ${kind} ${ref['name']} has no key ${ref['key']}`);
        }
      }
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const p = c[probe];
        const port = p?.['httpGet']?.['port'] ?? p?.['tcpSocket']?.['port'];
        if (port !== undefined && !portOk(port))
          out.push(`${where}: ${probe} port ${port} is not a container port`);
      }
      for (const m of (c['volumeMounts'] ?? []) as K8sDoc[])
        if (!volumes.has(m['name'])) out.push(`${where}: volumeMount ${m['name']} has no volume`);
    }
  }

  const podsOf = (selector: Record<string, string> | undefined, ns: string) =>
    pods.filter((p) => p.namespace === ns && matches(selector, p.labels));

  for (const s of of('Service')) {
    const where = `Service/${s['metadata']['name']}`;
    const targets = podsOf(s['spec']['selector'], s['metadata']['namespace']);
    if (targets.length === 0) {
      out.push(`${where}: selector matches no pod`);
      continue;
    }
    for (const port of (s['spec']['ports'] ?? []) as K8sDoc[]) {
      const target = port['targetPort'] ?? port['port'];
      for (const p of targets) {
        const ok = ((p.spec['containers'] ?? []) as K8sDoc[]).some((c) =>
          ((c['ports'] ?? []) as K8sDoc[]).some((x) => x['name'] === target || x['containerPort'] === target),
        );
        if (!ok) out.push(`${where}: targetPort ${target} is not a port of ${p.name}`);
      }
    }
  }

  for (const b of of('PodDisruptionBudget')) {
    const sel = b['spec']['selector']?.['matchLabels'];
    if (podsOf(sel, b['metadata']['namespace']).length === 0)
      out.push(`PodDisruptionBudget/${b['metadata']['name']}: selector matches no pod`);
  }

  for (const np of of('NetworkPolicy')) {
    const where = `NetworkPolicy/${np['metadata']['name']}`;
    const ns = np['metadata']['namespace'];
    const sel = np['spec']['podSelector']?.['matchLabels'];
    // An empty podSelector selects every pod of the namespace on purpose (default deny).
    if (sel && Object.keys(sel).length > 0 && podsOf(sel, ns).length === 0)
      out.push(`${where}: podSelector matches no pod`);
    for (const dir of ['ingress', 'egress'] as const) {
      for (const rule of (np['spec'][dir] ?? []) as K8sDoc[]) {
        for (const peer of (rule[dir === 'ingress' ? 'from' : 'to'] ?? []) as K8sDoc[]) {
          const ps = peer['podSelector']?.['matchLabels'];
          if (ps && !peer['namespaceSelector'] && podsOf(ps, ns).length === 0)
            out.push(`${where}: ${dir} peer ${JSON.stringify(ps)} matches no pod`);
        }
        if (dir === 'ingress') {
          const selected = sel && Object.keys(sel).length > 0 ? podsOf(sel, ns) : [];
          for (const port of (rule['ports'] ?? []) as K8sDoc[]) {
            for (const p of selected) {
              const ok = ((p.spec['containers'] ?? []) as K8sDoc[]).some((c) =>
                ((c['ports'] ?? []) as K8sDoc[]).some(
                  (x) => x['name'] === port['port'] || x['containerPort'] === port['port'],
                ),
              );
              if (!ok) out.push(`${where}: ingress port ${port['port']} is not a port of ${p.name}`);
            }
          }
        }
      }
    }
  }
  return out;
}
