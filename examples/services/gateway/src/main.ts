import { ResolvedPlan } from '@rxtrade/fleet';
import {
  ApiKeyRecordSchema,
  createFleetBackend,
  createGatewayApp,
  createRedisKeyStore,
  createRedisRateLimiter,
} from '@rxtrade/fleet/gateway';
import { componentLogger } from '@rxtrade/logging';
import { createEventLoopMonitor } from '@rxtrade/prometheus';
import { fleetPlan, GATEWAY_STRATEGY_ID, RISK_VIEW_PREFIX } from '../../shared/src/fleet-plan';
import { main } from '../../shared/src/harness';

/**
 * Gateway process: the HTTP app (`createGatewayApp`, API keys, rate limits, SSE) over the fleet
 * backend: orders, cancels and holds go to the risk role on the bus, reads come from the risk role's
 * read model in Redis, a page at a time. Keys are stored hashed in Redis;
 * `GATEWAY_BOOTSTRAP_KEY_RECORD` (a key record: id, SHA-256 hash, scopes — never the key itself)
 * installs a first key, which is how `npm run services` hands out one. While Redis or the broker is
 * away (or stalled) requests are answered 503 with `Retry-After`; `/health` is 503 while the event
 * loop stalls.
 */
main('gateway', async (ctx) => {
  const { config, ns, logger, bus, store, redis, metrics } = ctx;
  const plan = new ResolvedPlan(fleetPlan(config));
  const eventLoop = createEventLoopMonitor({ logger, metrics });
  ctx.onStop(() => eventLoop.stop());
  const backend = await createFleetBackend({
    bus,
    store,
    viewPrefix: RISK_VIEW_PREFIX,
    strategyId: GATEWAY_STRATEGY_ID,
    accounts: [...plan.accounts.keys()],
    instruments: [...plan.instruments.values()],
    strategies: plan.strategies.map((s) => ({ id: s.id, symbols: [s.symbol] })),
    ready: () => ({ broker: bus.stats().connected, redis: redis.status === 'ready' }),
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
    // With METRICS_PORT the harness serves /metrics on that port; the public port never does.
    metricsRoute: config.METRICS_PORT === undefined,
    eventLoop,
  });
  ctx.onStop(() => backend.close());
  ctx.onStop(() => app.close());
  await app.listen({ port: config.HTTP_PORT, host: config.HTTP_HOST });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : config.HTTP_PORT };
});
