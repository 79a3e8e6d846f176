import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { K8sDoc } from '../k8s-lint';
import { podman, podmanEnv, SERVICES_DIR } from './podman';

type Doc = K8sDoc;

const K8S = join(SERVICES_DIR, 'deploy', 'k8s');
const NAMES = ['data', 'strategy', 'risk', 'order', 'gateway'] as const;

/** The manifests' Deployments, ConfigMap and Secret, with the images and secrets of this run. */
function render(options: {
  images: Readonly<Record<string, string>>;
  secret: Readonly<Record<string, string>>;
}): { manifest: string; secret: string; deployments: { name: string; replicas: number; image: string }[] } {
  const docs: Doc[] = [];
  for (const file of readdirSync(K8S)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) docs.push(d.toJS() as Doc);
  const deployments: { name: string; replicas: number; image: string }[] = [];
  const out: Doc[] = [];
  let secret: Doc | undefined;
  for (const d of docs) {
    if (d['kind'] === 'ConfigMap') out.push(d);
    if (d['kind'] === 'Secret') secret = { ...d, stringData: { ...options.secret } };
    if (d['kind'] !== 'Deployment') continue;
    const name = d['metadata']['name'] as string;
    const container = d['spec']['template']['spec']['containers'][0] as Doc;
    const image = options.images[name];
    if (!image) throw new Error(`no image for Deployment ${name}`);
    // The manifests name a registry image; this run's image was built from the same Dockerfile.
    container['image'] = image;
    deployments.push({ name, replicas: d['spec']['replicas'] as number, image });
    out.push(d);
  }
  if (!secret) throw new Error('no Secret in the manifests');
  // A podman secret that kube play resolves `secretKeyRef`s against holds the Secret object as JSON.
  return {
    manifest: out.map((d) => stringify(d)).join('---\n'),
    secret: JSON.stringify(secret),
    deployments,
  };
}

export interface KubeResult {
  readonly pods: number;
  readonly containers: { name: string; user: string; readOnly: boolean; memory: number }[];
}

/**
 * `podman kube play` of the Kubernetes Deployments (with the ConfigMap and a Secret of real values),
 * on the compose network so the stand-in Redis, RabbitMQ and PostgreSQL answer at `redis`,
 * `rabbitmq` and `postgres`. Checks every replica's container runs with the pod's security context
 * and limits, answers /health 200 on the http port and /metrics on the metrics port. Not Kubernetes:
 * no Service objects, probes, NetworkPolicies or PodDisruptionBudgets are exercised.
 */
export async function kubePlay(options: {
  work: string;
  network: string;
  images: Readonly<Record<string, string>>;
  secret: Readonly<Record<string, string>>;
  timeoutMs: number;
}): Promise<{ summary: string; teardown: () => void }> {
  const { manifest, secret, deployments } = render(options);
  const manifestFile = join(options.work, 'kube.yaml');
  const secretFile = join(options.work, 'secret.json');
  writeFileSync(manifestFile, manifest, { mode: 0o600 });
  writeFileSync(secretFile, secret, { mode: 0o600 });
  spawnSync('podman', ['secret', 'rm', 'rxtrade-secrets'], { env: podmanEnv(), stdio: 'ignore' });
  podman('secret', 'create', 'rxtrade-secrets', secretFile);
  const teardown = () => {
    spawnSync('podman', ['kube', 'down', manifestFile], { env: podmanEnv(), stdio: 'ignore' });
    // kube down misses the pods of a play that failed half-way: remove them by name too.
    const pods = spawnSync('podman', ['pod', 'ps', '--format', '{{.Name}}'], {
      env: podmanEnv(),
      encoding: 'utf8',
    })
      .stdout.split('\n')
      .filter((p) => deployments.some((d) => new RegExp(`^${d.name}-pod(-\\d+)?$`).test(p)));
    if (pods.length > 0)
      spawnSync('podman', ['pod', 'rm', '-f', ...pods], { env: podmanEnv(), stdio: 'ignore' });
    spawnSync('podman', ['secret', 'rm', 'rxtrade-secrets'], { env: podmanEnv(), stdio: 'ignore' });
  };
  try {
    podman('kube', 'play', '--network', options.network, manifestFile);
    const want = deployments.reduce((n, d) => n + d.replicas, 0);
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const healthy = NAMES.flatMap((name) => serviceContainers(name)).filter(
        (c) => probe(c, 9000, '/health') === 200,
      );
      if (healthy.length >= want) break;
      if (Date.now() > deadline) {
        throw new Error(
          `kube play: ${healthy.length} of ${want} containers answer /health 200 within ${options.timeoutMs / 1000} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 3_000));
    }
    const containers: KubeResult['containers'] = [];
    for (const name of NAMES) {
      for (const id of serviceContainers(name)) {
        const info = (JSON.parse(podman('inspect', id)) as Doc[])[0] as Doc;
        const metrics = probe(id, 9100, '/metrics');
        if (metrics !== 200) throw new Error(`${info['Name']}: /metrics on 9100 answered ${metrics}`);
        containers.push({
          name: info['Name'] as string,
          user: info['Config']['User'] as string,
          readOnly: info['HostConfig']['ReadonlyRootfs'] as boolean,
          memory: info['HostConfig']['Memory'] as number,
        });
        const caps = (info['EffectiveCaps'] as string[] | null) ?? [];
        if (!String(info['Config']['User']).startsWith('1000'))
          throw new Error(`${info['Name']}: user ${info['Config']['User']}`);
        if (info['HostConfig']['ReadonlyRootfs'] !== true)
          throw new Error(`${info['Name']}: root filesystem writable`);
        if (caps.length > 0) throw new Error(`${info['Name']}: capabilities ${caps.join(',')}`);
        if (!(Number(info['HostConfig']['Memory']) > 0)) throw new Error(`${info['Name']}: no memory limit`);
      }
    }
    const pods = podman('pod', 'ps', '--format', '{{.Name}}')
      .split('\n')
      .filter((p) => /-pod(-\d+)?$/.test(p)).length;
    return {
      summary: `${containers.length} containers in ${deployments.length} Deployments (${deployments.map((d) => `${d.name} ×${d.replicas}`).join(', ')}), each uid 1000, read-only root, no capabilities, memory-limited, /health 200 and /metrics on 9100; ${pods} pods`,
      teardown,
    };
  } catch (error) {
    teardown();
    throw error;
  }
}

/** Containers of one Deployment's pods (kube play names the pods <deployment>-pod[-<n>]). */
function serviceContainers(name: string): string[] {
  const list = JSON.parse(podman('ps', '--format', 'json')) as {
    Id: string;
    PodName?: string;
    IsInfra?: boolean;
  }[];
  const pod = new RegExp(`^${name}-pod(-\\d+)?$`);
  return list.filter((c) => !c.IsInfra && pod.test(c.PodName ?? '')).map((c) => c.Id);
}

/** HTTP status of a path inside a container (the pods publish nothing we could reach from here). */
function probe(id: string, port: number, path: string): number {
  const r = spawnSync(
    'podman',
    [
      'exec',
      id,
      'node',
      '-e',
      `fetch('http://127.0.0.1:${port}${path}').then(r=>console.log(r.status),()=>console.log(0))`,
    ],
    { env: podmanEnv(), encoding: 'utf8' },
  );
  return Number(r.stdout.trim()) || 0;
}
