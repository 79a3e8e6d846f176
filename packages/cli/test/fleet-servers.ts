import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { createRedisClient } from '@rxtrade/redis';
import { expect } from 'vitest';

const run = promisify(execFile);
export const RABBITMQ_URL = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** True when RabbitMQ and Redis answer; in CI a missing server fails the suite instead. */
export async function fleetServersUp(): Promise<boolean> {
  const rabbitmq = new URL(RABBITMQ_URL);
  const redis = new URL(REDIS_URL);
  return (
    (await requireService('RabbitMQ', () => probeTcp(rabbitmq.hostname, Number(rabbitmq.port || 5672)))) &&
    (await requireService('Redis', () => probeTcp(redis.hostname, Number(redis.port || 6379))))
  );
}

/** The run's exchange, Redis prefix and processes, from the line `rxtrade fleet` prints when the fleet runs. */
export function where(err: string): { exchange: string; prefix: string; pids: Map<string, number> } {
  const line = err.split('\n').find((l) => l.includes(' running: RabbitMQ ')) ?? '';
  const exchange = /exchange (\S+),/.exec(line)?.[1] ?? '';
  const prefix = /prefix (\S+);/.exec(line)?.[1] ?? '';
  const pids = new Map([...line.matchAll(/(\w+-\d+) (\d+)/g)].map((m) => [m[1] as string, Number(m[2])]));
  expect(exchange).toMatch(/^rxtrade-fleet-/);
  return { exchange, prefix, pids };
}

/** Nothing of the run is left on the broker or in Redis, and no process of it runs. */
export async function expectNothingLeft(err: string): Promise<void> {
  const { exchange, prefix, pids } = where(err);
  expect(err).toMatch(/stopped; removed \d+ queues, \d+ exchanges and [1-9]\d* Redis keys/);
  for (const kind of ['queues', 'exchanges']) {
    const { stdout } = await run('rabbitmqctl', [`list_${kind}`, 'name', '-q', '--no-table-headers']);
    expect(stdout.split('\n').filter((n) => n.trim().startsWith(exchange))).toEqual([]);
  }
  const client = createRedisClient(REDIS_URL, { lazyConnect: true });
  try {
    await client.connect();
    expect(await client.keys(`${prefix}*`)).toEqual([]);
  } finally {
    client.disconnect();
  }
  const alive = [...pids.values()].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toEqual([]);
}
