import { type Bar, BaseStrategy, type Fill, resampleBars, rsi, runBacktest, sma } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { WeeklyTrend } from './strategy';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
const WEEK = 7 * 86_400_000;
const fill = (f: Fill) =>
  `${new Date(f.tsEvent).toISOString().slice(0, 10)} ${f.side} ${f.lastQty}@${f.lastPx}`;

let bars: Bar[];
beforeAll(async () => {
  bars = await loadSp500Bars();
});

/**
 * The same rules, written without `resample()`: every weekly bar and the weekly SMA computed up front from
 * the whole history (`resampleBars`, `sma`), and at each day only the weeks that ended by that day's open
 * are read. If the streaming weekly bars looked ahead by as much as a day, the two would trade differently.
 */
class WeeklyTrendPrecomputed extends BaseStrategy {
  readonly weeks: Bar[];
  readonly weeklySma: Float64Array;
  readonly dailyRsi: Float64Array;
  readonly index = new Map<number, number>();
  seen = 0;
  constructor(all: Bar[]) {
    super({ id: 'WeeklyTrend' });
    this.weeks = resampleBars(all, { timeframe: '1w' });
    this.weeklySma = sma(
      this.weeks.map((w) => w.close),
      10,
    );
    this.dailyRsi = rsi(
      all.map((b) => b.close),
      14,
    );
    for (const [i, b] of all.entries()) this.index.set(b.ts, i);
  }
  override onBar(bar: Bar): void {
    let seen = this.seen;
    while (seen < this.weeks.length && (this.weeks[seen] as Bar).ts + WEEK <= bar.ts) seen++;
    const isNew = seen > this.seen;
    this.seen = seen;
    if (seen === 0) return;
    const week = this.weeks[seen - 1] as Bar;
    const trend = this.weeklySma[seen - 1] as number;
    const r = this.dailyRsi[this.index.get(bar.ts) as number] as number;
    if (Number.isNaN(trend) || Number.isNaN(r)) return;
    const up = week.close > trend;
    const held = this.position() > 0;
    if (held && (r > 65 || (isNew && !up))) this.close();
    else if (!held && up && r < 40) this.buy(10);
  }
}

describe('WeeklyTrend (weekly bars resampled from daily S&P 500 bars)', () => {
  it('trades fill by fill as the same rules over weekly bars computed up front (no look-ahead)', async () => {
    const run = (strategy: BaseStrategy<object>) =>
      runBacktest({ strategies: strategy, data: bars, instruments: [instrument] });
    const streaming = await run(new WeeklyTrend());
    const precomputed = await run(new WeeklyTrendPrecomputed(bars));
    expect(streaming.strategyEvents).toEqual([]);
    expect(streaming.fills.length).toBeGreaterThan(20);
    expect(streaming.fills.map(fill)).toEqual(precomputed.fills.map(fill));
  });

  it('golden: its backtest', async () => {
    const result = await runBacktest({
      strategies: new WeeklyTrend(),
      data: bars,
      instruments: [instrument],
    });
    expect(result.fills).toHaveLength(GOLDEN.fills);
    expect(result.fills.slice(0, 4).map(fill)).toEqual(GOLDEN.first);
    expect(result.account.equity.toFixed(2)).toBe(GOLDEN.equity);
  });
});

/**
 * The first trade by hand: on Friday 2000-04-14 the daily RSI(14) is 30.55 (< 40) and the last completed week,
 * that of 2000-04-03, closed at 1516.35 above its 10-week SMA 1430.20: buy, filled at the next open (Monday
 * 04-17, 1356.56). That Monday's bar completes the week of 04-10 (close 1356.56, below its SMA 1423.42): the
 * trend turned down, sell, filled at Tuesday's open 1401.44. A strategy that saw the week of 04-10 on the Friday
 * (whose close is that week's close) would not have bought.
 */
const GOLDEN = {
  fills: 80,
  first: [
    '2000-04-17 buy 10@1356.56',
    '2000-04-18 sell 10@1401.44',
    '2000-07-31 buy 10@1419.89',
    '2000-08-01 sell 10@1430.83',
  ],
  equity: '103201.83',
};
