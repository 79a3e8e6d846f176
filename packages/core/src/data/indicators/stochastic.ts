import {
  badBar,
  barCursor,
  checkPeriod,
  isColumns,
  RollingRange,
  type WindowMean,
  windowMean,
} from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Parameters of the batch {@link stochastic}. */
export interface StochasticOptions {
  /** Look-back of the highest high / lowest low, default 14. */
  readonly kPeriod?: number;
  /** SMA length of %D (the signal), default 3. */
  readonly dPeriod?: number;
  /** SMA length applied to raw %K ("slowing"), default 1 = fast stochastic; 3 gives the slow stochastic. */
  readonly smoothK?: number;
}

/** Outputs of the batch {@link stochastic}, index-aligned with the input. */
export interface StochasticSeries {
  readonly k: Float64Array;
  readonly d: Float64Array;
}

/**
 * Stochastic oscillator. Raw `%K = 100 * (close - lowestLow) / (highestHigh - lowestLow)` over the last
 * `kPeriod` bars; `%K = SMA(smoothK)` of raw %K (default 1: the fast stochastic; 3: the slow one);
 * `%D = SMA(dPeriod)` of %K. A zero range (every high and low equal) gives raw %K = 0, as in TA-Lib,
 * technicalindicators and trading-signals.
 *
 * Warm-up: `kPeriod + smoothK + dPeriod - 3`; `update` returns %K only once %D exists too.
 *
 * Highest/lowest use monotonic deques (amortised O(1), worst case O(kPeriod) for one update) and the SMAs
 * compensated sums, so nothing is rescanned and nothing drifts. Tested against technicalindicators'
 * `Stochastic` (fast, `smoothK = 1`) and trading-signals' `StochasticOscillator` (slow, `smoothK = 3`).
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Stochastic implements StreamingIndicator<IndicatorBar> {
  /** The %K look-back. */
  readonly period: number = 0;
  readonly warmup: number = 0;
  /** SMA length of %D. */
  readonly dPeriod: number = 0;
  /** SMA length applied to raw %K (1 = fast stochastic). */
  readonly smoothK: number = 0;
  private readonly range: RollingRange;
  private readonly kMean: WindowMean;
  private readonly dMean: WindowMean;
  private count = 0;
  private k = Number.NaN;
  private dOut = Number.NaN;

  constructor(kPeriod = 14, dPeriod = 3, smoothK = 1) {
    this.period = checkPeriod('Stochastic', 'kPeriod', kPeriod);
    this.dPeriod = checkPeriod('Stochastic', 'dPeriod', dPeriod);
    this.smoothK = checkPeriod('Stochastic', 'smoothK', smoothK);
    this.warmup = kPeriod + smoothK + dPeriod - 3;
    this.range = new RollingRange(kPeriod);
    this.kMean = windowMean(smoothK);
    this.dMean = windowMean(dPeriod);
  }

  /** True once %D exists (after `warmup + 1` bars). */
  get isReady(): boolean {
    return this.count > this.warmup;
  }

  /** Latest %K, NaN before {@link Stochastic.isReady}. */
  get value(): number {
    return this.k;
  }

  /** Latest %D (SMA of %K), NaN before {@link Stochastic.isReady}. */
  get d(): number {
    return this.dOut;
  }

  /** Adds one bar; returns %K, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link Stochastic.update} on a bar's fields (the batch form's column loop). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('Stochastic', { high, low, close });
    const window = this.range;
    window.push(high, low);
    const n = ++this.count;
    if (n < this.period) return Number.NaN;
    const ll = window.min;
    const range = window.max - ll;
    const raw = range > 0 ? ((close - ll) / range) * 100 : 0;
    const k = this.smoothK === 1 ? raw : this.kMean.push(raw);
    if (Number.isNaN(k)) return Number.NaN;
    const d = this.dMean.push(k);
    if (Number.isNaN(d)) return Number.NaN;
    this.k = k;
    this.dOut = d;
    return k;
  }

  /** Forgets all bars. */
  reset(): void {
    this.range.reset();
    this.kMean.reset();
    this.dMean.reset();
    this.count = 0;
    this.k = Number.NaN;
    this.dOut = Number.NaN;
  }
}

/**
 * Batch {@link Stochastic} over bar objects or `{ high, low, close }` columns: %K and %D, NaN for the first
 * `kPeriod + smoothK + dPeriod - 3`.
 */
export function stochastic(bars: IndicatorBarSeries, options: StochasticOptions = {}): StochasticSeries {
  const cursor = barCursor('stochastic', bars, false);
  const ind = new Stochastic(options.kPeriod, options.dPeriod, options.smoothK);
  const n = cursor.length;
  const k = new Float64Array(n);
  const d = new Float64Array(n);
  if (isColumns(bars)) {
    // Columns go straight to the update's arithmetic instead of through a copied scratch bar.
    const { high, low, close } = bars;
    for (let i = 0; i < n; i++) {
      k[i] = ind.next(high[i] as number, low[i] as number, close[i] as number);
      d[i] = ind.d;
    }
    return { k, d };
  }
  for (let i = 0; i < n; i++) {
    k[i] = ind.update(cursor.at(i));
    d[i] = ind.d;
  }
  return { k, d };
}
