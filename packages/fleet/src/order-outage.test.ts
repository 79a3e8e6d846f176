import {
  createMemoryMessageBus,
  createMemoryStateStore,
  type Fill,
  RxtradeError,
  runBacktest,
  type StateStore,
} from '@rxtrade/core';
import { loadSp500Bars } from '@rxtrade/datasets';
import { expect, it } from 'vitest';
import { backtestStrategies, fleetPlan, instrument } from '../test/parity-plan';
import { runFleet } from './run-fleet';

const trade = (f: Fill) => ({ ts: f.tsEvent, side: f.side, px: f.lastPx, qty: f.lastQty, fee: f.fee });

/**
 * A store whose writes to one role's journals time out for a while, as a paused Redis does
 * (`commandTimeout`: the outcome is unknown; here half of them did land): what a 1.5 s Redis pause
 * does to an order desk in the middle of executing an order (issue #16, defect 6), or to a strategy
 * between running its bars and sending what they caused.
 */
function pausingStore(
  role: 'order' | 'strategy',
  from: number,
  failures: number,
): { store: StateStore; failed: () => number } {
  const inner = createMemoryStateStore();
  let journalWrites = 0;
  let failed = 0;
  const store: StateStore = {
    ...inner,
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    async apply(batch) {
      const journal = batch.ops.some((op) => op.key.includes(`:journal:${role}:`));
      if (journal && ++journalWrites >= from && failed < failures) {
        failed++;
        if (failed % 2 === 0) await inner.apply(batch); // landed, but the reply was lost
        throw new RxtradeError({ code: 'TIMEOUT', message: 'Redis did not answer within 1000 ms' });
      }
      return inner.apply(batch);
    },
  };
  return { store, failed: () => failed };
}

it.each([
  ['an order desk whose journal write fails mid-run is rebuilt from its journal', 'order', 200],
  ['a strategy whose journal write fails mid-run commits again once the store answers', 'strategy', 20],
] as const)('%s: no order is stranded, fills equal a backtest', async (_name, role, from) => {
  const bars = await loadSp500Bars();
  const plan = fleetPlan();
  const backtest = await runBacktest({
    strategies: backtestStrategies(),
    data: bars,
    instruments: [instrument],
    accounts: plan.accounts,
  });
  const bus = createMemoryMessageBus();
  const outage = pausingStore(role, from, 3);
  const fleet = await runFleet({
    plan,
    data: bars,
    frameSize: 250,
    store: outage.store,
    connect: async () => ({ ...bus, close: async () => {} }),
    timeoutMs: 60_000,
  });
  await bus.close();
  expect(outage.failed()).toBe(3);
  expect(backtest.fills.length).toBeGreaterThan(10);
  expect(fleet.fills.map(trade)).toEqual(backtest.fills.map(trade));
  expect(fleet.accounts).toEqual(backtest.accounts);
  expect(fleet.refusals).toEqual(backtest.refusals);
});
