import { badBar, barCursor, checkPeriod, isColumns, RollingRange } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/**
 * Williams %R (Larry Williams, 1973): `-100 * (highestHigh - close) / (highestHigh - lowestLow)` over the last
 * `period` bars including the current one, in [-100, 0]. It is the fast stochastic's raw %K minus 100, so a zero
 * range gives -100 like {@link Stochastic}'s 0 (trading-signals does the same).
 *
 * Warm-up: `period - 1`. Monotonic deques: amortised O(1) per update.
 *
 * Tested against technicalindicators' `WilliamsR`, trading-signals' `WilliamsR` and @ixjb94/indicators' `willr`.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class WilliamsR implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly range: RollingRange;
  private count = 0;
  private out = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('WilliamsR', 'period', period);
    this.warmup = period - 1;
    this.range = new RollingRange(period);
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
 * bit the streamed values. Columns run one loop with the two monotonic deques in local typed arrays (indices into the
 * columns, not a ring's stamps) instead of pushing row by row through the class.
 */
export function williamsR(bars: IndicatorBarSeries, period = 14): Float64Array {
  const cursor = barCursor('williamsR', bars, false);
  const ind = new WilliamsR(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars)) {
    const { high, low, close } = bars;
    let capacity = 2;
    while (capacity < period + 1) capacity *= 2;
    const mask = capacity - 1;
    // Deque entries: the value and its row; the front is the window's extreme.
    const highs = new Float64Array(capacity);
    const highRows = new Int32Array(capacity);
    const lows = new Float64Array(capacity);
    const lowRows = new Int32Array(capacity);
    let hHead = 0;
    let hTail = 0;
    let lHead = 0;
    let lTail = 0;
    for (let i = 0; i < n; i++) {
      const h = high[i] as number;
      const l = low[i] as number;
      const c = close[i] as number;
      if (!(Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c)))
        throw badBar('WilliamsR', { high: h, low: l, close: c });
      const expired = i - period;
      if (hHead !== hTail && highRows[hHead] === expired) hHead = (hHead + 1) & mask;
      while (hTail !== hHead) {
        const back = (hTail - 1) & mask;
        if ((highs[back] as number) > h) break;
        hTail = back;
      }
      highs[hTail] = h;
      highRows[hTail] = i;
      hTail = (hTail + 1) & mask;
      if (lHead !== lTail && lowRows[lHead] === expired) lHead = (lHead + 1) & mask;
      while (lTail !== lHead) {
        const back = (lTail - 1) & mask;
        if ((lows[back] as number) < l) break;
        lTail = back;
      }
      lows[lTail] = l;
      lowRows[lTail] = i;
      lTail = (lTail + 1) & mask;
      if (i < period - 1) {
        out[i] = Number.NaN;
        continue;
      }
      const hi = highs[hHead] as number;
      const span = hi - (lows[lHead] as number);
      out[i] = span > 0 ? (-100 * (hi - c)) / span : -100;
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
