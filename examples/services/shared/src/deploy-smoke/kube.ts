import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { K8sDoc } from '../k8s-lint';
import { hardeningProblems, podman, podmanEnv, processHardening, SERVICES_DIR } from './podman';

type Doc = K8sDoc;

const K8S = join(SERVICES_DIR, 'deploy', 'k8s');
const NAMES = ['data', 'strategy', 'risk', 'order', 'gateway'] as const;

/** The manifests' Deployments, ConfigMap and Secret, with the images and secrets of this run. */
function render(options: {
  images: Readonly<Record<string, string>>;
  fleetPrefix: string;
  secret: Readonly<Record<string, string>>;
}): {
  manifest: string;
  secret: string;
  volumeSecret: string;
  deployments: {
    name: string;
    replicas: number;
    image: string;
    secretFiles: { path: string; key: string }[];
  }[];
} {
  const docs: Doc[] = [];
  for (const file of readdirSync(K8S)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) docs.push(d.toJS() as Doc);
  const deployments: {
    name: string;
    replicas: number;
    image: string;
    secretFiles: { path: string; key: string }[];
  }[] = [];
  const out: Doc[] = [];
  let secret: Doc | undefined;
  for (const d of docs) {
    if (d['kind'] === 'ConfigMap') {
      // A prefix the broker's per-role users were applied for (their permissions name its exchange).
      d['data'] = { ...d['data'], FLEET_PREFIX: options.fleetPrefix };
      out.push(d);
    }
    if (d['kind'] === 'Secret') {
      // This run's values for every key of the template (a key the test does not fill is an error).
      const missing = Object.keys(d['stringData'] ?? {}).filter((k) => options.secret[k] === undefined);
      if (missing.length > 0) throw new Error(`no value for Secret keys ${missing.join(', ')}`);
      secret = d;
    }
    if (d['kind'] !== 'Deployment') continue;
    const name = d['metadata']['name'] as string;
    const container = d['spec']['template']['spec']['containers'][0] as Doc;
    const image = options.images[name];
    if (!image) throw new Error(`no image for Deployment ${name}`);
    // The manifests name a registry image; this run's image was built from the same Dockerfile.
    container['image'] = image;
    // Podman publishes every containerPort on the host (there are no Services), so three strategy
    // pods collide on 9000 ("address already in use"): play them without `ports`, with the probes'
    // named ports (which podman does not run anyway) turned into their numbers.
    const numbers = new Map<string, number>(
      ((container['ports'] ?? []) as Doc[]).map((p) => [p['name'] as string, p['containerPort'] as number]),
    );
    delete container['ports'];
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const handler = container[probe]?.['tcpSocket'] ?? container[probe]?.['httpGet'];
      if (handler && typeof handler['port'] === 'string') handler['port'] = numbers.get(handler['port']);
    }
    // Secret volumes: podman 4.3 dereferences `optional` unset (a nil-pointer panic), and reads a
    // volume's podman secret in another format than `secretKeyRef` does (below), so it gets one of
    // its own.
    for (const volume of (d['spec']['template']['spec']['volumes'] ?? []) as Doc[]) {
      if (!volume['secret']) continue;
      volume['secret'] = {
        ...volume['secret'],
        secretName: `${volume['secret']['secretName']}${VOLUME_SUFFIX}`,
        optional: false,
      };
    }
    // Files the pod should see from secret volumes: mount path + item path → the Secret key.
    const secretFiles: { path: string; key: string }[] = [];
    const volumes = (d['spec']['template']['spec']['volumes'] ?? []) as Doc[];
    for (const mount of (container['volumeMounts'] ?? []) as Doc[]) {
      const volume = volumes.find((v) => v['name'] === mount['name']);
      for (const item of (volume?.['secret']?.['items'] ?? []) as Doc[])
        secretFiles.push({ path: `${mount['mountPath']}/${item['path']}`, key: item['key'] as string });
    }
    deployments.push({ name, replicas: d['spec']['replicas'] as number, image, secretFiles });
    out.push(d);
  }
  if (!secret) throw new Error('no Secret in the manifests');
  return {
    manifest: out.map((d) => stringify(d)).join('---\n'),
    // For `secretKeyRef`, podman 4.3 wants a JSON object of key → base64 of the value (a Secret
    // object fails: "illegal base64 data").
    secret: JSON.stringify(
      Object.fromEntries(
        Object.entries(options.secret).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    ),
    // For a secret volume it wants a Secret object, and writes each `data` value into its file as it
    // stands, still base64-encoded: a value that is itself base64 text (the credentials key is) is
    // given as it is, so the file holds exactly the value.
    volumeSecret: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${secret['metadata']['name']}${VOLUME_SUFFIX}` },
      data: Object.fromEntries(
        Object.entries(options.secret).filter(
          ([, v]) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0,
        ),
      ),
    }),
    deployments,
  };
}

const VOLUME_SUFFIX = '-volume';

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
  /** FLEET_PREFIX the stand-in broker's users were created for. */
  fleetPrefix: string;
  network: string;
  images: Readonly<Record<string, string>>;
  secret: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Gets the teardown as soon as there is something to tear down (the caller may be interrupted). */
  onTeardown: (teardown: () => void) => void;
}): Promise<{ summary: string; teardown: () => void }> {
  const { manifest, secret, volumeSecret, deployments } = render(options);
  const manifestFile = join(options.work, 'kube.yaml');
  writeFileSync(manifestFile, manifest, { mode: 0o600 });
  const secrets = ['rxtrade-secrets', `rxtrade-secrets${VOLUME_SUFFIX}`] as const;
  for (const [name, content] of [
    [secrets[0], secret],
    [secrets[1], volumeSecret],
  ] as const) {
    const file = join(options.work, `${name}.json`);
    writeFileSync(file, content, { mode: 0o600 });
    spawnSync('podman', ['secret', 'rm', name], { env: podmanEnv(), stdio: 'ignore' });
    podman('secret', 'create', name, file);
  }
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
    spawnSync('podman', ['secret', 'rm', ...secrets], { env: podmanEnv(), stdio: 'ignore' });
  };
  options.onTeardown(teardown);
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
    let secretFilesRead = 0;
    for (const name of NAMES) {
      for (const id of serviceContainers(name)) {
        const info = (JSON.parse(podman('inspect', id)) as Doc[])[0] as Doc;
        const metrics = probe(id, 9100, '/metrics');
        if (metrics !== 200) throw new Error(`${info['Name']}: /metrics on 9100 answered ${metrics}`);
        for (const file of deployments.find((d) => d.name === name)?.secretFiles ?? []) {
          if (podman('exec', id, 'cat', file.path) !== options.secret[file.key])
            throw new Error(`${info['Name']}: ${file.path} does not hold the Secret's ${file.key}`);
          secretFilesRead++;
        }
        containers.push({
          name: info['Name'] as string,
          user: info['Config']['User'] as string,
          readOnly: info['HostConfig']['ReadonlyRootfs'] as boolean,
          memory: info['HostConfig']['Memory'] as number,
        });
        // As the kernel sees the running process: uid, capabilities, no_new_privs, seccomp, read-only /.
        const hardening = processHardening(id);
        const problems = hardeningProblems(hardening);
        if (hardening.uid !== 1000) problems.push(`uid ${hardening.uid}`);
        if (!(Number(info['HostConfig']['Memory']) > 0)) problems.push('no memory limit');
        if (problems.length > 0) throw new Error(`${info['Name']}: ${problems.join(', ')}`);
      }
    }
    const pods = podman('pod', 'ps', '--format', '{{.Name}}')
      .split('\n')
      .filter((p) => /-pod(-\d+)?$/.test(p)).length;
    return {
      summary: `${containers.length} containers in ${deployments.length} Deployments (${deployments.map((d) => `${d.name} ×${d.replicas}`).join(', ')}), each running as uid 1000 with no capabilities, no_new_privs, a seccomp filter, a read-only root and a memory limit, /health 200 and /metrics on 9100; ${secretFilesRead} secret-volume files hold their Secret value; ${pods} pods`,
      teardown,
    };
  } catch (error) {
    teardown();
    throw error;
  }
}

/** Containers of one Deployment's pods (kube play names the pods <deployment>-pod[-<n>]). */
function serviceContainers(name: string): string[] {
  const list = JSON.parse(podman('ps', '--pod', '--format', 'json')) as {
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
