/**
 * One strategy or order replica of bench/fleet-scale.ts's plan as its own process. Environment:
 * FLEET_ROLE (`strategy` or `order`), FLEET_EXCHANGE, FLEET_REPLICA, FLEET_SYMBOLS, FLEET_SYMBOL_NAMES
 * (comma-separated), RABBITMQ_URL; a strategy replica runs `HeavyIndicators` (FLEET_INDICATORS,
 * FLEET_MODEL), an order replica runs `EveryBar`'s accounts on a `CostlyVenue` (FLEET_WORK).
 * Prints `share <partitions>` each time its share of its group changes, and `cpu <ms> units <n>` (user
 * + system CPU since the last change; bars run, or orders sent to the venue) when stopped with SIGTERM.
 */
import { defineInstrument } from '@rxtrade/core';
import { createRabbitMqMessageBus } from '../../packages/adapters-rabbitmq/src/index';
import { OrderRole, StrategyRole } from '../../packages/fleet/src/index';
import { benchPlan, CostlyVenue, ROLE_GROUPS } from './heavy-plan';

const role = process.env['FLEET_ROLE'] === 'order' ? 'order' : 'strategy';
const exchange = process.env['FLEET_EXCHANGE'] as string;
const replica = process.env['FLEET_REPLICA'] ?? '0';
const plan = benchPlan({
  symbols: Number(process.env['FLEET_SYMBOLS'] ?? 8),
  ...(process.env['FLEET_SYMBOL_NAMES'] ? { names: process.env['FLEET_SYMBOL_NAMES'].split(',') } : {}),
  strategy: role === 'order' ? 'every-bar' : 'heavy',
  indicators: Number(process.env['FLEET_INDICATORS'] ?? 200),
  model: Number(process.env['FLEET_MODEL'] ?? 0),
});
const bus = await createRabbitMqMessageBus({
  url: process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
  exchange,
  connectionName: `${exchange}-${role}-${replica}`,
  queueType: 'classic',
  partitions: 4,
});
const venues: CostlyVenue[] = [];
const work = Number(process.env['FLEET_WORK'] ?? 0);
const running =
  role === 'order'
    ? new OrderRole({
        bus,
        plan,
        replicaId: `${exchange}-order-${replica}`,
        execution: (_accountId, clock) => {
          const venue = new CostlyVenue({ instruments: plan.instruments.map(defineInstrument), clock, work });
          venues.push(venue);
          return venue;
        },
      })
    : new StrategyRole({ bus, plan });
await running.start();
// The bus's stats name a group subscription `<group> <pattern>`.
const group = `${ROLE_GROUPS[role].group} ${ROLE_GROUPS[role].pattern}`;
// The share of the group's partitions, printed each time it changes; the CPU is counted from the last change.
let cpu0 = process.cpuUsage();
let last = -1;
const watch = setInterval(() => {
  const share = (bus.stats().partitions[group] ?? []).length;
  if (share === last) return;
  last = share;
  cpu0 = process.cpuUsage();
  process.stdout.write(`share ${share}\n`);
}, 100);
process.on('SIGTERM', () => {
  clearInterval(watch);
  const cpu = process.cpuUsage(cpu0);
  const units =
    running instanceof StrategyRole ? running.stats().bars : venues.reduce((n, v) => n + v.orders, 0);
  void (async () => {
    process.stdout.write(`cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} units ${units}\n`);
    await running.stop();
    await bus.close();
    process.exit(0);
  })();
});
