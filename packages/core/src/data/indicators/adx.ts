import { badBar, barCursor, checkPeriod, firstBadRow, isColumns } from './internal';
import type { IndicatorBar, IndicatorBarColumns, IndicatorBarSeries, StreamingIndicator } from './types';

/** Outputs of the batch {@link adx}, index-aligned with the input. */
export interface AdxSeries {
  readonly adx: Float64Array;
  readonly plusDi: Float64Array;
  readonly minusDi: Float64Array;
}

/**
 * Average directional index with +DI/-DI, Wilder's original construction (TA-Lib and technicalindicators):
 * - `+DM = up` if `up > down && up > 0` else 0, `-DM = down` if `down > up && down > 0` else 0, with
 *   `up = high - prevHigh`, `down = prevLow - low`; `TR` as in {@link Atr}; the first bar only seeds `prev*`;
 * - TR, +DM, -DM are Wilder-smoothed as sums: seeded with the sum of the first `period` values, then
 *   `s = s - s / period + x` (computed as `s * ((period - 1) / period) + x`);
 *   `±DI = 100 * smoothed±DM / smoothedTR` (0 when the smoothed TR is 0);
 * - `DX = 100 * |+DI - -DI| / (+DI + -DI)` (0 when both are 0; technicalindicators yields NaN there);
 * - ADX is seeded with the mean of the first `period` DX values, then `adx = (adx * (period - 1) + DX) / period`.
 *
 * Warm-up: `2 * period - 1` (27 for 14, TA-Lib's lookback); +DI/-DI exist from bar `period + 1` but, like every
 * output here, are only exposed once the indicator is ready. `update` returns ADX.
 *
 * Convention note: trading-signals feeds a zero DM and a `high - low` TR for the first bar, which shifts its
 * values by one bar; this class is tested against technicalindicators' `ADX`.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Adx implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  /** `(period - 1) / period`: Wilder's decay, applied as a multiply (no division on the dependency chain). */
  private readonly keep: number = Number.NaN;
  private readonly rate: number = Number.NaN;
  private count = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;
  private tr = 0;
  private pdm = 0;
  private mdm = 0;
  private adx = 0;
  private out = Number.NaN;
  private pdi = Number.NaN;
  private mdi = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('Adx', 'period', period);
    this.warmup = 2 * period - 1;
    this.keep = (period - 1) / period;
    this.rate = 1 / period;
  }

  /** True once ADX exists (after `2 * period` bars). */
  get isReady(): boolean {
    return this.count > this.warmup;
  }

  /** Latest ADX in [0, 100], NaN before {@link Adx.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Latest +DI, NaN before {@link Adx.isReady}. */
  get plusDi(): number {
    return this.pdi;
  }

  /** Latest -DI, NaN before {@link Adx.isReady}. */
  get minusDi(): number {
    return this.mdi;
  }

  /** Adds one bar; returns the new ADX, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link Adx.update} on a bar's fields. */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('Adx', { high, low, close });
    const up = high - this.prevHigh;
    const down = this.prevLow - low;
    const pc = this.prevClose;
    this.prevHigh = high;
    this.prevLow = low;
    this.prevClose = close;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    let tr = high - low;
    const a = Math.abs(high - pc);
    const b = Math.abs(low - pc);
    if (a > tr) tr = a;
    if (b > tr) tr = b;
    if (this.count > this.warmup) return this.smooth(tr, pdm, mdm);
    return this.warm(tr, pdm, mdm);
  }

  /** Steady state (kept apart from `update` so both stay under V8's inlining budget). */
  private smooth(tr: number, pdm: number, mdm: number): number {
    const keep = this.keep;
    const str = this.tr * keep + tr;
    const sp = this.pdm * keep + pdm;
    const sm = this.mdm * keep + mdm;
    this.tr = str;
    this.pdm = sp;
    this.mdm = sm;
    const pdi = str > 0 ? (100 * sp) / str : 0;
    const mdi = str > 0 ? (100 * sm) / str : 0;
    const sum = pdi + mdi;
    const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    const adx = this.adx * keep + dx * this.rate;
    this.adx = adx;
    this.pdi = pdi;
    this.mdi = mdi;
    this.out = adx;
    return adx;
  }

  private warm(tr: number, pdm: number, mdm: number): number {
    const n = this.count++; // number of directional moves before this one
    if (n === 0) return Number.NaN;
    const p = this.period;
    if (n <= p) {
      this.tr += tr;
      this.pdm += pdm;
      this.mdm += mdm;
      if (n < p) return Number.NaN;
    } else {
      this.tr = this.tr * this.keep + tr;
      this.pdm = this.pdm * this.keep + pdm;
      this.mdm = this.mdm * this.keep + mdm;
    }
    const str = this.tr;
    const pdi = str > 0 ? (100 * this.pdm) / str : 0;
    const mdi = str > 0 ? (100 * this.mdm) / str : 0;
    const sum = pdi + mdi;
    const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    // DX number n - p + 1 (1-based); the ADX seed is the mean of the first `period` of them.
    this.adx += dx;
    if (n - p + 1 < p) return Number.NaN;
    this.adx /= p;
    this.pdi = pdi;
    this.mdi = mdi;
    this.out = this.adx;
    return this.adx;
  }

  /** Forgets all bars. */
  reset(): void {
    this.count = 0;
    this.prevHigh = 0;
    this.prevLow = 0;
    this.prevClose = 0;
    this.tr = 0;
    this.pdm = 0;
    this.mdm = 0;
    this.adx = 0;
    this.out = Number.NaN;
    this.pdi = Number.NaN;
    this.mdi = Number.NaN;
  }
}

