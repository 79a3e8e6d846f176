import { describe, expect, it } from 'vitest';
import type { Bar } from '../model/market-data';
import { BaseStrategy } from './base-strategy';
import { runParallel, type StrategyOverrun, superviseStrategy } from './parallel-runner';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 2);
const SPX = { id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 } as const;
const bars = (closes: number[]): Bar[] =>
  closes.map((c, i) => ({
    symbol: 'SPX',
    ts: T0 + i * DAY,
    open: c,
    high: c,
    low: c,
    close: c,
    volume: 1e6,
  }));

/** A fake stopwatch: strategies "spend" time by advancing it. */
const fakeTime = () => {
  let now = 0;
  return {
    stopwatch: () => now,
    spend: (ms: number): void => {
      now += ms;
    },
  };
};

/** Buys `qty` on its first bar and holds; optionally throws or runs slow from bar `at` on. */
class Holder extends BaseStrategy {
  #i = 0;
  barsSeen = 0;
  constructor(
    id: string,
    readonly opts: {
      qty: number;
      throwAt?: number;
      slowAt?: number;
      spend?: (ms: number) => void;
      slowMs?: number;
    },
  ) {
    super({ id });
  }
  override onBar(): void {
    const i = this.#i++;
    this.barsSeen++;
    if (i === 0) this.buy(this.opts.qty);
    if (this.opts.throwAt === i) throw new Error('boom');
    if (this.opts.slowAt !== undefined && i >= this.opts.slowAt) {
      this.buy(1); // an order placed during the slow call
      this.opts.spend?.(this.opts.slowMs ?? 100);
    }
  }
}

describe('runParallel: many strategies, one feed, isolated', () => {
  it('a throwing strategy and a slow one are stopped; the others trade on; each has its own books', async () => {
    const time = fakeTime();
    const overruns: StrategyOverrun[] = [];
    const result = await runParallel({
      strategies: [
        new Holder('steady', { qty: 10 }),
        new Holder('thrower', { qty: 5, throwAt: 2 }),
        new Holder('slow', { qty: 3, slowAt: 1, spend: time.spend, slowMs: 120 }),
        new Holder('late', { qty: 2 }),
      ],
      data: bars([100, 100, 105, 110, 120]),
      instruments: [SPX],
      budget: { budgetMs: 50, stopwatch: time.stopwatch, onOverrun: (o) => overruns.push(o) },
    });
    const by = Object.fromEntries(result.strategies.map((s) => [s.strategyId, s]));
    expect(by['steady']).toMatchObject({ status: 'completed', fills: 1, unrealizedPnl: 200, feesPaid: 1 });
    expect(by['late']).toMatchObject({ status: 'completed', fills: 1, unrealizedPnl: 40, feesPaid: 0.2 });
    expect(by['thrower']?.status).toBe('failed');
    expect(by['thrower']?.failures[0]).toMatchObject({ hook: 'onBar', message: 'boom' });
    expect(by['thrower']?.positions[0]?.quantity).toBe(5); // filled before it failed, kept
    expect(by['slow']?.status).toBe('timed-out');
    expect(by['slow']?.failures[0]?.message).toBe('STRATEGY_TIMEOUT: onBar took 120.0 ms > budget 50 ms');
    // Its order from the slow call was canceled when it was stopped: only the first buy filled.
    expect(by['slow']?.positions[0]?.quantity).toBe(3);
    expect(overruns).toEqual([
      expect.objectContaining({ strategyId: 'slow', hook: 'onBar', elapsedMs: 120, action: 'stopped' }),
    ]);
    // The account nets every strategy.
    expect(result.backtest.positions[0]?.quantity).toBe(10 + 5 + 3 + 2);
    const total = result.strategies.reduce((s, x) => s + x.pnl, 0);
    expect(result.backtest.account.equity).toBeCloseTo(100_000 + total, 8);
  });

  it('skip: an overrunning strategy misses its next bars, then runs again', async () => {
    const time = fakeTime();
    const slow = new Holder('slow', { qty: 1, slowAt: 1, spend: time.spend });
    const overruns: StrategyOverrun[] = [];
    await runParallel({
      strategies: [slow],
      data: bars([100, 100, 100, 100, 100, 100, 100]),
      instruments: [SPX],
      budget: {
        budgetMs: 50,
        policy: 'skip',
        skipBars: 2,
        stopwatch: time.stopwatch,
        onOverrun: (o) => overruns.push(o),
      },
    });
    // bar 0 runs; 1 overruns; 2, 3 skipped; 4 overruns; 5, 6 skipped.
    expect(slow.barsSeen).toBe(3);
    expect(overruns.map((o) => o.action)).toEqual(['skipped', 'skipped']);
  });

  it('report: only reports', async () => {
    const time = fakeTime();
    const slow = new Holder('slow', { qty: 1, slowAt: 0, spend: time.spend });
    const overruns: StrategyOverrun[] = [];
    superviseStrategy(slow, {
      budgetMs: 50,
      policy: 'report',
      stopwatch: time.stopwatch,
      onOverrun: (o) => overruns.push(o),
    });
    expect(() => superviseStrategy(slow, { budgetMs: 1 })).toThrow(/already supervised/);
    const result = await runParallel({ strategies: [slow], data: bars([100, 100, 100]), instruments: [SPX] });
    expect(slow.barsSeen).toBe(3);
    expect(overruns).toHaveLength(3);
    expect(result.strategies[0]?.status).toBe('completed');
  });
});
