import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { namespace } from '../../shared/src/config';
import { type Fleet, startFleet } from '../../shared/src/launcher';
import { symbolNames } from '../../shared/src/replay-data';
import { canSpawnBroker, type OwnBroker, startOwnBroker } from './own-broker';
import { cleanUp, redisFills, referenceRun, sortFills, waitDrained } from './support';

const SYMBOLS = 5;
const BARS = 2_000;

const up =
  (await requireService('Redis', () => probeTcp('127.0.0.1', 6379))) &&
  (await requireService('PostgreSQL', () => probeTcp('127.0.0.1', 5432))) &&
  (await requireService(
    'a spawnable RabbitMQ (rabbitmq-server)',
    async () => {
      if (!canSpawnBroker()) throw new Error('/usr/lib/rabbitmq/bin/rabbitmq-server not found');
    },
    'apt-get install rabbitmq-server',
  ));

const prefix = `brk${Date.now().toString(36)}${process.pid}`;
const ns = namespace({ FLEET_PREFIX: prefix });

/**
 * `rabbitmqctl stop_app && start_app` mid-replay. On a RabbitMQ node of its own (spawned on free
 * ports), never the shared broker: other suites keep running against 127.0.0.1:5672.
 */
describe.skipIf(!up)('service fleet across a broker restart', () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  let fleet: Fleet | undefined;
  let broker: OwnBroker | undefined;

  afterAll(async () => {
    if (fleet) await fleet.stop();
    await broker?.shutdown();
    await cleanUp(redis, prefix);
    await redis.quit();
  });

  it('rabbitmqctl stop_app / start_app mid-replay: same fills and final positions', async () => {
    const reference = await referenceRun(SYMBOLS, BARS);
    broker = await startOwnBroker();
    fleet = await startFleet({
      strategyReplicas: 3,
      env: {
        FLEET_PREFIX: prefix,
        AMQP_URL: broker.url,
        SYMBOLS: String(SYMBOLS),
        BARS: String(BARS),
        ACCOUNTS: 'acc-1:1',
        BAR_INTERVAL_MS: '6',
      },
      logDir: join(tmpdir(), 'rxtrade-e2e', prefix),
    });
    const progress = async () =>
      Number((await redis.hget(`${ns.redisPrefix}state:data-progress`, 'nextIndex')) ?? 0);
    while ((await progress()) < 300) await new Promise((r) => setTimeout(r, 100));
    broker.ctl('stop_app');
    const stoppedAt = await progress();
    await new Promise((r) => setTimeout(r, 3_000));
    broker.ctl('start_app');
    expect(stoppedAt).toBeLessThan(BARS);
    await waitDrained(redis, { prefix, symbols: SYMBOLS, lastTs: reference.lastTs });

    expect(sortFills(await redisFills(redis, prefix, 'acc-1'))).toEqual(sortFills(reference.fills));
    for (const s of symbolNames(SYMBOLS)) {
      const q = Number((await redis.hget(`${ns.redisPrefix}state:position:acc-1:${s}`, 'qty')) ?? 0);
      expect(q, s).toBe(reference.positions.get(s) ?? 0);
    }
    const codes = await fleet.stop();
    fleet = undefined;
    expect(Object.values(codes)).toEqual(Object.values(codes).map(() => 0));
  });
});
