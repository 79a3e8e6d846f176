import { badInput, checkPeriod, checkPositive, checkValues } from './internal';
import { RollingMoments } from './rolling-moments';
import type { StreamingIndicator } from './types';

/** Parameters of the batch {@link bollingerBands}. */
export interface BollingerBandsOptions {
  /** Window length, default 20. */
  readonly period?: number;
  /** Band width in standard deviations, default 2. */
  readonly multiplier?: number;
}

/** Outputs of the batch {@link bollingerBands}, index-aligned with the input. */
export interface BollingerBandsSeries {
  readonly middle: Float64Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
}

/**
 * Bollinger Bands: `middle = SMA(period)`, `upper/lower = middle ± multiplier * σ`, with σ the **population**
 * standard deviation of the same window (Bollinger's definition; also TA-Lib, technicalindicators and
 * trading-signals).
 *
 * Warm-up: `period - 1`.
 *
 * Amortised O(1) per update and drift-free (see {@link RollingStdDev}). `update` returns the middle band.
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class BollingerBands implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  /** Band half-width in standard deviations. */
  readonly multiplier: number = Number.NaN;
  private readonly moments: RollingMoments;
  private mid = Number.NaN;
  private sd = Number.NaN;

  constructor(period = 20, multiplier = 2) {
    this.period = checkPeriod('BollingerBands', 'period', period);
    this.multiplier = checkPositive('BollingerBands', 'multiplier', multiplier);
    this.warmup = period - 1;
    this.moments = new RollingMoments(period);
  }

  /** True once `period` inputs have been seen. */
  get isReady(): boolean {
    return this.moments.isFull;
  }

  /** Latest middle band (the SMA), NaN before {@link BollingerBands.isReady}. */
  get value(): number {
    return this.mid;
  }

  /** Latest middle band (same as {@link BollingerBands.value}). */
  get middle(): number {
    return this.mid;
  }

  /** Latest upper band, NaN before ready. */
  get upper(): number {
    return this.mid + this.multiplier * this.sd;
  }

  /** Latest lower band, NaN before ready. */
  get lower(): number {
    return this.mid - this.multiplier * this.sd;
  }

  /** Latest population standard deviation of the window, NaN before ready. */
  get stdDev(): number {
    return this.sd;
  }

  /** Adds one close; returns the middle band, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('BollingerBands', 'value', value);
    const m = this.moments;
    if (!m.push(value)) return Number.NaN;
    this.sd = Math.sqrt(m.variance);
    const mid = m.mean;
    this.mid = mid;
    return mid;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.moments.reset();
    this.mid = Number.NaN;
    this.sd = Number.NaN;
  }
}

/** Batch {@link BollingerBands}: three index-aligned series, NaN for the first `period - 1`. */
export function bollingerBands(
  values: ArrayLike<number>,
  options: BollingerBandsOptions = {},
): BollingerBandsSeries {
  checkValues('bollingerBands', values);
  const ind = new BollingerBands(options.period, options.multiplier);
  const n = values.length;
  const middle = new Float64Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    middle[i] = ind.update(values[i] as number);
    upper[i] = ind.upper;
    lower[i] = ind.lower;
  }
  return { middle, upper, lower };
}
