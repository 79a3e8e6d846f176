import { badBar, barCursor, checkPeriod, isColumns, type WindowMean, windowMean } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/**
 * Commodity channel index (Lambert, 1980): with the typical price `tp = (high + low + close) / 3`,
 * `CCI = (tp - SMA(tp)) / (0.015 * meanDeviation)`, where `meanDeviation` is the mean absolute deviation of the last
 * `period` typical prices from their mean. A zero mean deviation (a flat window) gives 0 (trading-signals and
 * technicalindicators divide by zero there).
 *
 * Warm-up: `period - 1`.
 *
 * The mean deviation is taken about the current window mean, so it has no running form: each update takes one
 * pass over the window for it (O(period); every library does the same), with the mean from a drift-free running sum. Tested against technicalindicators' `CCI`,
 * trading-signals' `CCI` and @ixjb94/indicators' `cci`. Non-finite high/low/close throw INVALID_ARGUMENT and leave
 * the state unchanged.
 */
export class Cci implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly ring: Float64Array;
  private readonly mean: WindowMean;
  private idx = 0;
  private count = 0;
  private out = Number.NaN;

  constructor(period = 20) {
    this.period = checkPeriod('Cci', 'period', period);
    this.warmup = period - 1;
    this.ring = new Float64Array(period);
    this.mean = windowMean(period);
  }

  /** True once `period` bars have been seen. */
  get isReady(): boolean {
    return this.count >= this.period;
  }

  /** Latest CCI, NaN before {@link Cci.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new CCI, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link Cci.update} on a bar's fields (the batch form's column loop). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('Cci', { high, low, close });
    const tp = (high + low + close) / 3;
    const ring = this.ring;
    const p = this.period;
    const i = this.idx;
    ring[i] = tp;
    this.idx = i + 1 === p ? 0 : i + 1;
    const mean = this.mean.push(tp);
    if (this.count < p && ++this.count < p) return Number.NaN;
    let dev = 0;
    for (let j = 0; j < p; j++) dev += Math.abs((ring[j] as number) - mean);
    // The running mean can sit an ulp off a flat window; a deviation below 1e-13 of the level is that rounding, not a
    // move, and must give 0 rather than a ratio of two rounding errors.
    const out = dev > 1e-13 * p * Math.abs(mean) ? (tp - mean) / ((0.015 * dev) / p) : 0;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.mean.reset();
    this.idx = 0;
    this.count = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link Cci} over bar objects or `{ high, low, close }` columns: NaN for the first `period - 1`. */
export function cci(bars: IndicatorBarSeries, period = 20): Float64Array {
  const cursor = barCursor('cci', bars, false);
  const ind = new Cci(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars)) {
    // Columns go straight to the update's arithmetic instead of through a copied scratch bar.
    const { high, low, close } = bars;
    for (let i = 0; i < n; i++) out[i] = ind.next(high[i] as number, low[i] as number, close[i] as number);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
