import { type Bar, type BaseStrategy, type Fill, runBacktest, type StrategyOptions } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BreakoutAtr } from '../../../examples/breakout-atr/src/strategy';
import { RsiMeanReversion } from '../../../examples/rsi-mean-reversion/src/strategy';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import {
  deleteTopology,
  RABBIT_URL,
  rabbitAvailable,
  uniqueName,
} from '../../adapters-rabbitmq/test/support/broker';
import { strategyClass } from './plan';
import { type FleetRoleName, runFleet } from './run-fleet';

const up = await rabbitAvailable();
const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
type Class = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;
const trade = (f: Fill) => ({ ts: f.tsEvent, side: f.side, px: f.lastPx, qty: f.lastQty, fee: f.fee });

describe.skipIf(!up)('the fleet on RabbitMQ, every role replica on its own connection', () => {
  let bars: Bar[];
  const buses: RabbitMqMessageBus[] = [];
  beforeAll(async () => {
    // Five years keep a run on a shared 2-core broker short; the in-memory suite runs all twenty.
    bars = (await loadSp500Bars()).slice(0, 1_260);
  });
  afterEach(async () => {
    await deleteTopology(...buses.splice(0).map((bus) => bus.topology()));
  });

  const connectFor = (exchange: string) => async (role: FleetRoleName, replica: number) => {
    const bus = await createRabbitMqMessageBus({
      url: RABBIT_URL,
      exchange,
      connectionName: `${exchange}-${role}-${replica}`,
      queueType: 'classic',
      partitions: 4,
      rebalanceIntervalMs: 200,
    });
    buses.push(bus);
    return bus;
  };

  /** Until each consumer group's partitions are all held, none by a member over its share. */
  const settled = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const held = new Map<string, number[]>();
      for (const bus of buses) {
        for (const [group, partitions] of Object.entries(bus.stats().partitions)) {
          held.set(group, [...(held.get(group) ?? []), partitions.length]);
        }
      }
      const even = [...held.values()].every(
        (counts) =>
          counts.reduce((a, b) => a + b, 0) === 4 && Math.max(...counts) <= Math.ceil(4 / counts.length),
      );
      if (even) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('consumer groups did not settle');
  };

  it('several accounts and strategies over 3 strategy, 2 risk and 2 order replicas: a backtest’s fills', async () => {
    const accounts = [
      { id: 'a', initialCash: 100_000 },
      { id: 'b', initialCash: 50_000 },
    ];
    const make = () => [
      new SmaCrossover({ id: 'sma-a', symbols: [instrument.id], accountId: 'a' }),
      new RsiMeanReversion({ id: 'rsi-a', symbols: [instrument.id], accountId: 'a' }),
      new BreakoutAtr({ id: 'atr-b', symbols: [instrument.id], accountId: 'b' }),
    ];
    const backtest = await runBacktest({
      strategies: make(),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts,
        strategies: make().map((s) => ({
          id: s.id,
          symbol: instrument.id,
          accountId: s.accountId as string,
          create: strategyClass(s.constructor as Class),
        })),
      },
      data: bars,
      frameSize: 100,
      connect: connectFor(uniqueName('fleet-parity')),
      replicas: { strategy: 3, risk: 2, order: 2 },
      settle: settled,
      timeoutMs: 240_000,
    });
    expect(backtest.fills.length).toBeGreaterThan(20);
    const of = (fills: readonly Fill[], account: string) =>
      fills.filter((f) => f.accountId === account).map(trade);
    for (const { id } of accounts) expect(of(fleet.fills, id)).toEqual(of(backtest.fills, id));
    expect(fleet.accounts).toEqual(backtest.accounts);
  });
});
