/**
 * One fleet role replica as its own process, for tests that SIGKILL it: the parity plan's roles on
 * RabbitMQ (its own connection) with their journals in Redis. Environment: FLEET_ROLE (strategy, risk
 * or order), FLEET_REPLICA, FLEET_EXCHANGE, FLEET_NAMESPACE, RABBITMQ_URL, REDIS_URL, FLEET_PREFIX.
 * Logs JSON lines on stdout; prints {"msg":"ready"} once subscribed.
 */
import type { Logger } from '@rxtrade/core';
import { createRabbitMqMessageBus } from '@rxtrade/rabbitmq';
import { createRedisStateStore } from '@rxtrade/redis';
import { FleetJournal } from '../src/journal';
import { OrderRole } from '../src/order-role';
import { RiskRole } from '../src/risk-role';
import { StrategyRole } from '../src/strategy-role';
import { fleetPlan } from './parity-plan';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

function jsonLogger(bindings: Record<string, unknown>): Logger {
  const line =
    (level: string) =>
    (fields: object | string, message?: string): void => {
      const body = typeof fields === 'string' ? { msg: fields } : { ...fields, msg: message };
      process.stdout.write(`${JSON.stringify({ level, ...bindings, ...body })}\n`);
    };
  return {
    debug: () => {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => jsonLogger({ ...bindings, ...more }),
  };
}

const role = env('FLEET_ROLE');
const replica = env('FLEET_REPLICA');
const exchange = env('FLEET_EXCHANGE');
const logger = jsonLogger({ role, replica });
const bus = await createRabbitMqMessageBus({
  url: env('RABBITMQ_URL'),
  exchange,
  connectionName: `${exchange}-${role}-${replica}`,
  queueType: 'classic',
  partitions: 4,
  rebalanceIntervalMs: 200,
});
const store = createRedisStateStore({ url: env('REDIS_URL') }, { prefix: env('FLEET_PREFIX') });
const journal = new FleetJournal(store, env('FLEET_NAMESPACE'));
const plan = fleetPlan();
const started =
  role === 'strategy'
    ? new StrategyRole({ bus, plan, journal, logger })
    : role === 'order'
      ? new OrderRole({ bus, plan, journal, logger, replicaId: `${exchange}-${replica}` })
      : new RiskRole({ bus, plan, journal, logger });
await started.start();
// Ready once this replica's share of each consumer group has stopped changing for a second (the
// groups rebalance as replicas join; a partition must not move from a live replica mid-run).
let last = '';
let stableSince = Date.now();
while (Date.now() - stableSince < 1_000) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const now = JSON.stringify(bus.stats().partitions);
  if (now !== last) {
    last = now;
    stableSince = Date.now();
  }
}
logger.info({ partitions: bus.stats().partitions }, 'ready');
process.on('SIGTERM', () => {
  void (async () => {
    await started.stop();
    await bus.close();
    await store.close();
    process.exit(0);
  })();
});
