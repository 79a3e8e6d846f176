import {
  type BusEnvelope,
  createMemoryMessageBus,
  createMemoryStateStore,
  type MessageBus,
  type PublishOptions,
  runBacktest,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { expect, it } from 'vitest';
import { BreakoutAtr } from '../../../examples/breakout-atr/src/strategy';
import { strategyClass } from './plan';
import { runFleet } from './run-fleet';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };

it('bar frames the broker loses (transient, journaled) are read back by the strategy and order roles: a backtest’s fills', async () => {
  const bars = await loadSp500Bars();
  const accounts = [{ id: 'main', initialCash: 100_000 }];
  const backtest = await runBacktest({
    strategies: new BreakoutAtr({ id: 'atr', symbols: [instrument.id], accountId: 'main' }),
    data: bars,
    instruments: [instrument],
    accounts,
  });
  // A broker that restarts now and then: every third transient message is gone (never delivered,
  // though its publish was confirmed); persistent ones survive.
  const bus = createMemoryMessageBus();
  let transient = 0;
  const lost: string[] = [];
  const lossy: MessageBus = Object.assign(Object.create(bus) as MessageBus, {
    publish: (topic: string, message: BusEnvelope, options?: PublishOptions): Promise<void> => {
      if (options?.persistent === false && ++transient % 3 === 0) {
        lost.push(message.id);
        return Promise.resolve();
      }
      return bus.publish(topic, message, options);
    },
  });
  const fleet = await runFleet({
    plan: {
      instruments: [instrument],
      accounts,
      strategies: [
        { id: 'atr', symbol: instrument.id, accountId: 'main', create: strategyClass(BreakoutAtr) },
      ],
    },
    data: bars,
    frameSize: 100,
    store: createMemoryStateStore(),
    connect: async () => lossy,
    // A role that cannot read a lost frame back never finishes: fail rather than hang.
    timeoutMs: 60_000,
  });
  await bus.close();
  expect(lost.length).toBeGreaterThan(5);
  expect(lost.every((id) => id.startsWith('bars:'))).toBe(true);
  expect(backtest.fills.length).toBeGreaterThan(40);
  expect(fleet.fills.map((f) => [f.tsEvent, f.side, f.lastPx, f.lastQty])).toEqual(
    backtest.fills.map((f) => [f.tsEvent, f.side, f.lastPx, f.lastQty]),
  );
  expect(fleet.accounts).toEqual(backtest.accounts);
});
