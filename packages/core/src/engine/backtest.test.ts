import { describe, expect, it } from 'vitest';
import { Sma } from '../data/indicators/sma';
import type { Bar } from '../model/market-data';
import { BaseStrategy } from '../strategy/base-strategy';
import { runBacktest } from './backtest';
import { computeStatistics } from './statistics';

const DAY = 86_400_000;

/** A seeded daily random walk (weekdays only), prices on a 0.01 grid. */
function walk(n: number, seed = 7): Bar[] {
  let s = seed;
  const random = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  const bars: Bar[] = [];
  let ts = Date.UTC(2010, 0, 4); // a Monday
  let price = 100;
  while (bars.length < n) {
    const weekday = new Date(ts).getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      const open = Math.round(price * 100) / 100;
      const close = Math.round(open * (1 + (random() - 0.5) * 0.04) * 100) / 100;
      const high = Math.max(open, close) + 0.5;
      const low = Math.min(open, close) - 0.5;
      bars.push({ symbol: 'W', ts, open, high, low, close, volume: 1_000_000 });
      price = close;
    }
    ts += DAY;
  }
  return bars;
}

class Cross extends BaseStrategy {
  readonly fast = this.track(new Sma(5));
  readonly slow = this.track(new Sma(20));
  #previous = Number.NaN;
  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(10);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}

const instrument = { id: 'W', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };
const bars = walk(3_000);
const run = (maxEquityPoints?: number) =>
  runBacktest({
    strategies: new Cross(),
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
