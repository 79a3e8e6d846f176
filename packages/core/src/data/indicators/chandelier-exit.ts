import { Atr } from './atr';
import { badBar, barCursor, checkPeriod, checkPositive, isColumns, RollingRange } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Parameters of {@link ChandelierExit}. */
export interface ChandelierExitOptions {
  /** Look-back of the highest high / lowest low and the ATR, default 22. */
  readonly period?: number;
  /** ATR multiplier, default 3. */
  readonly multiplier?: number;
}

/** Outputs of the batch {@link chandelierExit}, index-aligned with the input. */
export interface ChandelierExitSeries {
  readonly longStop: Float64Array;
  readonly shortStop: Float64Array;
}

/**
 * Chandelier exit (Chuck LeBeau): trailing stops hung from the extremes of the last `period` bars (current included),
 * `longStop = highestHigh - multiplier * ATR(period)`, `shortStop = lowestLow + multiplier * ATR(period)`, with the
 * Wilder {@link Atr}.
 *
 * Warm-up: `period` (the ATR's). `update` returns the long stop.
 *
 * Tested against technicalindicators' `ChandelierExit` (exact) and trading-signals' `ChandelierExit` once the two
 * ATR seedings agree (see {@link Atr}). Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class ChandelierExit implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  readonly multiplier: number = Number.NaN;
  private readonly atr: Atr;
  private readonly range: RollingRange;
  private longOut = Number.NaN;
  private shortOut = Number.NaN;

  constructor(period = 22, multiplier = 3) {
    this.period = checkPeriod('ChandelierExit', 'period', period);
    this.multiplier = checkPositive('ChandelierExit', 'multiplier', multiplier);
    this.warmup = period;
    this.atr = new Atr(period);
    this.range = new RollingRange(period);
  }

  /** True once the ATR exists (after `period + 1` bars). */
  get isReady(): boolean {
    return !Number.isNaN(this.longOut);
  }

  /** Latest long stop, NaN before {@link ChandelierExit.isReady}. */
  get value(): number {
    return this.longOut;
  }

  /** Latest stop for a long position: highest high minus `multiplier` ATRs. */
  get longStop(): number {
    return this.longOut;
  }

  /** Latest stop for a short position: lowest low plus `multiplier` ATRs. */
  get shortStop(): number {
    return this.shortOut;
  }

  /** Adds one bar; returns the long stop, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link ChandelierExit.update} on a bar's fields (the batch form's column loop). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('ChandelierExit', { high, low, close });
    const range = this.range;
    range.push(high, low);
    const atr = this.atr.next(high, low, close);
    if (Number.isNaN(atr)) return atr;
    const offset = this.multiplier * atr;
    const out = range.max - offset;
    this.longOut = out;
    this.shortOut = range.min + offset;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.atr.reset();
    this.range.reset();
    this.longOut = Number.NaN;
    this.shortOut = Number.NaN;
  }
}

/**
 * Batch {@link ChandelierExit} over bar objects or `{ high, low, close }` columns: long and short stops, NaN for the
 * first `period`.
 */
export function chandelierExit(
  bars: IndicatorBarSeries,
  options: ChandelierExitOptions = {},
): ChandelierExitSeries {
  const cursor = barCursor('chandelierExit', bars, false);
  const ind = new ChandelierExit(options.period, options.multiplier);
  const n = cursor.length;
  const longStop = new Float64Array(n);
  const shortStop = new Float64Array(n);
  if (isColumns(bars)) {
    // Columns go straight to the update's arithmetic instead of through a copied scratch bar.
    const { high, low, close } = bars;
    for (let i = 0; i < n; i++) {
      longStop[i] = ind.next(high[i] as number, low[i] as number, close[i] as number);
      shortStop[i] = ind.shortStop;
    }
  } else {
    for (let i = 0; i < n; i++) {
      longStop[i] = ind.update(cursor.at(i));
      shortStop[i] = ind.shortStop;
    }
  }
  return { longStop, shortStop };
}
