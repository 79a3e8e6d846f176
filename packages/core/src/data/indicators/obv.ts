import { invalidArgument } from '../../errors';
import { badInput, badVolume, isColumns } from './internal';
import type { IndicatorVolumeBar, StreamingIndicator } from './types';

/** What {@link Obv} reads from a bar: a `Bar` or any object with `close` and `volume`. */
export type ObvInput = Pick<IndicatorVolumeBar, 'close' | 'volume'>;

/**
 * On-balance volume: a running total that adds the bar's volume when the close rises, subtracts it when the
 * close falls, and leaves it unchanged on an equal close. It starts at 0 on the first bar (technicalindicators'
 * convention; TA-Lib starts at the first bar's volume), so only differences between readings are meaningful.
 *
 * Warm-up: 0 (the first bar gives 0). Cumulative: `period` is `Infinity`.
 *
 * Non-finite close/volume or a negative volume throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Obv implements StreamingIndicator<ObvInput> {
  readonly period = Number.POSITIVE_INFINITY;
  readonly warmup = 0;
  private started = false;
  private prevClose = 0;
  private total = 0;
  private out = Number.NaN;

  /** True after the first bar. */
  get isReady(): boolean {
    return this.started;
  }

  /** Latest OBV, NaN before the first bar. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new OBV. */
  update(bar: ObvInput): number {
    const close = bar.close;
    const volume = bar.volume;
    if (!Number.isFinite(close)) throw badInput('Obv', 'close', close);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Obv', volume);
    let total = this.total;
    if (this.started) {
      const pc = this.prevClose;
      if (close > pc) total += volume;
      else if (close < pc) total -= volume;
    } else {
      this.started = true;
    }
    this.prevClose = close;
    this.total = total;
    this.out = total;
    return total;
  }

  /** Forgets all bars (the next bar starts again from 0). */
  reset(): void {
    this.started = false;
    this.prevClose = 0;
    this.total = 0;
    this.out = Number.NaN;
  }
}

/** Column input of the batch {@link obv}: closes and volumes of equal length. */
export interface ObvColumns {
  readonly close: ArrayLike<number>;
  readonly volume: ArrayLike<number>;
}

/** Batch {@link Obv} over bar objects or `{ close, volume }` columns: one output per bar (no warm-up). */
export function obv(bars: ArrayLike<ObvInput> | ObvColumns): Float64Array {
  if (typeof bars !== 'object' || bars === null) {
    throw invalidArgument('obv: bars must be an array of bars or { close, volume } columns');
  }
  const ind = new Obv();
  if (!isColumns(bars)) {
    const list = bars as ArrayLike<ObvInput>;
    const out = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) out[i] = ind.update(list[i] as ObvInput);
    return out;
  }
  const { close, volume } = bars as ObvColumns;
  if (close === undefined || volume === undefined || close.length !== volume.length) {
    throw invalidArgument('obv: close and volume columns are required and must have equal lengths');
  }
  const n = close.length;
  const out = new Float64Array(n);
  const scratch = { close: 0, volume: 0 };
  for (let i = 0; i < n; i++) {
    scratch.close = close[i] as number;
    scratch.volume = volume[i] as number;
    out[i] = ind.update(scratch);
  }
  return out;
}
