import { badBar, barCursor, checkPeriod } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/**
 * Average true range with Wilder smoothing. `TR = max(high - low, |high - prevClose|, |low - prevClose|)`;
 * the first bar has no previous close and only seeds it (TA-Lib and technicalindicators convention). The
 * average is seeded with the mean of the first `period` true ranges, then `atr = (atr * (period - 1) + TR) / period`.
 *
 * Warm-up: `period` (the `period + 1`-th bar gives the first value).
 *
 * Convention note: trading-signals counts `high - low` of the first bar as a true range, so its ATR starts one
 * bar earlier and differs slightly; this class is tested against technicalindicators' `ATR`.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Atr implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly keep: number = Number.NaN;
  private readonly rate: number = Number.NaN;
  private count = 0;
  private prevClose = 0;
  private atr = 0;
  private out = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('Atr', 'period', period);
    this.warmup = period;
    this.keep = (period - 1) / period;
    this.rate = 1 / period;
  }

  /** True once `period + 1` bars have been seen. */
  get isReady(): boolean {
    return this.count > this.period;
  }

  /** Latest ATR, NaN before {@link Atr.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new ATR, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link Atr.update} on a bar's fields (the column loops of the batch forms built on it). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('Atr', { high, low, close });
    const pc = this.prevClose;
    this.prevClose = close;
    let tr = high - low;
    const up = Math.abs(high - pc);
    const down = Math.abs(low - pc);
    if (up > tr) tr = up;
    if (down > tr) tr = down;
    if (this.count > this.period) {
      const atr = this.atr * this.keep + tr * this.rate;
      this.atr = atr;
      this.out = atr;
      return atr;
    }
    return this.warm(tr);
  }

  private warm(tr: number): number {
    const n = this.count++;
    if (n === 0) return Number.NaN;
    this.atr += tr;
    if (n < this.period) return Number.NaN;
    this.atr /= this.period;
    this.out = this.atr;
    return this.atr;
  }

  /** Forgets all bars. */
  reset(): void {
    this.count = 0;
    this.prevClose = 0;
    this.atr = 0;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Atr} over bar objects or `{ high, low, close }` columns: one output per bar, NaN for the
 * first `period`.
 */
export function atr(bars: IndicatorBarSeries, period = 14): Float64Array {
  const cursor = barCursor('atr', bars, false);
  const ind = new Atr(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
