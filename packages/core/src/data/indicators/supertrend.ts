import { Atr } from './atr';
import { badBar, barCursor, checkPeriod, checkPositive } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Parameters of {@link Supertrend}. */
export interface SupertrendOptions {
  /** ATR period, default 10. */
  readonly period?: number;
  /** ATR multiplier, default 3. */
  readonly multiplier?: number;
}

/** Outputs of the batch {@link supertrend}, index-aligned with the input. */
export interface SupertrendSeries {
  readonly supertrend: Float64Array;
  /** 1 in an up-trend (the line is the lower band), -1 in a down-trend, NaN while warming up. */
  readonly direction: Float64Array;
}

/**
 * Supertrend (Olivier Seban), as TradingView's `ta.supertrend` and trading-signals define it: with the median price
 * `hl2 = (high + low) / 2` and the Wilder {@link Atr}, the basic bands are `hl2 ± multiplier * ATR`; the final lower
 * band only rises (it takes the new basic band if that is higher or the previous close fell below the previous final
 * band), the final upper band only falls (mirrored). In a down-trend the trend turns up when the close rises above
 * the final upper band; in an up-trend it turns down when the close falls below the final lower band. The line is
 * the final lower band in an up-trend and the final upper band in a down-trend. The first bar with an ATR starts
 * up only if its close is above its upper band.
 *
 * Warm-up: `period` (the ATR's). `update` returns the line; `direction` is +1 (up) or -1 (down).
 *
 * Tested against trading-signals' `SuperTrend` once the two ATRs agree (trading-signals counts the first bar's
 * `high - low` as a true range, see {@link Atr}). Non-finite high/low/close throw INVALID_ARGUMENT and leave the state
 * unchanged.
 */
export class Supertrend implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  readonly multiplier: number = Number.NaN;
  private readonly atr: Atr;
  private upper = Number.NaN;
  private lower = Number.NaN;
  private prevClose = 0;
  private dir = Number.NaN;
  private out = Number.NaN;

  constructor(period = 10, multiplier = 3) {
    this.period = checkPeriod('Supertrend', 'period', period);
    this.multiplier = checkPositive('Supertrend', 'multiplier', multiplier);
    this.warmup = period;
    this.atr = new Atr(period);
  }

  /** True once the ATR exists (after `period + 1` bars). */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest Supertrend line, NaN before {@link Supertrend.isReady}. */
  get value(): number {
    return this.out;
  }

  /** +1 in an up-trend, -1 in a down-trend, NaN before ready. */
  get direction(): number {
    return this.dir;
  }

  /** Adds one bar; returns the new line, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('Supertrend', bar);
    const atr = this.atr.update(bar);
    const prevClose = this.prevClose;
    this.prevClose = close;
    if (Number.isNaN(atr)) return atr;
    const mid = (high + low) / 2;
    const offset = this.multiplier * atr;
    let upper = mid + offset;
    let lower = mid - offset;
    let up: boolean;
    const prevUpper = this.upper;
    if (Number.isNaN(prevUpper)) {
      up = close > upper;
    } else {
      const prevLower = this.lower;
      if (!(upper < prevUpper || prevClose > prevUpper)) upper = prevUpper;
      if (!(lower > prevLower || prevClose < prevLower)) lower = prevLower;
      up = this.dir > 0 ? close >= lower : close > upper;
    }
    this.upper = upper;
    this.lower = lower;
    this.dir = up ? 1 : -1;
    const out = up ? lower : upper;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.atr.reset();
    this.upper = Number.NaN;
    this.lower = Number.NaN;
    this.prevClose = 0;
    this.dir = Number.NaN;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Supertrend} over bar objects or `{ high, low, close }` columns: the line and the direction, NaN for the
 * first `period`.
 */
export function supertrend(bars: IndicatorBarSeries, options: SupertrendOptions = {}): SupertrendSeries {
  const cursor = barCursor('supertrend', bars, false);
  const ind = new Supertrend(options.period, options.multiplier);
  const n = cursor.length;
  const line = new Float64Array(n);
  const direction = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    line[i] = ind.update(cursor.at(i));
    direction[i] = ind.direction;
  }
  return { supertrend: line, direction };
}
