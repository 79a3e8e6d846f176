import { badBar, barCursor, checkPeriod, RollingRange } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Periods of {@link Ichimoku}. */
export interface IchimokuOptions {
  /** Tenkan-sen (conversion line) look-back, default 9. */
  readonly conversion?: number;
  /** Kijun-sen (base line) look-back, default 26. */
  readonly base?: number;
  /** Senkou span B look-back, default 52. */
  readonly spanB?: number;
}

/** Outputs of the batch {@link ichimoku}, index-aligned with the input (no displacement applied). */
export interface IchimokuSeries {
  readonly conversion: Float64Array;
  readonly base: Float64Array;
  readonly spanA: Float64Array;
  readonly spanB: Float64Array;
}

/**
 * Ichimoku kinkō hyō (Goichi Hosoda), its four computed lines, each the midpoint `(highestHigh + lowestLow) / 2` of a
 * window that includes the current bar:
 * - `conversion` (tenkan-sen) over `conversion` bars, `base` (kijun-sen) over `base` bars;
 * - `spanA = (conversion + base) / 2`, `spanB` the midpoint over `spanB` bars.
 *
 * The values are those computed **at** this bar, without displacement: a chart plots span A and B `base` bars ahead
 * (the cloud over bar t is `spanA`/`spanB` of bar `t - 26`), and the lagging span is the close plotted 26 bars back;
 * keep a short ring of past values if a rule needs the displaced cloud. (technicalindicators and trading-signals
 * return the same undisplaced values.)
 *
 * Warm-up: `max(conversion, base, spanB) - 1` (51): every line exists from the same bar. `update` returns the
 * conversion line. Three monotonic-deque windows: amortised O(1) per update.
 *
 * Tested against technicalindicators' `IchimokuCloud` and trading-signals' `IchimokuCloud`. Non-finite high/low/close
 * throw INVALID_ARGUMENT and leave the state unchanged (close is validated although not used).
 */
export class Ichimoku implements StreamingIndicator<IndicatorBar> {
  /** The longest window (span B's by default). */
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly conv: RollingRange;
  private readonly baseRange: RollingRange;
  private readonly spanBRange: RollingRange;
  private count = 0;
  private convOut = Number.NaN;
  private baseOut = Number.NaN;
  private spanBOut = Number.NaN;

  constructor(conversion = 9, base = 26, spanB = 52) {
    checkPeriod('Ichimoku', 'conversion', conversion);
    checkPeriod('Ichimoku', 'base', base);
    checkPeriod('Ichimoku', 'spanB', spanB);
    this.period = Math.max(conversion, base, spanB);
    this.warmup = this.period - 1;
    this.conv = new RollingRange(conversion);
    this.baseRange = new RollingRange(base);
    this.spanBRange = new RollingRange(spanB);
  }

  /** True once the longest window is full. */
  get isReady(): boolean {
    return this.count >= this.period;
  }

  /** Latest conversion line (tenkan-sen), NaN before {@link Ichimoku.isReady}. */
  get value(): number {
    return this.convOut;
  }

  /** Latest conversion line (tenkan-sen). */
  get conversion(): number {
    return this.convOut;
  }

  /** Latest base line (kijun-sen). */
  get base(): number {
    return this.baseOut;
  }

  /** Latest leading span A, `(conversion + base) / 2`, as computed at this bar. */
  get spanA(): number {
    return (this.convOut + this.baseOut) / 2;
  }

  /** Latest leading span B, as computed at this bar. */
  get spanB(): number {
    return this.spanBOut;
  }

  /** Adds one bar; returns the conversion line, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    const high = bar.high;
    const low = bar.low;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(bar.close)))
      throw badBar('Ichimoku', bar);
    const conv = this.conv;
    const base = this.baseRange;
    const spanB = this.spanBRange;
    conv.push(high, low);
    base.push(high, low);
    spanB.push(high, low);
    if (this.count < this.period && ++this.count < this.period) return Number.NaN;
    const out = (conv.max + conv.min) / 2;
    this.convOut = out;
    this.baseOut = (base.max + base.min) / 2;
    this.spanBOut = (spanB.max + spanB.min) / 2;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.conv.reset();
    this.baseRange.reset();
    this.spanBRange.reset();
    this.count = 0;
    this.convOut = Number.NaN;
    this.baseOut = Number.NaN;
    this.spanBOut = Number.NaN;
  }
}

/**
 * Batch {@link Ichimoku} over bar objects or `{ high, low, close }` columns: the four lines as computed at each bar
 * (undisplaced), NaN for the first `max(conversion, base, spanB) - 1`.
 */
export function ichimoku(bars: IndicatorBarSeries, options: IchimokuOptions = {}): IchimokuSeries {
  const cursor = barCursor('ichimoku', bars, false);
  const ind = new Ichimoku(options.conversion, options.base, options.spanB);
  const n = cursor.length;
  const conversion = new Float64Array(n);
  const base = new Float64Array(n);
  const spanA = new Float64Array(n);
  const spanB = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    conversion[i] = ind.update(cursor.at(i));
    base[i] = ind.base;
    spanA[i] = ind.spanA;
    spanB[i] = ind.spanB;
  }
  return { conversion, base, spanA, spanB };
}
