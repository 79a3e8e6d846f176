import { badBar, barCursor, checkPeriod, RollingRange } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Outputs of the batch {@link donchianChannel}, index-aligned with the input. */
export interface DonchianChannelSeries {
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  readonly middle: Float64Array;
}

/**
 * Donchian channel: `upper` = highest high and `lower` = lowest low of the last `period` bars, **including the
 * current bar** (as trading-signals and TA-Lib's MAX/MIN; breakout systems that compare the close with the
 * previous bar's channel should read the value before updating), `middle = (upper + lower) / 2`.
 *
 * Warm-up: `period - 1`. `update` returns the middle line.
 *
 * Monotonic deques: amortised O(1) per update, worst case O(period) for a single update, no allocation.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged (close is validated for
 * uniformity with the other bar indicators although the channel does not use it).
 */
export class DonchianChannel implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly range: RollingRange;
  private count = 0;
  private hi = Number.NaN;
  private lo = Number.NaN;

  constructor(period = 20) {
    this.period = checkPeriod('DonchianChannel', 'period', period);
    this.warmup = period - 1;
    this.range = new RollingRange(period);
  }

  /** True once `period` bars have been seen. */
  get isReady(): boolean {
    return this.count >= this.period;
  }

  /** Latest middle line, NaN before {@link DonchianChannel.isReady}. */
  get value(): number {
    return (this.hi + this.lo) / 2;
  }

  /** Latest middle line (same as {@link DonchianChannel.value}). */
  get middle(): number {
    return (this.hi + this.lo) / 2;
  }

  /** Latest highest high, NaN before ready. */
  get upper(): number {
    return this.hi;
  }

  /** Latest lowest low, NaN before ready. */
  get lower(): number {
    return this.lo;
  }

  /** Adds one bar; returns the middle line, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('DonchianChannel', bar);
    const window = this.range;
    window.push(high, low);
    const hi = window.max;
    const lo = window.min;
    if (this.count < this.period && ++this.count < this.period) return Number.NaN;
    this.hi = hi;
    this.lo = lo;
    return (hi + lo) / 2;
  }

  /** Forgets all bars. */
  reset(): void {
    this.range.reset();
    this.count = 0;
    this.hi = Number.NaN;
    this.lo = Number.NaN;
  }
}

/**
 * Batch {@link DonchianChannel} over bar objects or `{ high, low, close }` columns: upper, lower and middle,
 * NaN for the first `period - 1`.
 */
export function donchianChannel(bars: IndicatorBarSeries, period = 20): DonchianChannelSeries {
  const cursor = barCursor('donchianChannel', bars, false);
  const ind = new DonchianChannel(period);
  const n = cursor.length;
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const middle = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    middle[i] = ind.update(cursor.at(i));
    upper[i] = ind.upper;
    lower[i] = ind.lower;
  }
  return { upper, lower, middle };
}
