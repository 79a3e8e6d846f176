import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fill } from '@rxtrade/core';
import { decodeFleetMessage, fleetTopics, RiskViews } from '@rxtrade/fleet';
import { createPostgresHistory, type PostgresHistory } from '@rxtrade/postgres';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import { createRedisStateStore } from '@rxtrade/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OwnPostgres,
  ownPostgresAvailable,
  spawnPostgres,
} from '../../../../packages/adapters-postgres/src/test-fixtures/own-postgres';
import { namespace } from '../../shared/src/config';
import { RISK_VIEW_PREFIX } from '../../shared/src/fleet-plan';
import { type Fleet, startFleet } from '../../shared/src/launcher';
import { AMQP_URL, cleanUp, fleetServersUp, until } from './support';

const ACCOUNTS = ['acc-1', 'acc-2'];
const up = (await fleetServersUp()) && (await ownPostgresAvailable());

/**
 * Defect 3 of issue #16: "PostgreSQL down ~7 s mid-replay: Redis 209 fills, PostgreSQL 201,
 * forever; nothing logged." The fleet's data, strategy, risk and order services run as processes on
 * the shared RabbitMQ and Redis, with their history in a PostgreSQL cluster of the test's own, which
 * is stopped (immediate shutdown, like a crash) for 7 s while fills are being written.
 */
describe.skipIf(!up)('fill history through a PostgreSQL outage', () => {
  const prefix = `e2epg${Date.now().toString(36)}`;
  const ns = namespace({ FLEET_PREFIX: prefix });
  let pg: OwnPostgres;
  let redis: Redis;
  let history: PostgresHistory;
  let fleet: Fleet | undefined;
  let statusBus: RabbitMqMessageBus | undefined;

  beforeAll(async () => {
    pg = await spawnPostgres();
    redis = new Redis('redis://127.0.0.1:6379');
    history = createPostgresHistory({ connectionString: pg.url, schema: ns.pgSchema, poolSize: 2 });
  });
  afterAll(async () => {
    // SIGKILL first: a graceful stop proves nothing here and takes 20 s on a loaded machine; stop()
    // then only closes the log files.
    for (const p of fleet?.processes ?? []) await fleet?.kill(p.name, p.replica);
    await fleet?.stop();
    await statusBus?.close();
    await history?.close();
    if (redis) {
      await cleanUp(redis, prefix);
      redis.disconnect();
    }
    await pg?.cleanup();
  });

  it('writes every fill the fleet booked to PostgreSQL once it is back, and logs the outage', async () => {
    const orderLog: Record<string, unknown>[] = [];
    fleet = await startFleet({
      strategyReplicas: 1,
      services: ['risk', 'order', 'strategy', 'data'],
      env: {
        FLEET_PREFIX: prefix,
        PG_URL: pg.url,
        SYMBOLS: '2',
        BARS: '600',
        ACCOUNTS: ACCOUNTS.map((a, i) => `${a}:${i + 1}`).join(','),
        // Short averages: a fill every few bars from the first ones on.
        STRATEGIES: JSON.stringify([
          {
            id: 'sma',
            module: 'examples/sma-crossover/src/strategy.ts',
            params: { fast: 2, slow: 5, quantity: 10 },
          },
        ]),
        // 1,200 bars at 100 a second: a 12 s replay around a 7 s outage.
        REPLAY_BARS_PER_SECOND: '100',
      },
      logDir: join(tmpdir(), 'rxtrade-e2e', prefix),
      onLog: (service, line) => {
        if (service === 'order') orderLog.push(line);
      },
    });

    // Risk says when an account has seen its last bar, and how many fills it booked by then.
    const finished = new Map<string, number>();
    statusBus = await createRabbitMqMessageBus({ url: AMQP_URL, exchange: ns.exchange });
    await statusBus.subscribe(fleetTopics.status, (message) => {
      if (message.type !== 'AccountFinished') return;
      const { payload } = decodeFleetMessage(message, ['AccountFinished']);
      finished.set(payload.accountId, payload.fills);
    });

    // What the fleet booked: the risk role's read model in Redis (what the gateway lists).
    const views = new RiskViews(
      createRedisStateStore({ client: redis }, { prefix: ns.redisPrefix }),
      RISK_VIEW_PREFIX,
    );
    const booked = async (): Promise<Fill[]> => {
      const all: Fill[] = [];
      for (const accountId of ACCOUNTS) {
        let cursor: string | undefined;
        do {
          const page = await views.fills(accountId, { limit: 1_000, ...(cursor ? { cursor } : {}) });
          all.push(...page.items);
          cursor = page.cursor;
        } while (cursor !== undefined);
      }
      return all;
    };
    const replayDone = async () => (await redis.hget(`${ns.redisPrefix}state:data-progress`, 'done')) === '1';

    await until('10 fills booked', async () => (await booked()).length >= 10, 60_000);
    await pg.stop();
    const stoppedWith = (await booked()).length;
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    const duringOutage = (await booked()).length;
    await pg.start();
    expect(await replayDone()).toBe(false);
    // Fills went on while PostgreSQL was down: those are the rows an outage used to lose.
    expect(duringOutage).toBeGreaterThan(stoppedWith);

    await until('every account finished', async () => finished.size === ACCOUNTS.length, 90_000);
    const total = [...finished.values()].reduce((a, b) => a + b, 0);
    const tradeIds = (fills: readonly Fill[]) => fills.map((f) => `${f.accountId}|${f.tradeId}`).sort();
    let stored: string[] = [];
    let inRedis: string[] = [];
    await until(
      'PostgreSQL and the read model hold every fill',
      async () => {
        inRedis = tradeIds(await booked());
        stored = tradeIds(await history.fills.list(ns.runId).catch(() => []));
        return inRedis.length === total && stored.length === total;
      },
      30_000,
    ).catch(() => undefined);
    expect(inRedis).toHaveLength(total);
    expect(stored).toEqual(inRedis);
    expect((await history.fills.totals(ns.runId)).fills).toBe(total);

    // Not silent: the order service said its history writes failed, and when they landed again.
    const said = (msg: string) => orderLog.some((l) => l['msg'] === msg);
    expect(said('postgres: history write failed; retrying until it lands')).toBe(true);
    expect(said('postgres: history write landed after failures')).toBe(true);
  });
});
