import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

// A real service process (fixtures/probe-service.ts) against the loopback Redis and RabbitMQ.
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../../../..');
const children: ChildProcess[] = [];
const prefixes: string[] = [];

interface Ready {
  child: ChildProcess;
  port: number;
  metricsPort: number | undefined;
}

function startProbe(env: Record<string, string>): Promise<Ready> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rxtrade-source', join(HERE, 'fixtures', 'probe-service.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        FLEET_PREFIX: `harness${process.pid}${children.length}`,
        HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  prefixes.push(`harness${process.pid}${children.length - 1}`);
  return new Promise((resolveReady, reject) => {
    child.once('exit', (code) => reject(new Error(`probe exited ${code} before ready`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { event?: string; port: number; metricsPort?: number };
      if (entry.event === 'ready') resolveReady({ child, port: entry.port, metricsPort: entry.metricsPort });
    });
  });
}

const status = async (port: number, path: string): Promise<number> =>
  (await fetch(`http://127.0.0.1:${port}${path}`)).status;

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    child.once('exit', (code) => resolveExit(code));
    child.kill('SIGTERM');
  });
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  // What every bus declares at connect: the fleet's two exchanges and its dead-letter queue.
  const connection = await connect(process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
  const channel = await connection.createChannel();
  for (const prefix of prefixes) {
    await channel.deleteQueue(`rxt-fleet-${prefix}.dead-letters`);
    await channel.deleteExchange(`rxt-fleet-${prefix}`);
    await channel.deleteExchange(`rxt-fleet-${prefix}.rpc`);
  }
  await connection.close();
});

describe('runService: /metrics', () => {
  it('with METRICS_PORT, serves /metrics there only, and /health only on the main port', async () => {
    const probe = await startProbe({ METRICS_PORT: '0' });
    expect(probe.metricsPort).toBeGreaterThan(0);
    expect(probe.metricsPort).not.toBe(probe.port);
    const metricsPort = probe.metricsPort as number;
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('rxtrade_probe_started_total 1');
    expect(await status(probe.port, '/metrics')).toBe(404);
    expect(await status(probe.port, '/health')).toBe(200);
    expect(await status(metricsPort, '/health')).toBe(404);
    expect(await stop(probe.child)).toBe(0); // both servers closed, clean exit
  });

  it('without METRICS_PORT, serves /metrics on the main port (local processes)', async () => {
    const probe = await startProbe({});
    expect(probe.metricsPort).toBeUndefined();
    expect(await status(probe.port, '/metrics')).toBe(200);
    expect(await stop(probe.child)).toBe(0);
  });
});
