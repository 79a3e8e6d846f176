/**
 * Latency through the fleet on RabbitMQ at a steady bar rate, live mode (no barrier): data → strategy
 * ×2 → risk → order, each role replica on its own connection (in this process). Bars go out one per
 * message at FLEET_RATE bars/s (default 1,000) over FLEET_SYMBOLS symbols (default 4); a strategy on
 * each symbol buys every 10th bar and closes 5 bars later (market orders). Measured per order:
 * bar published → the order role receives the order placed on it; and per fill: the bar that fills it
 * published → the fill applied and sent by the order role. The simulated venue is bar-driven: a market
 * order placed on bar t fills on bar t+1, so an order's fill comes one bar interval after the bar
 * (1 / rate per symbol) plus the latency measured here.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-latency.ts   (RABBITMQ_URL; FLEET_SECONDS default 8)
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  type Bar,
  BaseStrategy,
  type BusBatchHandler,
  type BusEnvelope,
  type MessageBus,
} from '@rxtrade/core';
import { connect } from 'amqplib';
import {
  createRabbitMqMessageBus,
  deleteTopology,
  type RabbitMqMessageBus,
} from '../packages/adapters-rabbitmq/src/index';
import {
  fleetEnvelope,
  fleetTopics,
  OrderRole,
  RiskRole,
  StrategyRole,
  strategyClass,
  unbatch,
} from '../packages/fleet/src/index';
import { benchBars, benchShape } from './fleet/heavy-plan';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const RATE = Number(process.env['FLEET_RATE'] ?? 1_000);
const SECONDS = Number(process.env['FLEET_SECONDS'] ?? 8);
const SYMBOLS = Number(process.env['FLEET_SYMBOLS'] ?? 4);
const WARMUP = 0.3; // share of the run left out of the figures (each strategy replica subscribes to its strategies' events on their first bar)

/** Buys every 10th bar of its symbol, closes 5 bars later. */
class Pulse extends BaseStrategy<Record<string, unknown>> {
  #n = 0;
  override onBar(): void {
    const i = this.#n++;
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

/** The order role's bus, timing what it receives (orders) and sends (fills). */
function timed(bus: MessageBus): MessageBus {
  return new Proxy(bus, {
    get(target, property, receiver) {
      if (property === 'subscribeBatches') {
        // The order role takes its inbox in batches: each submit is timed as it arrives (inside a
        // fleet Batch message too), before the batch is handled.
        return (pattern: string, handler: BusBatchHandler, options?: object) =>
          (target.subscribeBatches as NonNullable<MessageBus['subscribeBatches']>)(
            pattern,
            (deliveries) => {
              const now = performance.now();
              for (const { message } of deliveries) {
                for (const inner of unbatch(message)) {
                  if (inner.type !== 'SubmitOrder') continue;
                  const mark = (inner.payload as { mark?: { symbol: string; ts: number } }).mark;
                  const at = mark && publishedAt.get(`${mark.symbol}:${mark.ts}`);
                  if (mark && at !== undefined && mark.ts >= warmTs) toOrder.push(now - at);
                }
              }
              return handler(deliveries);
            },
            options,
          );
      }
      if (property === 'publish') {
        return (topic: string, message: BusEnvelope, options?: { key?: string }) => {
          if (message.type === 'OrderFilled') {
            const fill = message.payload as { instrumentId: string; tsEvent: number };
            const at = publishedAt.get(`${fill.instrumentId}:${fill.tsEvent}`);
            if (at !== undefined && fill.tsEvent >= warmTs) toFill.push(performance.now() - at);
          }
          return target.publish(topic, message, options);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

const exchange = `rxt-bench-fleet-lat-${randomBytes(4).toString('hex')}`;
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
  const order = new OrderRole({ bus: timed(await bus('order')), plan, replicaId: `${exchange}-0` });
  const risk = new RiskRole({ bus: await bus('risk'), plan });
  const strategies = [
    new StrategyRole({ bus: await bus('s0'), plan }),
    new StrategyRole({ bus: await bus('s1'), plan }),
  ];
  for (const role of [order, risk, ...strategies]) {
    await role.start();
    roles.push(role);
  }
  await settled();
  // Warm the strategies' event subscriptions: each replica takes its symbols on their first frame.
  const data = await bus('data');
  load = loadavg()[0] ?? 0;
  const seq = new Map<string, number>();
  const start = performance.now();
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  while (sent < bars.length) {
    const due = Math.min(bars.length, Math.floor(((performance.now() - start) / 1000) * RATE) + 1);
    for (; sent < due; sent++) {
      const bar = bars[sent] as Bar;
      const n = seq.get(bar.symbol) ?? 0;
      seq.set(bar.symbol, n + 1);
      const last = sent >= bars.length - SYMBOLS;
      publishedAt.set(`${bar.symbol}:${bar.ts}`, performance.now());
      const p = data.publish(
        fleetTopics.bars(bar.symbol),
        fleetEnvelope(
          'BarFrame',
          { symbol: bar.symbol, seq: n, bars: [bar], last },
          { id: `bars:${bar.symbol}:${n}`, ts: Date.now() },
        ),
        { key: bar.symbol },
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const elapsed = performance.now() - start;
  await Promise.all(inFlight);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  const f = (x: number) => x.toFixed(1);
  console.log(
    `${bars.length} bars over ${SYMBOLS} symbols at ${RATE} bars/s (achieved ${Math.round(bars.length / (elapsed / 1000))}), one bar per message, live mode, 2 strategy replicas, 1 risk, 1 order, classic queues; first ${WARMUP * 100} % left out; load average ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
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
  const okOrder = pct(toOrder, 50) <= 3 && pct(toOrder, 99) <= 15;
  console.log(
    `target: at ${RATE} bars/s, bar → order at the order role p50 ≤ 3 ms, p99 ≤ 15 ms → ${okOrder ? 'MET' : `MISSED (p50 ${f(pct(toOrder, 50))} ms, p99 ${f(pct(toOrder, 99))} ms)`}`,
  );
  const okFill = pct(toFill, 99) <= 25;
  console.log(
    `target: at ${RATE} bars/s, bar → fill applied p99 ≤ 25 ms (plus one bar interval of the bar-driven venue) → ${okFill ? 'MET' : `MISSED (p99 ${f(pct(toFill, 99))} ms)`}`,
  );
} finally {
  for (const role of roles.reverse()) await role.stop();
  const topologies = buses.map((b) => b.topology());
  await Promise.all(buses.map((b) => b.close()));
  await deleteTopology({
    url,
    exchange,
    queues: topologies.flatMap((t) => t.queues),
    exchanges: topologies.flatMap((t) => t.exchanges),
  });
}
