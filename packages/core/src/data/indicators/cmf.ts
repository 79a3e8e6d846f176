import { badBar, badVolume, barCursor, checkPeriod, type WindowMean, windowMean } from './internal';
import type { IndicatorBarSeries, IndicatorVolumeBar, StreamingIndicator } from './types';

/**
 * Chaikin money flow: `sum(moneyFlowVolume) / sum(volume)` over the last `period` bars, with the money flow volume of
 * {@link Adl} (0 for a bar with `high = low`); 0 when the window has no volume. In [-1, 1].
 *
 * Warm-up: `period - 1`. The window sums are drift-free (see internal `windowMean`).
 *
 * Tested against trading-signals' `CMF` and @ixjb94/indicators' `cmf`. Non-finite high/low/close, or a negative or
 * non-finite volume, throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Cmf implements StreamingIndicator<IndicatorVolumeBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly flow: WindowMean;
  private readonly volume: WindowMean;
  private out = Number.NaN;

  constructor(period = 20) {
    this.period = checkPeriod('Cmf', 'period', period);
    this.warmup = period - 1;
    this.flow = windowMean(period);
    this.volume = windowMean(period);
  }

  /** True once `period` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest CMF in [-1, 1], NaN before {@link Cmf.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new CMF, or NaN while warming up. */
  update(bar: IndicatorVolumeBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const volume = bar.volume;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) throw badBar('Cmf', bar);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Cmf', volume);
    const range = high - low;
    const mfv = range !== 0 ? ((close - low - (high - close)) / range) * volume : 0;
    const flow = this.flow.push(mfv);
    const vol = this.volume.push(volume);
    if (Number.isNaN(flow)) return flow;
    const out = vol > 0 ? flow / vol : 0;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.flow.reset();
    this.volume.reset();
    this.out = Number.NaN;
  }
}

/** Batch {@link Cmf} over bars with volume or `{ high, low, close, volume }` columns: NaN for the first `period - 1`. */
export function cmf(bars: IndicatorBarSeries, period = 20): Float64Array {
  const cursor = barCursor('cmf', bars, true);
  const ind = new Cmf(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
