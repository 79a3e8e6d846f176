import { badInput, checkPeriod, checkValues } from './internal';
import { RollingMoments } from './rolling-moments';
import type { StreamingIndicator } from './types';

/**
 * Rolling population standard deviation (divide by `period`, like Bollinger's original definition, TA-Lib's
 * `STDDEV`, technicalindicators' `SD` and trading-signals' `getStandardDeviation`; multiply by
 * `sqrt(period / (period - 1))` for the sample estimate).
 *
 * Warm-up: `period - 1`.
 *
 * Amortised O(1) per update with shifted, compensated running sums; stays within ~1e-11 relative of a fresh
 * two-pass computation on arbitrarily long streams (see `rolling-moments.ts` for the numerics).
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class RollingStdDev implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly moments: RollingMoments;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('RollingStdDev', 'period', period);
    this.warmup = period - 1;
    this.moments = new RollingMoments(period);
  }

  /** True once `period` inputs have been seen. */
  get isReady(): boolean {
    return this.moments.isFull;
  }

  /** Latest standard deviation, NaN before {@link RollingStdDev.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Mean of the same window, NaN before {@link RollingStdDev.isReady}. */
  get mean(): number {
    return this.moments.mean;
  }

  /** Adds one input; returns the new standard deviation, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('RollingStdDev', 'value', value);
    if (!this.moments.push(value)) return Number.NaN;
    const out = Math.sqrt(this.moments.variance);
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.moments.reset();
    this.out = Number.NaN;
  }
}

/** Batch {@link RollingStdDev}: one output per input, NaN for the first `period - 1`. */
export function rollingStdDev(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('rollingStdDev', values);
  const ind = new RollingStdDev(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
