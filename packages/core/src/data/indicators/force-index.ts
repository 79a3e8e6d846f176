import { badInput, badVolume, barCursor, checkPeriod, EmaStage, isColumns } from './internal';
import type { ObvInput } from './obv';
import type { IndicatorBarSeries, StreamingIndicator } from './types';

/**
 * Force index (Alexander Elder): the EMA over `period` of `(close - previousClose) * volume`. The EMA is seeded with
 * the mean of its first `period` values (see {@link Ema}); the first bar only provides the previous close.
 *
 * Warm-up: `period` (the `period + 1`-th bar gives the first value).
 *
 * Tested against technicalindicators' `ForceIndex` (exact); trading-signals' `ForceIndex` and @ixjb94/indicators'
 * `fi` seed the EMA with its first value and converge to the same values. Non-finite close, or a negative or
 * non-finite volume, throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class ForceIndex implements StreamingIndicator<ObvInput> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly ema: EmaStage;
  private started = false;
  private prevClose = 0;
  private out = Number.NaN;

  constructor(period = 13) {
    this.period = checkPeriod('ForceIndex', 'period', period);
    this.warmup = period;
    this.ema = new EmaStage(period);
  }

  /** True once `period + 1` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest force index, NaN before {@link ForceIndex.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar (`close` and `volume` are read); returns the new force index, or NaN while warming up. */
  update(bar: ObvInput): number {
    return this.next(bar.close, bar.volume);
  }

  /** {@link ForceIndex.update} on a bar's close and volume (the batch form's column loop). */
  next(close: number, volume: number): number {
    if (!Number.isFinite(close)) throw badInput('ForceIndex', 'close', close);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('ForceIndex', volume);
    const prev = this.prevClose;
    this.prevClose = close;
    if (!this.started) {
      this.started = true;
      return Number.NaN;
    }
    const out = this.ema.push((close - prev) * volume);
    if (Number.isNaN(out)) return out;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.ema.reset();
    this.started = false;
    this.prevClose = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link ForceIndex} over bars with volume or `{ high, low, close, volume }` columns: NaN for the first `period`. */
export function forceIndex(bars: IndicatorBarSeries, period = 13): Float64Array {
  const cursor = barCursor('forceIndex', bars, true);
  const ind = new ForceIndex(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars) && bars.volume !== undefined) {
    // Columns go straight to the update's arithmetic instead of through a copied scratch bar.
    const { close, volume } = bars;
    for (let i = 0; i < n; i++) out[i] = ind.next(close[i] as number, volume[i] as number);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
