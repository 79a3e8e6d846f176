/**
 * One strategy replica of a fleet benchmark's plan as its own process (bench/fleet-scale.ts spawns
 * them). Environment: FLEET_EXCHANGE, FLEET_REPLICA, FLEET_SYMBOLS, FLEET_INDICATORS, RABBITMQ_URL.
 * Prints `ready <partitions>` once its share of the strategy group stopped changing, and `cpu <ms>`
 * (user + system) when stopped with SIGTERM.
 */
import { createRabbitMqMessageBus } from '../../packages/adapters-rabbitmq/src/index';
import { StrategyRole, strategyClass } from '../../packages/fleet/src/index';
import { benchShape, HeavyIndicators } from './heavy-plan';

const exchange = process.env['FLEET_EXCHANGE'] as string;
const replica = process.env['FLEET_REPLICA'] ?? '0';
const shape = benchShape(Number(process.env['FLEET_SYMBOLS'] ?? 8));
const indicators = Number(process.env['FLEET_INDICATORS'] ?? 200);
const bus = await createRabbitMqMessageBus({
  url: process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
  exchange,
  connectionName: `${exchange}-strategy-${replica}`,
  queueType: 'classic',
  partitions: 4,
  rebalanceIntervalMs: 200,
});
const role = new StrategyRole({
  bus,
  plan: {
    instruments: shape.instruments,
    accounts: shape.accounts,
    strategies: shape.symbols.map((s) => ({
      id: `heavy-${s}`,
      symbol: s,
      accountId: `acct-${s}`,
      params: { indicators },
      create: strategyClass(HeavyIndicators),
    })),
  },
});
await role.start();
let last = '';
let stableSince = Date.now();
while (Date.now() - stableSince < 1_000) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const now = JSON.stringify(bus.stats().partitions['fleet-strategy'] ?? []);
  if (now !== last) {
    last = now;
    stableSince = Date.now();
  }
}
const cpu0 = process.cpuUsage();
process.stdout.write(`ready ${(bus.stats().partitions['fleet-strategy'] ?? []).length}\n`);
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpu0);
  void (async () => {
    process.stdout.write(`cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} bars ${role.stats().bars}\n`);
    await role.stop();
    await bus.close();
    process.exit(0);
  })();
});
