import { badBar, barCursor, checkPeriod, isColumns, RollingRange } from './internal';
import type { IndicatorBar, IndicatorBarSeries, StreamingIndicator } from './types';

/** Outputs of the batch {@link aroon}, index-aligned with the input. */
export interface AroonSeries {
  readonly oscillator: Float64Array;
  readonly up: Float64Array;
  readonly down: Float64Array;
}

/**
 * Aroon (Chande, 1995) over the last `period + 1` bars (the current one and `period` before it):
 * `up = 100 * (period - barsSinceHighestHigh) / period`, `down = 100 * (period - barsSinceLowestLow) / period`,
 * `oscillator = up - down`. Among equal highs (lows) the most recent counts, as in trading-signals.
 *
 * Warm-up: `period` (TA-Lib's lookback). `update` returns the oscillator; `up` and `down` are getters.
 * Monotonic deques: amortised O(1) per update.
 *
 * Tested against trading-signals' `Aroon` and @ixjb94/indicators' `aroon`/`aroonosc`. Non-finite high/low/close
 * throw INVALID_ARGUMENT and leave the state unchanged (close is validated although Aroon does not use it).
 */
export class Aroon implements StreamingIndicator<IndicatorBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly range: RollingRange;
  private readonly scale: number = Number.NaN;
  private count = 0;
  private upOut = Number.NaN;
  private downOut = Number.NaN;
  private out = Number.NaN;

  constructor(period = 25) {
    this.period = checkPeriod('Aroon', 'period', period);
    this.warmup = period;
    this.range = new RollingRange(period + 1);
    this.scale = 100 / period;
  }

  /** True once `period + 1` bars have been seen. */
  get isReady(): boolean {
    return this.count > this.period;
  }

  /** Latest `up - down` in [-100, 100], NaN before {@link Aroon.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Latest Aroon up in [0, 100], NaN before ready. */
  get up(): number {
    return this.upOut;
  }

  /** Latest Aroon down in [0, 100], NaN before ready. */
  get down(): number {
    return this.downOut;
  }

  /** Adds one bar; returns the new oscillator, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link Aroon.update} on a bar's fields (the batch form's column loop; the close is only validated). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('Aroon', { high, low, close });
    const window = this.range;
    window.push(high, low);
    if (this.count <= this.period && ++this.count <= this.period) return Number.NaN;
    const p = this.period;
    const up = (p - window.maxAge) * this.scale;
    const down = (p - window.minAge) * this.scale;
    this.upOut = up;
    this.downOut = down;
    const out = up - down;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.range.reset();
    this.count = 0;
    this.upOut = Number.NaN;
    this.downOut = Number.NaN;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Aroon} over bar objects or `{ high, low, close }` columns: oscillator, up and down, NaN for the first
 * `period`.
 */
export function aroon(bars: IndicatorBarSeries, period = 25): AroonSeries {
  const cursor = barCursor('aroon', bars, false);
  const ind = new Aroon(period);
  const n = cursor.length;
  const oscillator = new Float64Array(n);
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  if (isColumns(bars)) {
    // Columns go straight to the update's arithmetic instead of through a copied scratch bar.
    const { high, low, close } = bars;
    for (let i = 0; i < n; i++) {
      oscillator[i] = ind.next(high[i] as number, low[i] as number, close[i] as number);
      up[i] = ind.up;
      down[i] = ind.down;
    }
    return { oscillator, up, down };
  }
  for (let i = 0; i < n; i++) {
    oscillator[i] = ind.update(cursor.at(i));
    up[i] = ind.up;
    down[i] = ind.down;
  }
  return { oscillator, up, down };
}
