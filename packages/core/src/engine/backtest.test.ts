import { describe, expect, it } from 'vitest';
import { BaseStrategy } from '../strategy/base-strategy';
import { FixtureSmaCross, fixtureBars } from '../strategy/optimize.fixture';
import { runBacktest } from './backtest';
import { computeStatistics } from './statistics';

const instrument = { id: 'SYN', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };
const bars = fixtureBars(3_000);
const run = (maxEquityPoints?: number) =>
  runBacktest({
    strategies: new FixtureSmaCross({ params: { fast: 5, slow: 20 } }),
    data: bars,
    instruments: [instrument],
    ...(maxEquityPoints === undefined ? {} : { maxEquityPoints }),
  });

describe('runBacktest: equity curve and statistics', () => {
  it('keeps one point per timestamp and scores exactly that curve', async () => {
    const result = await run();
    expect(result.equity.values).toHaveLength(bars.length);
    expect(result.equity.timestamps).toEqual(bars.map((b) => b.ts));
    expect(result.statistics.numberOfTrades).toBeGreaterThan(20);
    expect(result.statistics).toEqual(
      computeStatistics({
        timestamps: result.equity.timestamps,
        equity: result.equity.values,
        trades: result.closedTrades,
        feesPaid: result.account.feesPaid,
        exposure: result.statistics.exposure,
      }),
    );
  });

  it('thins the stored curve to maxEquityPoints without changing a statistic', async () => {
    const full = await run();
    const thin = await run(100);
    expect(thin.equity.values.length).toBeLessThanOrEqual(100);
    expect(thin.equity.values.length).toBeGreaterThan(50);
    // Every kept point is a point of the full curve, and the last one is the final equity.
    const at = new Map(full.equity.timestamps.map((ts, i) => [ts, full.equity.values[i]]));
    expect(thin.equity.values).toEqual(thin.equity.timestamps.map((ts) => at.get(ts)));
    expect(thin.equity.timestamps.at(-1)).toBe(bars.at(-1)?.ts);
    expect(thin.equity.values.at(-1)).toBe(full.account.equity);
    expect(thin.statistics).toEqual(full.statistics);
    expect(thin.statistics.bars).toBe(bars.length);
  });
});

class BuysHalf extends BaseStrategy {
  override onBar(): void {
    if (this.position() === 0) this.buy(0.5);
  }
}

describe('runBacktest: refused orders', () => {
  it('counts orders refused by reason, in the statistics and with the first one as an example', async () => {
    const result = await runBacktest({
      strategies: new BuysHalf(),
      data: bars.slice(0, 50),
      instruments: [instrument],
    });
    expect(result.fills).toHaveLength(0);
    expect(result.statistics.ordersRefused).toBe(50);
    const [reason] = Object.keys(result.statistics.refusalsByReason);
    expect(result.statistics.refusalsByReason).toEqual({ [reason as string]: 50 });
    expect(result.refusals).toEqual([
      { reason, count: 50, first: expect.objectContaining({ type: 'OrderDenied', strategyId: 'BuysHalf' }) },
    ]);
    expect(result.refusals[0]?.first.message).toMatch(/\S/);
  });

  it('reports no refusals when every order was accepted', async () => {
    const result = await run();
    expect(result.statistics.ordersRefused).toBe(0);
    expect(result.statistics.refusalsByReason).toEqual({});
    expect(result.refusals).toEqual([]);
  });
});
