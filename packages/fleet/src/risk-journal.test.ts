import {
  type BaseStrategy,
  type BusBatchHandler,
  createMemoryMessageBus,
  createMemoryStateStore,
  type Fill,
  type MessageBus,
  runBacktest,
  type StrategyOptions,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { expect, it } from 'vitest';
import { BreakoutAtr } from '../../../examples/breakout-atr/src/strategy';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import { strategyClass } from './plan';
import { runFleet } from './run-fleet';

type Class = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;
const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
const trade = (f: Fill) => ({ ts: f.tsEvent, side: f.side, px: f.lastPx, qty: f.lastQty, fee: f.fee });

/**
 * The in-memory analogue of a broker handing a dead consumer's queue to the next one: risk replica 0
 * owns the risk group's one subscription until it dies; it dies in the middle of a message (after
 * journaling it, before or between sending what it caused: its later publishes are lost), and that
 * message and every later one go to replica 1, as a broker redelivers an unacknowledged message.
 */
function riskFailover(bus: MessageBus, diesAfterPublishes: number) {
  const handlers: BusBatchHandler[] = [];
  let published = 0;
  let dead = false;
  const replica = (index: number): MessageBus => ({
    ...bus,
    async publish(topic, message, options) {
      if (index === 0 && (dead || ++published > diesAfterPublishes)) {
        dead = true;
        return; // a dead process sends nothing
      }
      await bus.publish(topic, message, options);
    },
    // The risk role takes its inputs in batches (group commit); the batch being handled when replica 0
    // dies goes whole to replica 1, as a broker redelivers every unacknowledged message.
    subscribe: () => Promise.reject(new Error('the risk role subscribes in batches')),
    async subscribeBatches(pattern, handler, options) {
      handlers[index] = handler;
      if (index !== 0) return { unsubscribe: async () => {} };
      return (bus.subscribeBatches as NonNullable<MessageBus['subscribeBatches']>)(
        pattern,
        async (deliveries) => {
          if (!dead) await (handlers[0] as BusBatchHandler)(deliveries);
          if (dead) await (handlers[1] as BusBatchHandler)(deliveries);
        },
        options,
      );
    },
    close: async () => {},
  });
  return { replica, died: () => dead };
}

it.each([
  ['SMA crossover', SmaCrossover as Class, 40],
  ['ATR breakout (stops, canceled and replaced)', BreakoutAtr as Class, 700],
])(
  '%s: a risk replica that dies mid-run is replaced by one that restores its books from the journal',
  async (_name, Strategy, diesAfter) => {
    const bars = await loadSp500Bars();
    const accounts = [{ id: 'main', initialCash: 100_000 }];
    const backtest = await runBacktest({
      strategies: new Strategy({ id: 's', symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    const shared = createMemoryMessageBus();
    const failover = riskFailover(shared, diesAfter);
    const plain: MessageBus = { ...shared, close: async () => {} };
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts,
        strategies: [{ id: 's', symbol: instrument.id, accountId: 'main', create: strategyClass(Strategy) }],
      },
      data: bars,
      frameSize: 250,
      store: createMemoryStateStore(),
      connect: async (role, replica) => (role === 'risk' ? failover.replica(replica) : plain),
      replicas: { risk: 2 },
      timeoutMs: 60_000,
    });
    await shared.close();
    expect(failover.died()).toBe(true);
    expect(backtest.fills.length).toBeGreaterThan(10);
    expect(fleet.fills.map(trade)).toEqual(backtest.fills.map(trade));
    expect(fleet.accounts).toEqual(backtest.accounts);
    expect(fleet.refusals).toEqual(backtest.refusals);
  },
);
