import { invalidArgument } from '../../errors';
import { badBar, barCursor, checkPositive, isColumns } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Parameters of {@link ParabolicSar}. */
export interface ParabolicSarOptions {
  /** Acceleration factor step (and start), default 0.02. */
  readonly step?: number;
  /** Largest acceleration factor, default 0.2; must be at least `step`. */
  readonly max?: number;
}

/**
 * Parabolic stop and reverse (Wilder, *New Concepts in Technical Trading Systems*, 1978), as Tulip Indicators
 * computes it:
 * - the first two bars choose the side: long if `high + low` did not fall, with the first bar's low (short: high) as
 *   the SAR and its high (short: low) as the extreme point;
 * - each bar, `sar += af * (extreme - sar)`, then clamped so that it is not above the previous two bars' lows (short:
 *   not below their highs); a new extreme raises `af` by `step` up to `max`;
 * - a bar that crosses the SAR reverses: the SAR becomes the old extreme, the extreme this bar's high or low, `af`
 *   back to `step`.
 *
 * The value for a bar is the SAR in force for it after that bar's reversal check. Warm-up: 1.
 *
 * Tested against @ixjb94/indicators' `psar` (Tulip, exact). technicalindicators starts from the first bar alone and
 * trading-signals moves a SAR that lands on a reversal bar's low by 0.01, so both differ in places.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged (close is validated although not used).
 */
export class ParabolicSar implements StreamingIndicator<IndicatorBar> {
  /** No window: the SAR depends on the whole history. */
  readonly period = Number.POSITIVE_INFINITY;
  readonly warmup = 1;
  readonly step: number = Number.NaN;
  readonly max: number = Number.NaN;
  private count = 0;
  private long = false;
  private sar = 0;
  private extreme = 0;
  private af = Number.NaN;
  private prevLow = 0;
  private prevHigh = 0;
  private prev2Low = 0;
  private prev2High = 0;
  private out = Number.NaN;

  constructor(step = 0.02, max = 0.2) {
    this.step = checkPositive('ParabolicSar', 'step', step);
    this.max = checkPositive('ParabolicSar', 'max', max);
    if (max < step)
      throw invalidArgument(`ParabolicSar: max (${max}) must be at least step (${step})`, { step, max });
  }

  /** True after the second bar. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest SAR, NaN before {@link ParabolicSar.isReady}. */
  get value(): number {
    return this.out;
  }

  /** True while the SAR is below the price (a long position's stop); meaningless before ready. */
  get isLong(): boolean {
    return this.long;
  }

  /** Adds one bar; returns the SAR for it, or NaN for the first bar. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link ParabolicSar.update} on a bar's fields (the batch form's column loop; the close is only validated). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('ParabolicSar', { high, low, close });
    if (this.count < 2) return this.start(high, low);
    return this.advance(high, low);
  }

  private advance(high: number, low: number): number {
    let sar = this.sar;
    let extreme = this.extreme;
    let af = this.af;
    const long = this.long;
    sar += (extreme - sar) * af;
    if (long) {
      if (sar > this.prev2Low) sar = this.prev2Low;
      if (sar > this.prevLow) sar = this.prevLow;
      if (high > extreme) {
        extreme = high;
        af = Math.min(af + this.step, this.max);
      }
    } else {
      if (sar < this.prev2High) sar = this.prev2High;
      if (sar < this.prevHigh) sar = this.prevHigh;
      if (low < extreme) {
        extreme = low;
        af = Math.min(af + this.step, this.max);
      }
    }
    if (long ? low < sar : high > sar) {
      af = this.step;
      sar = extreme;
      this.long = !long;
      extreme = long ? low : high;
    }
    this.sar = sar;
    this.extreme = extreme;
    this.af = af;
    this.prev2Low = this.prevLow;
    this.prev2High = this.prevHigh;
    this.prevLow = low;
    this.prevHigh = high;
    this.out = sar;
    return sar;
  }

  /** The first two bars: pick the side, then run the second bar as a regular one (without a bar two back). */
  private start(high: number, low: number): number {
    if (this.count++ === 0) {
      this.prevHigh = high;
      this.prevLow = low;
      return Number.NaN;
    }
    const long = this.prevHigh + this.prevLow <= high + low;
    this.long = long;
    this.af = this.step;
    this.sar = long ? this.prevLow : this.prevHigh;
    this.extreme = long ? this.prevHigh : this.prevLow;
    // With no bar two back, clamping against the previous bar twice is the same as clamping once.
    this.prev2High = this.prevHigh;
    this.prev2Low = this.prevLow;
    return this.advance(high, low);
  }

  /** Forgets all bars. */
  reset(): void {
    this.count = 0;
    this.long = false;
    this.sar = 0;
    this.extreme = 0;
    this.af = Number.NaN;
    this.prevLow = 0;
    this.prevHigh = 0;
    this.prev2Low = 0;
    this.prev2High = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link ParabolicSar} over bar objects or `{ high, low, close }` columns: NaN for the first bar. */
export function parabolicSar(bars: IndicatorBarSeries, options: ParabolicSarOptions = {}): Float64Array {
  const cursor = barCursor('parabolicSar', bars, false);
  const ind = new ParabolicSar(options.step, options.max);
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