/**
 * Batch {@link Adx} over bar objects or `{ high, low, close }` columns: ADX, +DI and -DI, NaN for the first
 * `2 * period - 1`, bit for bit the streamed values.
 */
export function adx(bars: IndicatorBarSeries, period = 14): AdxSeries {
  const cursor = barCursor('adx', bars, false);
  const ind = new Adx(period);
  const n = cursor.length;
  const series: AdxSeries = {
    adx: new Float64Array(n),
    plusDi: new Float64Array(n),
    minusDi: new Float64Array(n),
  };
  if (isColumns(bars)) {
    columnAdx(bars, period, series);
    return series;
  }
  const { adx: out, plusDi, minusDi } = series;
  for (let i = 0; i < n; i++) {
    out[i] = ind.update(cursor.at(i));
    plusDi[i] = ind.plusDi;
    minusDi[i] = ind.minusDi;
  }
  return series;
}

/**
 * {@link adx} on columns, into `series`: the class's arithmetic in the same order with every sum in a local (going
 * through the class stored and reloaded four running sums per row and ran at 0.6 of the streaming class). The
 * warm-up rows run {@link Adx}'s `warm` steps, the rest its `smooth` steps. Input is checked without a branch per
 * row: `x - x` is 0 only for a finite x, so `finite` stays 0 while every value is; otherwise internal `firstBadRow`
 * throws the streaming class's error for the first bad row.
 */
function columnAdx(bars: IndicatorBarColumns, period: number, series: AdxSeries): void {
  const { high, low, close } = bars;
  const { adx: out, plusDi, minusDi } = series;
  const n = out.length;
  const keep = (period - 1) / period;
  const rate = 1 / period;
  const warmEnd = Math.min(n, 2 * period);
  // Like the class: the previous bar is zero before the first bar (whose moves are never used).
  let ph = 0;
  let pl = 0;
  let pc = 0;
  let str = 0;
  let sp = 0;
  let sm = 0;
  let adxSum = 0;
  let finite = 0;
  for (let i = 0; i < warmEnd; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    finite += h - h + (l - l) + (c - c);
    const up = h - ph;
    const down = pl - l;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    let tr = h - l;
    const a = Math.abs(h - pc);
    const b = Math.abs(l - pc);
    if (a > tr) tr = a;
    if (b > tr) tr = b;
    ph = h;
    pl = l;
    pc = c;
    out[i] = Number.NaN;
    plusDi[i] = Number.NaN;
    minusDi[i] = Number.NaN;
    if (i === 0) continue;
    if (i <= period) {
      str += tr;
      sp += pdm;
      sm += mdm;
      if (i < period) continue;
    } else {
      str = str * keep + tr;
      sp = sp * keep + pdm;
      sm = sm * keep + mdm;
    }
    const pdi = str > 0 ? (100 * sp) / str : 0;
    const mdi = str > 0 ? (100 * sm) / str : 0;
    const sum = pdi + mdi;
    adxSum += sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    if (i - period + 1 < period) continue;
    adxSum /= period;
    out[i] = adxSum;
    plusDi[i] = pdi;
    minusDi[i] = mdi;
  }
  let adxValue = adxSum;
  for (let i = warmEnd; i < n; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    finite += h - h + (l - l) + (c - c);
    const up = h - ph;
    const down = pl - l;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    let tr = h - l;
    const a = Math.abs(h - pc);
    const b = Math.abs(l - pc);
    if (a > tr) tr = a;
    if (b > tr) tr = b;
    ph = h;
    pl = l;
    pc = c;
    str = str * keep + tr;
    sp = sp * keep + pdm;
    sm = sm * keep + mdm;
    const pdi = str > 0 ? (100 * sp) / str : 0;
    const mdi = str > 0 ? (100 * sm) / str : 0;
    const sum = pdi + mdi;
    const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    adxValue = adxValue * keep + dx * rate;
    out[i] = adxValue;
    plusDi[i] = pdi;
    minusDi[i] = mdi;
  }
  if (finite !== 0) throw firstBadRow('Adx', bars);
}
