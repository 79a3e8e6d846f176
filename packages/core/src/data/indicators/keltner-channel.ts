import { Atr } from './atr';
import { badBar, barCursor, checkPeriod, checkPositive, EmaStage } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Parameters of {@link KeltnerChannel}. */
export interface KeltnerChannelOptions {
  /** EMA period of the middle line, default 20. */
  readonly period?: number;
  /** ATR period, default 10. */
  readonly atrPeriod?: number;
  /** ATR multiplier, default 2. */
  readonly multiplier?: number;
}

/** Outputs of the batch {@link keltnerChannel}, index-aligned with the input. */
export interface KeltnerChannelSeries {
  readonly middle: Float64Array;
  readonly upper: Float64Array;
  readonly lower: Float64Array;
}

/**
 * Keltner channel in Linda Raschke's modern form: `middle = EMA(close, period)` (SMA-seeded, see {@link Ema}),
 * `upper/lower = middle ± multiplier * ATR(atrPeriod)` (Wilder, {@link Atr}). Chester Keltner's 1960 original used a
 * 10-day SMA of the typical price and the average range; this is the version charting packages and the libraries ship.
 *
 * Warm-up: `max(period - 1, atrPeriod)`. `update` returns the middle line.
 *
 * Tested against technicalindicators' `KeltnerChannels` (same seeding, exact). trading-signals seeds its EMA and ATR
 * differently and converges to the same values. Non-finite high/low/close throw INVALID_ARGUMENT and leave the state
 * unchanged.
 */
export class KeltnerChannel implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  readonly multiplier: number = Number.NaN;
  private readonly ema: EmaStage;
  private readonly atr: Atr;
  private mid = Number.NaN;
  private offset = Number.NaN;

  constructor(period = 20, atrPeriod = 10, multiplier = 2) {
    this.period = checkPeriod('KeltnerChannel', 'period', period);
    checkPeriod('KeltnerChannel', 'atrPeriod', atrPeriod);
    this.multiplier = checkPositive('KeltnerChannel', 'multiplier', multiplier);
    this.warmup = Math.max(period - 1, atrPeriod);
    this.ema = new EmaStage(period);
    this.atr = new Atr(atrPeriod);
  }

  /** True once both the EMA and the ATR exist. */
  get isReady(): boolean {
    return !Number.isNaN(this.offset);
  }

  /** Latest middle line, NaN before {@link KeltnerChannel.isReady}. */
  get value(): number {
    return this.mid;
  }

  /** Latest middle line (same as {@link KeltnerChannel.value}). */
  get middle(): number {
    return this.mid;
  }

  /** Latest upper band, NaN before ready. */
  get upper(): number {
    return this.mid + this.offset;
  }

  /** Latest lower band, NaN before ready. */
  get lower(): number {
    return this.mid - this.offset;
  }

  /** Adds one bar; returns the middle line, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    const close = bar.close;
    if (!(Number.isFinite(bar.high) && Number.isFinite(bar.low) && Number.isFinite(close)))
      throw badBar('KeltnerChannel', bar);
    const mid = this.ema.push(close);
    const atr = this.atr.update(bar);
    const offset = this.multiplier * atr;
    if (Number.isNaN(mid) || Number.isNaN(offset)) return Number.NaN;
    this.mid = mid;
    this.offset = offset;
    return mid;
  }

  /** Forgets all bars. */
  reset(): void {
    this.ema.reset();
    this.atr.reset();
    this.mid = Number.NaN;
    this.offset = Number.NaN;
  }
}

/**
 * Batch {@link KeltnerChannel} over bar objects or `{ high, low, close }` columns: middle, upper and lower, NaN for
 * the first `max(period - 1, atrPeriod)`.
 */
export function keltnerChannel(
  bars: IndicatorBarSeries,
  options: KeltnerChannelOptions = {},
): KeltnerChannelSeries {
  const cursor = barCursor('keltnerChannel', bars, false);
  const ind = new KeltnerChannel(options.period, options.atrPeriod, options.multiplier);
  const n = cursor.length;
  const middle = new Float64Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    middle[i] = ind.update(cursor.at(i));
    upper[i] = ind.upper;
    lower[i] = ind.lower;
  }
  return { middle, upper, lower };
}
