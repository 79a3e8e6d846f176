import { Atr } from './atr';
import {
  badBar,
  barCursor,
  checkPeriod,
  checkPositive,
  firstBadRow,
  isColumns,
  maxIndex,
  minIndex,
  RESCAN_MAX_PERIOD,
  RollingRange,
  type WindowExtremes,
  windowExtremes,
} from './internal';
import type { IndicatorBar, IndicatorBarColumns, IndicatorBarSeries, StreamingIndicator } from './types';

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
  private readonly range: WindowExtremes;
  private longOut = Number.NaN;
  private shortOut = Number.NaN;

  constructor(period = 22, multiplier = 3) {
    this.period = checkPeriod('ChandelierExit', 'period', period);
    this.multiplier = checkPositive('ChandelierExit', 'multiplier', multiplier);
    this.warmup = period;
    this.atr = new Atr(period);
    this.range = windowExtremes(period);
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

  /** {@link ChandelierExit.update} on a bar's fields. */
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
 * first `period`, bit for bit the streamed values.
 */
export function chandelierExit(
  bars: IndicatorBarSeries,
  options: ChandelierExitOptions = {},
): ChandelierExitSeries {
  const cursor = barCursor('chandelierExit', bars, false);
  const ind = new ChandelierExit(options.period, options.multiplier);
  const n = cursor.length;
  const series: ChandelierExitSeries = { longStop: new Float64Array(n), shortStop: new Float64Array(n) };
  if (isColumns(bars)) {
    if (columnChandelier(bars, ind, series) !== 0) throw firstBadRow('ChandelierExit', bars);
    // The warm-up rows hold stops from a partial ATR sum; the class gives NaN there.
    series.longStop.fill(Number.NaN, 0, ind.warmup);
    series.shortStop.fill(Number.NaN, 0, ind.warmup);
    return series;
  }
  const { longStop, shortStop } = series;
  for (let i = 0; i < n; i++) {
    longStop[i] = ind.update(cursor.at(i));
    shortStop[i] = ind.shortStop;
  }
  return series;
}

/**
 * {@link chandelierExit} on columns, into `series`: one loop with the window extremes of the class (re-scanned up to
 * period 32, else a `RollingRange`) and the {@link Atr} recurrence in locals, the same expressions in
 * the same order as the class (going through it row by row stored and reloaded the deques' ends and the ATR every
 * row). `ind` only supplies the validated parameters. Returns 0 when every value was finite, NaN otherwise (`x - x`
 * is NaN only for a non-finite x), for the caller to check once; the warm-up rows are left for the caller to fill
 * with NaN. Nothing follows the loop but the return: V8 compiles the loop on stack replacement before code after it
 * has run, and such code without type feedback deoptimised the compiled loop at the end of every later call.
 */
function columnChandelier(
  bars: IndicatorBarColumns,
  ind: ChandelierExit,
  series: ChandelierExitSeries,
): number {
  const { high, low, close } = bars;
  const { longStop, shortStop } = series;
  const { period, multiplier } = ind;
  const n = longStop.length;
  const keep = (period - 1) / period;
  const rate = 1 / period;
  // Window extremes: up to RESCAN_MAX_PERIOD the extreme and its row, found again by a scan of the columns when that
  // row leaves the window (see internal `RescanRange`); beyond, a RollingRange (monotonic deques), amortised O(1).
  const rescan = period <= RESCAN_MAX_PERIOD;
  let hi = Number.NEGATIVE_INFINITY;
  let hiRow = -1;
  let lo = Number.POSITIVE_INFINITY;
  let loRow = -1;
  const range = new RollingRange(rescan ? 1 : period);
  let pc = 0;
  let atr = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    finite += h - h + (l - l) + (c - c);
    if (rescan) {
      const start = i < period ? 0 : i - period + 1;
      if (hiRow < start) {
        hiRow = maxIndex(high, start, i);
        hi = high[hiRow] as number;
      } else if (h >= hi) {
        hi = h;
        hiRow = i;
      }
      if (loRow < start) {
        loRow = minIndex(low, start, i);
        lo = low[loRow] as number;
      } else if (l <= lo) {
        lo = l;
        loRow = i;
      }
    } else {
      range.push(h, l);
      hi = range.max;
      lo = range.min;
    }
    // Atr.next: the true range against the previous close (0 before the first bar, whose range is never used).
    let tr = h - l;
    const up = Math.abs(h - pc);
    const down = Math.abs(l - pc);
    if (up > tr) tr = up;
    if (down > tr) tr = down;
    pc = c;
    if (i > period) {
      atr = atr * keep + tr * rate;
    } else {
      // Atr.warm: the first bar only seeds the previous close; the mean of the next `period` ranges seeds the ATR.
      if (i > 0) atr += tr;
      if (i === period) atr /= period;
    }
    const offset = multiplier * atr;
    longStop[i] = hi - offset;
    shortStop[i] = lo + offset;
  }
  return finite;
}
