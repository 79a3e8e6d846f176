import { invalidArgument } from '../../errors';
import { badBar, barCursor, checkPeriod, isColumns, type WindowMean, windowMean } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Periods of {@link AwesomeOscillator}, for the batch {@link awesomeOscillator}. */
export interface AwesomeOscillatorOptions {
  /** Fast SMA period, default 5. */
  readonly fast?: number;
  /** Slow SMA period, default 34; must be greater than `fast`. */
  readonly slow?: number;
}

/**
 * Awesome oscillator (Bill Williams): `SMA(median, fast) - SMA(median, slow)` of the median price
 * `(high + low) / 2`, with drift-free window sums (as {@link Sma}).
 *
 * Warm-up: `slow - 1`.
 *
 * Tested against technicalindicators' `AwesomeOscillator`, trading-signals' `AO` and @ixjb94/indicators' `ao`.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged (close is validated for uniformity).
 */
export class AwesomeOscillator implements StreamingIndicator<IndicatorBar> {
  /** The slow period. */
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly fastSma: WindowMean;
  private readonly slowSma: WindowMean;
  private out = Number.NaN;

  constructor(fast = 5, slow = 34) {
    checkPeriod('AwesomeOscillator', 'fast', fast);
    this.period = checkPeriod('AwesomeOscillator', 'slow', slow);
    if (fast >= slow) {
      throw invalidArgument(`AwesomeOscillator: fast (${fast}) must be less than slow (${slow})`, {
        fast,
        slow,
      });
    }
    this.warmup = slow - 1;
    // The internal window means: the drift-free sums of Sma without a second input check per bar.
    this.fastSma = windowMean(fast);
    this.slowSma = windowMean(slow);
  }

  /** True once `slow` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest oscillator value, NaN before {@link AwesomeOscillator.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new value, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link AwesomeOscillator.update} on a bar's fields (the batch form's column loop). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('AwesomeOscillator', { high, low, close });
    const median = (high + low) / 2;
    const fast = this.fastSma.push(median);
    const out = fast - this.slowSma.push(median);
    if (Number.isNaN(out)) return out;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.fastSma.reset();
    this.slowSma.reset();
    this.out = Number.NaN;
  }
}

/** Batch {@link AwesomeOscillator} over bar objects or columns: NaN for the first `slow - 1`. */
export function awesomeOscillator(
  bars: IndicatorBarSeries,
  options: AwesomeOscillatorOptions = {},
): Float64Array {
  const cursor = barCursor('awesomeOscillator', bars, false);
  const ind = new AwesomeOscillator(options.fast, options.slow);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars)) {
    // Columns go straight to the update's arithmetic instead of through a copied scratch bar.
    const { high, low, close } = bars;
    for (let i = 0; i < n; i++) out[i] = ind.next(high[i] as number, low[i] as number, close[i] as number);
  } else {
    for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  }
  return out;
}
