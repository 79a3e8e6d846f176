import {
  badBar,
  barCursor,
  checkPeriod,
  firstBadRow,
  isColumns,
  maxIndex,
  minIndex,
  RESCAN_MAX_PERIOD,
  type WindowExtremes,
  windowExtremes,
} from './internal';
import type { IndicatorBar, IndicatorBarColumns, IndicatorBarSeries, StreamingIndicator } from './types';

/**
 * Williams %R (Larry Williams, 1973): `-100 * (highestHigh - close) / (highestHigh - lowestLow)` over the last
 * `period` bars including the current one, in [-100, 0]. It is the fast stochastic's raw %K minus 100, so a zero
 * range gives -100 like {@link Stochastic}'s 0 (trading-signals does the same).
 *
 * Warm-up: `period - 1`. The window extremes come from internal `windowExtremes`: up to period 32 the extreme and its
 * bar, re-scanned when it leaves the window; beyond, monotonic deques (amortised O(1) per update).
 *
 * Tested against technicalindicators' `WilliamsR`, trading-signals' `WilliamsR` and @ixjb94/indicators' `willr`.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class WilliamsR implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly range: WindowExtremes;
  private count = 0;
  private out = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('WilliamsR', 'period', period);
    this.warmup = period - 1;
    this.range = windowExtremes(period);
  }

  /** True once `period` bars have been seen. */
  get isReady(): boolean {
    return this.count >= this.period;
  }

  /** Latest %R in [-100, 0], NaN before {@link WilliamsR.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new %R, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link WilliamsR.update} on a bar's fields (the batch form's column loop). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('WilliamsR', { high, low, close });
    const window = this.range;
    window.push(high, low);
    if (this.count < this.period && ++this.count < this.period) return Number.NaN;
    const hi = window.max;
    const span = hi - window.min;
    const out = span > 0 ? (-100 * (hi - close)) / span : -100;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.range.reset();
    this.count = 0;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link WilliamsR} over bar objects or `{ high, low, close }` columns: NaN for the first `period - 1`, bit for
 * bit the streamed values. Columns up to period 32 run their own loop (`rescanColumns`) instead of pushing row by row
 * through the class.
 */
export function williamsR(bars: IndicatorBarSeries, period = 14): Float64Array {
  const cursor = barCursor('williamsR', bars, false);
  const ind = new WilliamsR(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars)) {
    const { high, low, close } = bars;
    if (period > RESCAN_MAX_PERIOD) {
      // Longer windows keep the class's deques (amortised O(1) per row whatever the data).
      for (let i = 0; i < n; i++) out[i] = ind.next(high[i] as number, low[i] as number, close[i] as number);
    } else if (rescanColumns(bars, period, out) !== 0) {
      throw firstBadRow('WilliamsR', bars);
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}

/**
 * A column loop of {@link williamsR}. The columns are random access, so instead of the class's monotonic deques it
 * keeps the window's highest high and lowest low with their rows, and scans the window again (`period` values) only
 * when that row leaves it. The extremes are the same values, so the outputs are too. On market data the extreme
 * leaves the window on a small share of rows; the scan is a short loop over contiguous values, cheaper overall than
 * the deques' per-row pops (the loop @ixjb94/indicators and Tulip Indicators use). Writes every row of `out`; returns
 * 0 when every value was finite, NaN otherwise (`x - x` is NaN only for a non-finite x), and nothing follows the loop
 * but the return (see `awesomeColumns` in awesome-oscillator.ts for why).
 */
function rescanColumns(columns: IndicatorBarColumns, period: number, out: Float64Array): number {
  const { high, low, close } = columns;
  const n = out.length;
  let hi = 0;
  let hiRow = -1;
  let lo = 0;
  let loRow = -1;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    finite += h - h + (l - l) + (c - c);
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
    if (i < period - 1) {
      out[i] = Number.NaN;
      continue;
    }
    const span = hi - lo;
    out[i] = span > 0 ? (-100 * (hi - c)) / span : -100;
  }
  return finite;
}
