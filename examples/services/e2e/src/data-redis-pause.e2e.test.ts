import { FleetJournal } from '@rxtrade/fleet';
import { createRedisStateStore } from '@rxtrade/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  requireRedisServerBinary,
  type SpawnedRedis,
  spawnRedis,
} from '../../../../packages/adapters-redis/test/redis-server';
import { namespace } from '../../shared/src/config';
import { type Fleet, startFleet } from '../../shared/src/launcher';
import { symbolNames } from '../../shared/src/replay-data';
import { cleanUp, fleetServersUp, until } from './support';

const SYMBOLS = 2;
const BARS = 600;
const up = (await fleetServersUp()) && (await requireRedisServerBinary());

/**
 * Defect 7 of issue #16: a 1.5–2.5 s Redis pause ended the data service's replay for good (8 of 8)
 * while `/health` said 200. The data service runs alone against a Redis of the test's own (paused
 * with SIGSTOP), the shared RabbitMQ and PostgreSQL.
 */
describe.skipIf(!up)('data service: a Redis pause mid-replay', () => {
  const prefix = `e2edata${Date.now().toString(36)}`;
  const ns = namespace({ FLEET_PREFIX: prefix });
  let redisServer: SpawnedRedis;
  let redis: Redis;
  let fleet: Fleet | undefined;

  beforeAll(async () => {
    redisServer = await spawnRedis(['--appendfsync', 'no']);
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    await fleet?.stop();
    await cleanUp(redis, prefix);
    redis.disconnect();
    await redisServer.cleanup();
  });

  it('delays the replay, turns /health unhealthy while it is stalled, and still publishes every frame', async () => {
    fleet = await startFleet({
      strategyReplicas: 0,
      services: ['data'],
      env: {
        FLEET_PREFIX: prefix,
        REDIS_URL: redisServer.url,
        SYMBOLS: String(SYMBOLS),
        BARS: String(BARS),
        // 600 steps at 100 steps a second: six seconds of replay around a two-second pause.
        REPLAY_BARS_PER_SECOND: String(100 * SYMBOLS),
      },
    });
    const data = fleet.get('data');
    const progress = async (): Promise<number> =>
      Number((await redis.hget(`${ns.redisPrefix}state:data-progress`, 'nextIndex')) ?? 0);
    await until('the replay reaches step 100', async () => (await progress()) >= 100, 30_000);

    redisServer.pause();
    const codes: number[] = [];
    const pausedAt = Date.now();
    while (Date.now() - pausedAt < 2_000) {
      codes.push(
        await fetch(`${data.url()}/health`, { signal: AbortSignal.timeout(1_000) }).then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    redisServer.resume();
    expect(codes).toContain(503);

    await until(
      'the replay finishes',
      async () => (await redis.hget(`${ns.redisPrefix}state:data-progress`, 'done')) === '1',
      60_000,
    );
    expect((await fetch(`${data.url()}/health`)).status).toBe(200);

    // Every bar is in the journal's frames, in order, the last frame of each symbol marked.
    const store = createRedisStateStore({ client: redis }, { prefix: ns.redisPrefix });
    const journal = new FleetJournal(store, 'fleet');
    for (const symbol of symbolNames(SYMBOLS)) {
      const frames = await journal.frames(symbol, 0, BARS - 1);
      const bars = frames.flatMap((f) => f.bars);
      expect(bars).toHaveLength(BARS);
      expect(bars.every((b, i) => i === 0 || b.ts > (bars[i - 1]?.ts ?? 0))).toBe(true);
      expect(frames.at(-1)?.last).toBe(true);
      expect(frames.slice(0, -1).some((f) => f.last)).toBe(false);
    }
  });
});
