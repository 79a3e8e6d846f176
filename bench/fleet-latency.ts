/**
 * Latency through the fleet on RabbitMQ at a steady bar rate, live mode (no barrier): data → strategy
 * ×2 → risk → order, each role replica on its own connection (in this process). Bars go out one per
 * message at FLEET_RATE bars/s (default 1,000) over FLEET_SYMBOLS symbols (default 4); a strategy on
 * each symbol buys every 10th bar and closes 5 bars later (market orders). Measured per order:
 * bar published → the order role receives the order placed on it; and per fill: the bar that fills it
 * published → the fill applied and sent by the order role. The simulated venue is bar-driven: a market
 * order placed on bar t fills on bar t+1, so an order's fill comes one bar interval after the bar
 * (1 / rate per symbol) plus the latency measured here. As the services run it, frames are kept in a
 * Redis journal before they are published (and so travel transient) and the roles journal their
 * inputs; each hop is timed from the bar's publish as the role's bus hands it a message (←) and as the
 * role publishes (→). One bar per symbol warms up first (each strategy replica subscribes to its
 * strategies' events on their first bar), untimed.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-latency.ts   (RABBITMQ_URL, REDIS_URL;
 *   FLEET_SECONDS default 8; FLEET_JOURNAL=0 no journal, frames persistent; FLEET_PERSISTENT_BARS=1
 *   journaled frames sent persistent anyway, for an A/B)
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  type Bar,
  BaseStrategy,
  type BusBatchHandler,
  type BusEnvelope,
  type BusHandler,
  type MessageBus,
} from '@rxtrade/core';
import { connect } from 'amqplib';
import {
  createRabbitMqMessageBus,
  deleteTopology,
  type RabbitMqMessageBus,
} from '../packages/adapters-rabbitmq/src/index';
import { createRedisStateStore } from '../packages/adapters-redis/src/index';
import {
  FleetJournal,
  fleetEnvelope,
  fleetTopics,
  OrderRole,
  RiskRole,
  StrategyRole,
  strategyClass,
  unbatch,
} from '../packages/fleet/src/index';
import { brokerCpuSeconds } from './fleet/broker-cpu';
import { benchBars, benchShape } from './fleet/heavy-plan';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const RATE = Number(process.env['FLEET_RATE'] ?? 1_000);
const SECONDS = Number(process.env['FLEET_SECONDS'] ?? 8);
const SYMBOLS = Number(process.env['FLEET_SYMBOLS'] ?? 4);
/** As the services run it: frames kept in a Redis journal before they are published, and the roles journaling their inputs. */
const JOURNAL = process.env['FLEET_JOURNAL'] !== '0';
/** Frames are transient when journaled (as `publishBars` sends them), unless this is set. */
const PERSISTENT_BARS = !JOURNAL || process.env['FLEET_PERSISTENT_BARS'] === '1';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const WARMUP = 0.1; // share of the timed run left out of the figures (JIT, first orders of each account)

/**
 * Buys every 10th bar of its symbol, closes 5 bars later; skips a turn while its last order works (a
 * second close sent before the first one's fill would leave it short, and it would trade no more).
 */
class Pulse extends BaseStrategy<Record<string, unknown>> {
  #n = 0;
  override onBar(): void {
    const i = this.#n++;
    if (this.context.openOrders().length > 0) return;
    if (i % 10 === 0 && this.position() === 0) this.buy(1);
    else if (i % 10 === 5 && this.position() > 0) this.close();
  }
}

try {
  await (await connect(url)).close();
} catch {
  console.log(`target: bar → order p50 ≤ 3 ms, p99 ≤ 15 ms → MISSED (no broker at ${url})`);
  process.exit(0);
}

const shape = benchShape(SYMBOLS);
const perSymbol = Math.ceil((RATE * SECONDS) / SYMBOLS);
const bars = benchBars(shape.symbols, perSymbol);
const plan = {
  instruments: shape.instruments,
  accounts: shape.accounts,
  mode: 'live' as const,
  strategies: shape.symbols.map((s) => ({
    id: `pulse-${s}`,
    symbol: s,
    accountId: `acct-${s}`,
    create: strategyClass(Pulse),
  })),
};
const publishedAt = new Map<string, number>();
const toOrder: number[] = [];
const toFill: number[] = [];
const warmTs = (bars[Math.floor(bars.length * WARMUP)] as Bar).ts;

/** Per hop (role, in or out, message type): ms from the bar's publish, for bars after the warm-up. */
const hops = new Map<string, number[]>();
const hopOrder: string[] = [];

