import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { namespace } from '../../shared/src/config';
import { type Fleet, startFleet } from '../../shared/src/launcher';

export const PG_URL = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * True when the local Redis, RabbitMQ and PostgreSQL the fleet runs on are reachable; otherwise the
 * suite skips with a loud notice (and fails in CI: see requireService).
 */
export async function fleetServersUp(): Promise<boolean> {
  return (
    (await requireService('Redis', () => probeTcp('127.0.0.1', 6379))) &&
    (await requireService('RabbitMQ', () => probeTcp('127.0.0.1', 5672))) &&
    (await requireService('PostgreSQL', () => probeTcp('127.0.0.1', 5432)))
  );
}

/** Deletes a run's Redis keys, PostgreSQL schema and broker queues/exchanges. */
export async function cleanUp(redis: Redis, prefix: string): Promise<void> {
  const ns = namespace({ FLEET_PREFIX: prefix });
  const stream = redis.scanStream({ match: `${ns.redisPrefix}*`, count: 1000 });
  for await (const batch of stream) if ((batch as string[]).length) await redis.del(...(batch as string[]));
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${ns.pgSchema} CASCADE`);
  await client.end();
  try {
    // One rabbitmqctl call per listing (each starts an Erlang VM: about a second); the deletions go
    // over one AMQP connection instead of one rabbitmqctl call each.
    const list = (what: string) =>
      execFileSync('rabbitmqctl', ['-q', what, 'name'], { encoding: 'utf8' })
        .split('\n')
        .filter((q) => q.startsWith(ns.exchange));
    const queues = list('list_queues');
    const exchanges = list('list_exchanges');
    const connection = await connect(AMQP_URL);
    try {
      for (const q of queues) {
        // A failed delete closes its channel: one channel per queue. Presence queues expire by
        // themselves a minute after their last member, so one may be gone already.
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await channel.deleteQueue(q).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
      const channel = await connection.createChannel();
      for (const x of exchanges) await channel.deleteExchange(x);
      await channel.close();
    } finally {
      await connection.close();
    }
  } catch (error) {
    console.warn('broker clean-up failed (queues of this run may be left behind)', error);
  }
}

/** Polls `check` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A JSON client of the gateway: `headers` unless the call gives its own. */
export function gatewayClient(url: () => string, headers: () => Record<string, string>) {
  return async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${url()}${path}`, { ...init, headers: init.headers ?? headers() });
    return { status: res.status, body: (await res.json()) as T };
  };
}

/**
 * A fleet of the suite's own: started before its tests (`FLEET_PREFIX` is `prefix`), stopped and its
 * keys removed after. `redis` is a client on the shared Redis, `api` calls the gateway with the
 * fleet's API key, `headers` are those it sends.
 */
export function suiteFleet(
  prefix: string,
  options: {
    strategyReplicas: number;
    env: Readonly<Record<string, string>>;
    /** Services to start (default all; see `startFleet`). */
    services?: readonly string[];
  },
) {
  let fleet: Fleet | undefined;
  let redis: Redis | undefined;
  let gw = '';
  let headers: Record<string, string> = {};
  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379');
    fleet = await startFleet({
      strategyReplicas: options.strategyReplicas,
      ...(options.services ? { services: options.services } : {}),
      env: { FLEET_PREFIX: prefix, ...options.env },
      logDir: join(tmpdir(), 'rxtrade-e2e', prefix),
    });
    gw = fleet.get('gateway').url();
    headers = { authorization: `Bearer ${fleet.apiKey}`, 'content-type': 'application/json' };
  });
  afterAll(async () => {
    if (fleet) await fleet.stop();
    if (redis) {
      await cleanUp(redis, prefix);
      await redis.quit();
    }
  });
  return {
    /** The running processes (to kill or restart one). */
    get fleet(): Fleet {
      if (!fleet) throw new Error('suiteFleet: used before its beforeAll ran');
      return fleet;
    },
    get redis(): Redis {
      if (!redis) throw new Error('suiteFleet: used before its beforeAll ran');
      return redis;
    },
    get headers(): Readonly<Record<string, string>> {
      return headers;
    },
    api: gatewayClient(
      () => gw,
      () => headers,
    ),
  };
}
