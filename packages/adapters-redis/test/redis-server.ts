import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService } from '@rxtrade/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/**
 * A redis-server of the test's own, on a free port, with AOF and fsync on every write, for tests that
 * kill, restart or pause the server. Never the shared 6379 instance.
 */
export interface SpawnedRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** (Re)starts the server on the same port and data directory; resolves when it answers PING. */
  start(): Promise<void>;
  /** Stops it; SIGKILL is a crash (only what AOF fsynced survives). Resolves when the process is gone. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its sockets open but answers nothing. */
  pause(): void;
  resume(): void;
  /** Kills the server (if running) and removes its data directory. Safe to call twice. */
  cleanup(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** True when a `redis-server` binary can be spawned; outside CI a missing one skips loudly. */
export function requireRedisServerBinary(): Promise<boolean> {
  return requireService(
    'redis-server binary',
    async () => {
      const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
      if (result.error || result.status !== 0) throw result.error ?? new Error(result.stderr);
    },
    'apt-get install redis-server',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** One raw PING; resolves true on +PONG (not while the server is still loading its AOF). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function spawnRedis(extraArgs: readonly string[] = []): Promise<SpawnedRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'rxtrade-redis-'));
  let child: ChildProcess | undefined;
  let output = '';

  const start = async (): Promise<void> => {
    if (child) throw new Error('redis-server already running');
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes'];
    args.push('--appendfsync', 'always', '--dir', dir, ...extraArgs);
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    proc.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    proc.once('exit', () => {
      live.delete(proc);
      if (child === proc) child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!child) throw new Error(`redis-server exited on start:\n${output}`);
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not answer on ${port} within 10 s:\n${output}`);
  };

  const stop = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT');
    proc.kill(signal);
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async cleanup() {
      await stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A redis-server of the suite's own (no fsync: these suites count commands, they do not crash it),
 * spawned before its tests with a plain `admin` client on it, both removed after.
 */
export function suiteRedis(): { readonly server: SpawnedRedis; readonly admin: Redis } {
  let server: SpawnedRedis | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await spawnRedis(['--appendfsync', 'no']);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.cleanup();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('suiteRedis: used before its beforeAll ran');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get admin() {
      return ready(admin);
    },
  };
}