/** The bar a message is about: each bar of a frame, an order's mark, a fill's bar. */
function barsOf(message: BusEnvelope): string[] {
  const payload = message.payload as {
    bars?: { symbol: string; ts: number }[];
    mark?: { symbol: string; ts: number };
    instrumentId?: string;
    tsEvent?: number;
  };
  if (message.type === 'BarFrame') return (payload.bars ?? []).map((b) => `${b.symbol}:${b.ts}`);
  if (message.type === 'SubmitOrder' && payload.mark) return [`${payload.mark.symbol}:${payload.mark.ts}`];
  if (message.type === 'OrderFilled') return [`${payload.instrumentId}:${payload.tsEvent}`];
  return [];
}

function record(hop: string, message: BusEnvelope, now: number): void {
  for (const inner of unbatch(message)) {
    if (inner.type !== 'BarFrame' && inner.type !== 'SubmitOrder' && inner.type !== 'OrderFilled') continue;
    for (const bar of barsOf(inner)) {
      const at = publishedAt.get(bar);
      if (at === undefined || Number(bar.slice(bar.lastIndexOf(':') + 1)) < warmTs) continue;
      const name = `${hop} ${inner.type}`;
      let xs = hops.get(name);
      if (xs === undefined) {
        xs = [];
        hops.set(name, xs);
        hopOrder.push(name);
      }
      xs.push(now - at);
      if (name === 'order ← SubmitOrder') toOrder.push(now - at);
      if (name === 'order → OrderFilled') toFill.push(now - at);
    }
  }
}

