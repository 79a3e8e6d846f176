import { createPostgresHistory, type PostgresHistory } from '@rxtrade/postgres';
import { createRedisMarketDataCache, type RedisMarketDataCache } from '@rxtrade/redis';
import type { ServiceContext } from './harness';

/** The fleet's Redis cache of recent bars per symbol, on the service's connection, closed at stop. */
export function openBarCache(ctx: ServiceContext): RedisMarketDataCache {
  const cache = createRedisMarketDataCache(
    { client: ctx.redis },
    { prefix: ctx.ns.redisPrefix, maxBars: ctx.config.CACHE_BARS },
  );
  ctx.onStop(() => cache.close());
  return cache;
}

/** The fleet's PostgreSQL history in the run's schema, migrated, closed at stop. */
export async function openHistory(ctx: ServiceContext, poolSize: number): Promise<PostgresHistory> {
  const history = createPostgresHistory({
    connectionString: ctx.config.PG_URL,
    schema: ctx.ns.pgSchema,
    poolSize,
  });
  ctx.onStop(() => history.close());
  await history.migrate();
  return history;
}
