import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp } from '@rxtrade/core/testing';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** A RabbitMQ node of our own (CONTRIBUTING: tests that restart a server spawn their own instance). */
export interface OwnBroker {
  readonly url: string;
  ctl(...args: string[]): string;
  shutdown(): Promise<void>;
}

/** True when this machine can run a private RabbitMQ node (the server scripts are installed). */
export function canSpawnBroker(): boolean {
  try {
    execFileSync('/usr/lib/rabbitmq/bin/rabbitmq-server', ['--help'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch (error) {
    return (error as { status?: number }).status !== undefined; // it ran (and printed usage)
  }
}

/**
 * Starts a private RabbitMQ node (own node name, ports, data dir, Erlang cookie, with the
 * consistent-hash plugin) and waits until AMQP answers.
 */
export async function startOwnBroker(): Promise<OwnBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'rxt-broker-'));
  const port = await freePort();
  const distPort = await freePort();
  const node = `rxte2e${process.pid}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_consistent_hash_exchange].');
  const child: ChildProcess = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], {
    cwd: dir,
    env: {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
      RABBITMQ_CONFIG_FILE: join(dir, 'none'),
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await probeTcp('127.0.0.1', port, 500);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('own RabbitMQ did not start');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const ctl = (...args: string[]): string =>
    execFileSync(
      'rabbitmqctl',
      ['-n', node, '--erlang-cookie', readFileSync(join(dir, '.erlang.cookie'), 'utf8'), ...args],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    ctl,
    async shutdown() {
      try {
        ctl('shutdown');
      } catch {
        child.kill('SIGKILL');
      }
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
