import { badBar, badVolume, barCursor, checkPeriod, type WindowMean, windowMean } from './internal';
import type { IndicatorBarSeries, IndicatorVolumeBar, StreamingIndicator } from './types';

/**
 * Money flow index (Quong and Soudack, 1989), a volume-weighted RSI. With `tp = (high + low + close) / 3` and the raw
 * flow `tp * volume`, a bar's flow is positive when `tp` rose from the previous bar, negative when it fell, neither
 * when equal; `MFI = 100 * positive / (positive + negative)` over the last `period` flows. The first bar only seeds
 * the previous `tp`. No flow at all in the window (flat prices or zero volume) gives 50, like a flat {@link Rsi}
 * (trading-signals does the same).
 *
 * Warm-up: `period` (the `period + 1`-th bar gives the first value). The window sums are drift-free (see internal
 * `windowMean`).
 *
 * Tested against technicalindicators' `MFI`, trading-signals' `MFI` and @ixjb94/indicators' `mfi`. Non-finite
 * high/low/close, or a negative or non-finite volume, throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Mfi implements StreamingIndicator<IndicatorVolumeBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly positive: WindowMean;
  private readonly negative: WindowMean;
  private started = false;
  private prevTp = 0;
  private out = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('Mfi', 'period', period);
    this.warmup = period;
    this.positive = windowMean(period);
    this.negative = windowMean(period);
  }

  /** True once `period + 1` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest MFI in [0, 100], NaN before {@link Mfi.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new MFI, or NaN while warming up. */
  update(bar: IndicatorVolumeBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const volume = bar.volume;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) throw badBar('Mfi', bar);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Mfi', volume);
    const tp = (high + low + close) / 3;
    const prev = this.prevTp;
    this.prevTp = tp;
    if (!this.started) {
      this.started = true;
      return Number.NaN;
    }
    const flow = tp * volume;
    const pos = this.positive.push(tp > prev ? flow : 0);
    const neg = this.negative.push(tp < prev ? flow : 0);
    if (Number.isNaN(pos)) return pos;
    const total = pos + neg;
    const out = total > 0 ? (100 * pos) / total : 50;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.positive.reset();
    this.negative.reset();
    this.started = false;
    this.prevTp = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link Mfi} over bars with volume or `{ high, low, close, volume }` columns: NaN for the first `period`. */
export function mfi(bars: IndicatorBarSeries, period = 14): Float64Array {
  const cursor = barCursor('mfi', bars, true);
  const ind = new Mfi(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
