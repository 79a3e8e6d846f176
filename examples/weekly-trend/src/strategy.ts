import { type Bar, BaseStrategy, Rsi, Sma } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  /** Weekly SMA length: the trend is up while the last completed week closed above it. */
  trendWeeks: z.number().int().min(2).default(10),
  /** Daily RSI length and the pullback and exit levels. */
  rsiPeriod: z.number().int().min(2).default(14),
  pullback: z.number().min(0).max(100).default(40),
  exit: z.number().min(0).max(100).default(65),
  quantity: z.number().positive().default(10),
});

/**
 * Two timeframes in one strategy: weekly bars resampled from the daily feed set the trend, daily bars
 * time the entry. Long only: buy a daily RSI pullback while the last completed week closed above its
 * 10-week SMA; sell when the daily RSI recovers, or as soon as a completed week closes below the SMA.
 *
 * The weekly bars are completed ones only: a week (Monday to Sunday, UTC) arrives with the first daily
 * bar of the next week, so on a Friday the strategy still sees the week before; nothing looks ahead.
 */
export class WeeklyTrend extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly weekly = this.resample('1w');
  readonly weeklySma = this.weekly.track(new Sma(this.params.trendWeeks));
  readonly rsi = this.track(new Rsi(this.params.rsiPeriod));

  override onBar(_bar: Bar): void {
    const week = this.weekly.last;
    const trend = this.weeklySma.value;
    if (week === undefined || Number.isNaN(trend) || Number.isNaN(this.rsi.value)) return;
    const up = week.close > trend;
    const held = this.position() > 0;
    if (held && (this.rsi.value > this.params.exit || (this.weekly.isNew && !up))) this.close();
    else if (!held && up && this.rsi.value < this.params.pullback) this.buy(this.params.quantity);
  }
}

export default WeeklyTrend;