/** A role's bus, recording when each message about a bar arrives (before its handler runs) and leaves. */
function probed(role: string, bus: MessageBus): MessageBus {
  return new Proxy(bus, {
    get(target, property, receiver) {
      if (property === 'subscribeBatches') {
        return (pattern: string, handler: BusBatchHandler, options?: object) =>
          (target.subscribeBatches as NonNullable<MessageBus['subscribeBatches']>)(
            pattern,
            (deliveries) => {
              const now = performance.now();
              for (const { message } of deliveries) record(`${role} ←`, message, now);
              return handler(deliveries);
            },
            options,
          );
      }
      if (property === 'subscribe') {
        return (pattern: string, handler: BusHandler, options?: object) =>
          target.subscribe(
            pattern,
            (message, context) => {
              record(`${role} ←`, message, performance.now());
              return handler(message, context);
            },
            options,
          );
      }
      if (property === 'publish') {
        return (topic: string, message: BusEnvelope, options?: { key?: string }) => {
          record(`${role} →`, message, performance.now());
          return target.publish(topic, message, options);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

const exchange = `rxt-bench-fleet-lat-${randomBytes(4).toString('hex')}`;
const store = JOURNAL ? createRedisStateStore({ url: redisUrl }, { prefix: `${exchange}:` }) : undefined;
const journal = store ? new FleetJournal(store, 'fleet') : undefined;
const buses: RabbitMqMessageBus[] = [];
const bus = async (name: string) => {
  const b = await createRabbitMqMessageBus({
    url,
    exchange,
    connectionName: `${exchange}-${name}`,
    queueType: 'classic',
    partitions: 4,
    rebalanceIntervalMs: 200,
  });
  buses.push(b);
  return b;
};
const settled = async (): Promise<void> => {
  for (let i = 0; i < 300; i++) {
    const held = new Map<string, number[]>();
    for (const b of buses)
      for (const [group, partitions] of Object.entries(b.stats().partitions))
        held.set(group, [...(held.get(group) ?? []), partitions.length]);
    const even = [...held.values()].every(
      (c) => c.reduce((a, x) => a + x, 0) === 4 && Math.max(...c) <= Math.ceil(4 / c.length),
    );
    if (even) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('consumer groups did not settle');
};

const roles: { stop(): Promise<void> }[] = [];
let load = 0;
try {
  const withJournal = journal ? { journal } : {};
  const order = new OrderRole({
    bus: probed('order', await bus('order')),
    plan,
    replicaId: `${exchange}-0`,
    ...withJournal,
  });
  const risk = new RiskRole({ bus: probed('risk', await bus('risk')), plan, ...withJournal });
  const strategies = [
    new StrategyRole({ bus: probed('strategy', await bus('s0')), plan, ...withJournal }),
    new StrategyRole({ bus: probed('strategy', await bus('s1')), plan, ...withJournal }),
  ];
  for (const role of [order, risk, ...strategies]) {
    await role.start();
    roles.push(role);
  }
  await settled();
  const data = await bus('data');
  const seq = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const publishBar = (index: number): void => {
    const bar = bars[index] as Bar;
    const n = seq.get(bar.symbol) ?? 0;
    seq.set(bar.symbol, n + 1);
    const last = index >= bars.length - SYMBOLS;
    publishedAt.set(`${bar.symbol}:${bar.ts}`, performance.now());
    const frame = { symbol: bar.symbol, seq: n, bars: [bar], last };
    // As publishBars: in the journal first (Redis keeps one connection's commands in order), then published.
    const p = (journal ? journal.putFrame(frame) : Promise.resolve()).then(() =>
      data.publish(
        fleetTopics.bars(bar.symbol),
        fleetEnvelope('BarFrame', frame, { id: `bars:${bar.symbol}:${n}`, ts: Date.now() }),
        { key: bar.symbol, persistent: PERSISTENT_BARS || last },
      ),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  // Warm-up, not timed: each strategy replica takes a symbol on its first frame and only then
  // subscribes to its strategies' events (a consumer group of their own), and the order role takes an
  // account on its first message. One bar per symbol, then wait until every such group is settled.
  for (let i = 0; i < SYMBOLS; i++) publishBar(i);
  const eventGroups = () =>
    buses.reduce(
      (n, b) =>
        n + Object.keys(b.stats().partitions).filter((g) => g.startsWith('fleet-strategy-events-')).length,
      0,
    );
  for (let i = 0; i < 300 && eventGroups() < SYMBOLS; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await settled();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  load = loadavg()[0] ?? 0;
  const cpu0 = process.cpuUsage();
  const broker0 = brokerCpuSeconds();
  const start = performance.now();
  let sent = SYMBOLS;
  while (sent < bars.length) {
    const due = Math.min(bars.length, SYMBOLS + Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
    for (; sent < due; sent++) publishBar(sent);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const broker1 = brokerCpuSeconds();
  await Promise.all(inFlight);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  const f = (x: number) => x.toFixed(1);
  console.log(
    `${bars.length - SYMBOLS} bars (after ${SYMBOLS} to warm up) over ${SYMBOLS} symbols at ${RATE} bars/s (achieved ${Math.round((bars.length - SYMBOLS) / (elapsed / 1000))}), ${JOURNAL ? 'frames and role inputs journaled in Redis' : 'no journal'}, bar frames ${PERSISTENT_BARS ? 'persistent' : 'transient'}, one bar per message, live mode, 2 strategy replicas, 1 risk, 1 order, classic queues; first ${WARMUP * 100} % left out; load average ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
  );
  console.log('');
  console.log('| measure | samples | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, xs] of [
    ['bar published → order received by the order role', toOrder],
    ['bar published → its fill applied and sent by the order role', toFill],
  ] as const) {
    console.log(
      `| ${name} | ${xs.length} | ${f(pct(xs, 50))} | ${f(pct(xs, 90))} | ${f(pct(xs, 99))} | ${f(Math.max(...xs))} |`,
    );
  }
  console.log('');
  console.log(
    "Per hop (ms from the bar's publish; ← when the role's bus hands it the message, → when the role publishes):",
  );
  console.log('');
  console.log('| hop | samples | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|');
  for (const name of hopOrder) {
    const xs = hops.get(name) ?? [];
    console.log(`| ${name} | ${xs.length} | ${f(pct(xs, 50))} | ${f(pct(xs, 99))} |`);
  }
  console.log('');
  const seconds = elapsed / 1000;
  console.log(
    `CPU while publishing: this process (every role) ${((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)} cores, RabbitMQ ${broker0 === undefined || broker1 === undefined ? 'not measured' : `${((broker1 - broker0) / seconds).toFixed(2)} cores`}`,
  );
  console.log('');
  const okOrder = pct(toOrder, 50) <= 3 && pct(toOrder, 99) <= 15;
  console.log(
    `target: at ${RATE} bars/s, bar → order at the order role p50 ≤ 3 ms, p99 ≤ 15 ms → ${okOrder ? 'MET' : toOrder.length === 0 ? 'MISSED (no order reached the order role in the timed window: the fleet fell behind)' : `MISSED (p50 ${f(pct(toOrder, 50))} ms, p99 ${f(pct(toOrder, 99))} ms)`}`,
  );
  const okFill = pct(toFill, 99) <= 25;
  console.log(
    `target: at ${RATE} bars/s, bar → fill applied p99 ≤ 25 ms (plus one bar interval of the bar-driven venue) → ${okFill ? 'MET' : toFill.length === 0 ? 'MISSED (no fill in the timed window)' : `MISSED (p99 ${f(pct(toFill, 99))} ms)`}`,
  );
} finally {
  for (const role of roles.reverse()) await role.stop();
  await journal?.clear();
  await store?.close();
  const topologies = buses.map((b) => b.topology());
  await Promise.all(buses.map((b) => b.close()));
  await deleteTopology({
    url,
    exchange,
    queues: topologies.flatMap((t) => t.queues),
    exchanges: topologies.flatMap((t) => t.exchanges),
  });
}
