import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { namespace } from '../../shared/src/config';
import { cleanUp, fleetServersUp, PG_URL, until } from './support';

const ROOT = join(import.meta.dirname, '../../../..');
const up = await fleetServersUp();

/** The run's queues and exchanges on the broker (by name: they all start with its exchange). */
const onBroker = (exchange: string): string[] =>
  ['list_queues', 'list_exchanges'].flatMap((what) =>
    execFileSync('rabbitmqctl', ['-q', what, 'name'], { encoding: 'utf8' })
      .split('\n')
      .filter((name) => name.startsWith(exchange)),
  );

describe.skipIf(!up)('npm run services, stopped with Ctrl-C', () => {
  const prefix = `e2erun${randomUUID().slice(0, 8)}`;
  const ns = namespace({ FLEET_PREFIX: prefix });
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });

  afterAll(async () => {
    await redis.connect().catch(() => undefined);
    await cleanUp(redis, prefix); // only if the test failed half-way
    redis.disconnect();
  });

  it('stops every service and removes the queues, Redis keys and history schema the run created', async () => {
    // Its own process group, as a terminal's: Ctrl-C reaches the launcher and every service.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=rxtrade-source',
        'examples/services/shared/src/run-services.ts',
        '--strategy-replicas',
        '1',
        '--symbols',
        '1',
        '--bars',
        '300',
        '--interval-ms',
        '0',
        '--prefix',
        prefix,
      ],
      { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await until('the fleet to run', async () => out.includes('API key:'), 120_000);
    await redis.connect();
    const keys = () => redis.keys(`${ns.redisPrefix}*`);
    // The replay has written state (journals, the read model, fills): there is something to remove.
    await until('fills in the history', async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        const rows = await client
          .query(`SELECT count(*)::int AS n FROM ${ns.pgSchema}.fills`)
          .catch(() => undefined);
        return (rows?.rows[0]?.n ?? 0) > 0;
      } finally {
        await client.end();
      }
    });
    expect((await keys()).length).toBeGreaterThan(0);
    expect(onBroker(ns.exchange).length).toBeGreaterThan(0);

    process.kill(-(child.pid as number), 'SIGINT');
    expect(await exited, out).toBe(0);
    expect(out).toMatch(/removed \d+ queues, \d+ exchanges, [1-9]\d* Redis keys and the PostgreSQL schema/);
    expect(await keys()).toEqual([]);
    expect(onBroker(ns.exchange)).toEqual([]);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [ns.pgSchema]);
      expect(schema.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
