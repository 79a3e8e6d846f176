/**
 * What the fleet's barrier costs: the same strategy over the S&P 500 daily bars (5,105) run by
 * `runBacktest`, by the fleet on the in-memory bus, and by the fleet on RabbitMQ (each role replica
 * on its own connection), with the share of bars on which the strategy waited for the order role.
 * The SMA crossover holds nothing working between signals; the ATR breakout keeps a stop working
 * whenever it is in the market. Fills are checked equal to the backtest's on every run.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet.ts   (RABBITMQ_URL; BENCH_RUNS, default 3: best of)
 */
import { randomBytes } from 'node:crypto';
import { type BaseStrategy, type Fill, runBacktest, type StrategyOptions } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { connect } from 'amqplib';
import { BreakoutAtr } from '../examples/breakout-atr/src/strategy';
import { SmaCrossover } from '../examples/sma-crossover/src/strategy';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '../packages/adapters-rabbitmq/src/index';
import { type FleetRunResult, runFleet, strategyClass } from '../packages/fleet/src/index';
import { rabbitUp } from './fleet/replay';

type Class = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;
const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
const bars = await loadSp500Bars();
const key = (f: Fill) => `${f.tsEvent}|${f.side}|${f.lastPx}|${f.lastQty}`;

async function removeTopology(buses: RabbitMqMessageBus[]): Promise<void> {
  const connection = await connect(url);
  for (const { queues, exchanges } of buses.map((b) => b.topology())) {
    for (const name of queues) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel.deleteQueue(name).catch(() => {});
      await channel.close().catch(() => {});
    }
    for (const name of exchanges) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel.deleteExchange(name).catch(() => {});
      await channel.close().catch(() => {});
    }
  }
  await connection.close();
}

async function best<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let out: { ms: number; result: T } | undefined;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = await run();
    const ms = performance.now() - start;
    if (out === undefined || ms < out.ms) out = { ms, result };
  }
  return out as { ms: number; result: T };
}

const up = await rabbitUp(url);
console.log(`| strategy | runner | ms (best of ${RUNS}) | bars/s | bars waited | same fills |`);
console.log('|---|---|---:|---:|---:|---|');
for (const [name, Strategy] of [
  ['SMA crossover', SmaCrossover],
  ['ATR breakout', BreakoutAtr],
] as [string, Class][]) {
  const plan = {
    instruments: [instrument],
    accounts: [{ id: 'main', initialCash: 100_000 }],
    strategies: [{ id: 's', symbol: instrument.id, accountId: 'main', create: strategyClass(Strategy) }],
  };
  const backtest = await best(() =>
    runBacktest({
      strategies: new Strategy({ id: 's', symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts: plan.accounts,
    }),
  );
  const expected = backtest.result.fills.map(key).join();
  const row = (runner: string, ms: number, result?: FleetRunResult) => {
    const waited = result ? `${result.barrier.waited} of ${result.barrier.bars}` : '—';
    const same = result ? (result.fills.map(key).join() === expected ? 'yes' : 'NO') : 'reference';
    console.log(
      `| ${name} | ${runner} | ${ms.toFixed(0)} | ${Math.round(bars.length / (ms / 1000))} | ${waited} | ${same} |`,
    );
  };
  row('runBacktest', backtest.ms);
  const memory = await best(() => runFleet({ plan, data: bars }));
  row('fleet, in-memory bus', memory.ms, memory.result);
  if (!up) {
    console.log(`| ${name} | fleet, RabbitMQ | skipped: no broker at ${url} | | | |`);
    continue;
  }
  const rabbit = await best(async () => {
    const buses: RabbitMqMessageBus[] = [];
    const exchange = `rxt-bench-fleet-${randomBytes(4).toString('hex')}`;
    try {
      return await runFleet({
        plan,
        data: bars,
        connect: async (role, replica) => {
          const bus = await createRabbitMqMessageBus({
            url,
            exchange,
            connectionName: `${exchange}-${role}-${replica}`,
            queueType: 'classic',
            partitions: 4,
          });
          buses.push(bus);
          return bus;
        },
      });
    } finally {
      await removeTopology(buses);
    }
  });
  row('fleet, RabbitMQ (a connection per role)', rabbit.ms, rabbit.result);
}
