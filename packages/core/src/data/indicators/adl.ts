import { badBar, badVolume, barCursor } from './internal';
import type { IndicatorBarSeries, IndicatorVolumeBar, StreamingIndicator } from './types';

/**
 * Accumulation/distribution line (Marc Chaikin): the running total of each bar's money flow volume
 * `((close - low) - (high - close)) / (high - low) * volume` (0 when `high = low`), starting with the first bar's.
 *
 * Warm-up: 0. Cumulative: `period` is `Infinity`, and only differences between readings are meaningful.
 *
 * Tested against technicalindicators' `ADL`, trading-signals' `AD` and @ixjb94/indicators' `ad`. Non-finite
 * high/low/close, or a negative or non-finite volume, throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Adl implements StreamingIndicator<IndicatorVolumeBar> {
  readonly period = Number.POSITIVE_INFINITY;
  readonly warmup = 0;
  private total = 0;
  private out = Number.NaN;

  /** True after the first bar. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest A/D line, NaN before the first bar. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new A/D line. */
  update(bar: IndicatorVolumeBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const volume = bar.volume;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) throw badBar('Adl', bar);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Adl', volume);
    const range = high - low;
    const total = range !== 0 ? this.total + ((close - low - (high - close)) / range) * volume : this.total;
    this.total = total;
    this.out = total;
    return total;
  }

  /** Starts over from 0. */
  reset(): void {
    this.total = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link Adl} over bars with volume or `{ high, low, close, volume }` columns. */
export function adl(bars: IndicatorBarSeries): Float64Array {
  const cursor = barCursor('adl', bars, true);
  const ind = new Adl();
  const n = cursor.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
