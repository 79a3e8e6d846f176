import type { Logger, MessageBus, StateStore } from '@rxtrade/core';
import type { FleetPlan } from '../plan';
import { ResolvedPlan } from '../plan';

/** Where the risk role keeps the read model the gateway serves, inside the run's store prefix. */
export const FLEET_VIEW_PREFIX = 'view:';
/** The strategy id the gateway's orders carry (not a strategy of the plan). */
export const FLEET_GATEWAY_STRATEGY_ID = 'gateway';

/** Options of {@link startGatewayRole}. */
export interface GatewayRoleOptions {
  readonly bus: MessageBus & { stats(): { readonly connected: boolean } };
  /** The run's store (its prefix), where the risk role keeps the read model. */
  readonly store: StateStore;
  readonly plan: FleetPlan;
  readonly redisUrl: string;
  /** Key records and rate-limit buckets live under it (`<prefix>gateway:`). */
  readonly redisPrefix: string;
  readonly port: number;
  readonly host: string;
  /** A first key's record (its hash, never the key), installed before the port opens. */
  readonly bootstrapKey?: unknown;
  readonly logger: Logger;
}

/** A listening gateway (see {@link startGatewayRole}). */
export interface GatewayRole {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The gateway as a fleet role: `@rxtrade/fleet/gateway`'s app over {@link createFleetBackend} on the
 * run's bus and store — orders to the risk role of their account, reads from risk's read model — with
 * its API keys and rate-limit buckets in the run's Redis prefix. What `npm run services` runs as its
 * gateway process, wired for a `launchFleet` run.
 */
export async function startGatewayRole(options: GatewayRoleOptions): Promise<GatewayRole> {
  // Loaded here: fastify and prometheus are optional peers that only the gateway needs.
  const [gateway, { createRedisClient }] = await Promise.all([
    import('../gateway'),
    import('@rxtrade/redis'),
  ]);
  const plan = new ResolvedPlan(options.plan);
  const redis = createRedisClient(options.redisUrl);
  const prefix = `${options.redisPrefix}gateway:`;
  const backend = await gateway.createFleetBackend({
    bus: options.bus,
    store: options.store,
    viewPrefix: FLEET_VIEW_PREFIX,
    strategyId: FLEET_GATEWAY_STRATEGY_ID,
    accounts: [...plan.accounts.keys()],
    instruments: [...plan.instruments.values()],
    strategies: plan.strategies.map((s) => ({ id: s.id, symbols: [s.symbol] })),
    ready: () => ({ broker: options.bus.stats().connected, redis: redis.status === 'ready' }),
  });
  const keys = gateway.createRedisKeyStore({ client: redis, prefix });
  if (options.bootstrapKey !== undefined) await keys.put(gateway.parseApiKeyRecord(options.bootstrapKey));
  const app = gateway.createGatewayApp({
    backend,
    keys,
    rateLimit: gateway.createRedisRateLimiter({ client: redis, capacity: 50, refillPerSecond: 20, prefix }),
    logger: options.logger.child({ component: 'http' }),
  });
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    async stop() {
      await app.close();
      await backend.close();
      redis.disconnect();
    },
  };
}
