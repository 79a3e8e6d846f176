import { componentLogger } from '@rxtrade/logging';
import { createFleetBackend } from '../../shared/src/fleet-backend';
import { main } from '../../shared/src/harness';
import { symbolNames } from '../../shared/src/replay-data';
import { openBarCache } from '../../shared/src/stores';
import { ApiKeyRecordSchema, createRedisKeyStore } from './api-keys';
import { createGatewayApp } from './app';
import { createRedisRateLimiter } from './rate-limit';

/**
 * Gateway process: the HTTP app (`createGatewayApp`, API keys, rate limits, SSE) over the fleet
 * backend (Redis reads, RabbitMQ request/reply to risk and order). Keys are stored hashed in Redis;
 * `GATEWAY_BOOTSTRAP_KEY_RECORD` (a key record: id, SHA-256 hash, scopes — never the key itself)
 * installs a first key, which is how `npm run services` hands out one.
 */
main('gateway', async (ctx) => {
  const { config, ns, logger, bus, store, redis, metrics } = ctx;
  const cache = openBarCache(ctx);
  const backend = await createFleetBackend({
    bus,
    store,
    cache,
    accounts: config.ACCOUNTS.map((a) => a.id),
    symbols: symbolNames(config.SYMBOLS),
    redisReady: () => redis.status === 'ready',
  });
  const keyStore = createRedisKeyStore({ client: redis, prefix: `${ns.redisPrefix}gateway:` });
  const bootstrap = process.env['GATEWAY_BOOTSTRAP_KEY_RECORD'];
  if (bootstrap) await keyStore.put(ApiKeyRecordSchema.parse(JSON.parse(bootstrap)) as never);
  const app = createGatewayApp({
    backend,
    keys: keyStore,
    rateLimit: createRedisRateLimiter({
      client: redis,
      capacity: config.GATEWAY_RATE_CAPACITY,
      refillPerSecond: config.GATEWAY_RATE_PER_SECOND,
      prefix: `${ns.redisPrefix}gateway:`,
    }),
    logger: componentLogger(logger, 'http'),
    metrics,
  });
  ctx.onStop(() => cache.close());
  ctx.onStop(() => backend.close());
  ctx.onStop(() => app.close());
  await app.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : config.HTTP_PORT };
});
