import {
  badBar,
  barCursor,
  checkPeriod,
  firstBadRow,
  isColumns,
  type WindowMean,
  windowMean,
} from './internal';
import type { IndicatorBar, IndicatorBarColumns, IndicatorBarSeries, StreamingIndicator } from './types';

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

/**
 * Batch {@link Cci} over bar objects or `{ high, low, close }` columns: NaN for the first `period - 1`, bit for bit the
 * streamed values. Columns run their own loop (see `cciColumns`) instead of going row by row through the class.
 */
export function cci(bars: IndicatorBarSeries, period = 20): Float64Array {
  const cursor = barCursor('cci', bars, false);
  const ind = new Cci(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars)) {
    if (cciColumns(bars, period, out) !== 0) throw firstBadRow('Cci', bars);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}

/**
 * The column loop of {@link cci}: the class's arithmetic with the ring in locals and the class's window mean (internal
 * `windowMean`; inlining its compensated sum here measured no faster, as the mean-deviation pass dominates). Writes
 * every row of `out` and returns 0 when every value was finite, NaN otherwise (`x - x` is NaN only for a non-finite
 * x); nothing follows the loop but the return (see `awesomeColumns` in awesome-oscillator.ts for why).
 */
function cciColumns(columns: IndicatorBarColumns, p: number, out: Float64Array): number {
  const { high, low, close } = columns;
  const n = out.length;
  const ring = new Float64Array(p);
  // The class's window mean (internal `windowMean`), the same object type, so the same values.
  const means = windowMean(p);
  let idx = 0;
  let finite = 0;
  for (let k = 0; k < n; k++) {
    const h = high[k] as number;
    const l = low[k] as number;
    const c = close[k] as number;
    finite += h - h + (l - l) + (c - c);
    const tp = (h + l + c) / 3;
    ring[idx] = tp;
    idx = idx + 1 === p ? 0 : idx + 1;
    const mean = means.push(tp);
    if (k < p - 1) {
      out[k] = Number.NaN;
      continue;
    }
    const dev = absDeviationSum(ring, mean);
    out[k] = dev > 1e-13 * p * Math.abs(mean) ? (tp - mean) / ((0.015 * dev) / p) : 0;
  }
  return finite;
}

/**
 * `sum |ring[j] - mean|` in slot order, four terms per loop step: the same additions in the same order as one term per
 * step (so the same result), with a quarter of the loop's own compares and branches. The adds form one dependency
 * chain either way; splitting it into several partial sums would be faster still but round differently.
 */
function absDeviationSum(ring: Float64Array, mean: number): number {
  const p = ring.length;
  let dev = 0;
  let j = 0;
  for (; j + 3 < p; j += 4) {
    dev += Math.abs((ring[j] as number) - mean);
    dev += Math.abs((ring[j + 1] as number) - mean);
    dev += Math.abs((ring[j + 2] as number) - mean);
    dev += Math.abs((ring[j + 3] as number) - mean);
  }
  for (; j < p; j++) dev += Math.abs((ring[j] as number) - mean);
  return dev;
}
