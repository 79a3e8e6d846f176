import { invalidArgument, type RxtradeError } from '../../errors';
import type { IndicatorBarColumns, IndicatorBarSeries, IndicatorVolumeBar } from './types';

/**
 * Largest accepted window length. Buffers are preallocated per instance, so an unbounded period
 * would turn a typo into a multi-gigabyte allocation (and a bare RangeError) instead of a clear error.
 */
export const MAX_PERIOD = 2 ** 24;

/** Validates a window length: a positive integer up to {@link MAX_PERIOD}. Returns it for chaining. */
export function checkPeriod(indicator: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PERIOD) {
    throw invalidArgument(
      `${indicator}: ${name} must be an integer in [1, ${MAX_PERIOD}], got ${String(value)}`,
      {
        indicator,
        [name]: value,
      },
    );
  }
  return value;
}

/** Validates a strictly positive finite number (e.g. a band multiplier). */
export function checkPositive(indicator: string, name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidArgument(`${indicator}: ${name} must be a finite number > 0, got ${String(value)}`, {
      indicator,
      [name]: value,
    });
  }
  return value;
}

/**
 * Builds the error for a non-finite input. Kept out of line so the hot `update` methods stay small enough
 * for V8 to inline; callers throw the result before touching any state, so a rejected input changes nothing.
 */
export function badInput(indicator: string, field: string, value: unknown): RxtradeError {
  return invalidArgument(`${indicator}.update: ${field} must be a finite number, got ${String(value)}`, {
    indicator,
    field,
    value,
  });
}

/** Builds the error for a negative volume. */
export function badVolume(indicator: string, value: number): RxtradeError {
  return invalidArgument(`${indicator}.update: volume must be a finite number >= 0, got ${String(value)}`, {
    indicator,
    field: 'volume',
    value,
  });
}

/**
 * Sliding-window maximum (monotonic deque): amortised O(1) per push, no allocation after construction.
 * Each value enters and leaves the deque at most once, so n pushes cost O(n) in total; a single push
 * can pop up to `period` entries. Window minima reuse it on negated values (negation is exact).
 */
export class RollingMax {
  private readonly values: Float64Array;
  private readonly stamps: Float64Array;
  private readonly period: number;
  private head = 0;
  private size = 0;
  private t = 0;

  constructor(period: number) {
    this.period = period;
    this.values = new Float64Array(period);
    this.stamps = new Float64Array(period);
  }

  /** Adds `x` as the newest element and returns the maximum of the last `period` elements. */
  push(x: number): number {
    const cap = this.period;
    const values = this.values;
    const stamps = this.stamps;
    const t = this.t++;
    let head = this.head;
    let size = this.size;
    // Drop the front if it has left the window [t - period + 1, t].
    if (size > 0 && stamps[head] === t - cap) {
      head = head + 1 === cap ? 0 : head + 1;
      size--;
    }
    // Drop from the back every value that can never be the maximum again.
    while (size > 0) {
      let back = head + size - 1;
      if (back >= cap) back -= cap;
      if ((values[back] as number) > x) break;
      size--;
    }
    let slot = head + size;
    if (slot >= cap) slot -= cap;
    values[slot] = x;
    stamps[slot] = t;
    this.head = head;
    this.size = size + 1;
    return values[head] as number;
  }

  /** Forgets every element. */
  reset(): void {
    this.head = 0;
    this.size = 0;
    this.t = 0;
  }
}

/**
 * Fixed-window mean with a compensated (TwoSum) running sum: O(1) per push, and the sum never drifts,
 * because the rounding error of every add and subtract is captured exactly and carried in `comp` (folded
 * back into the sum once per pass of the ring).
 * Used for the smoothing stages of composite indicators; {@link Sma} inlines the same arithmetic.
 */
export class WindowMean {
  private readonly ring: Float64Array;
  private readonly period: number;
  private idx = 0;
  private count = 0;
  private sum = 0;
  private comp = 0;

  constructor(period: number) {
    this.period = period;
    this.ring = new Float64Array(period);
  }

  /** Adds `x`; returns the window mean, or NaN until `period` values have been pushed. */
  push(x: number): number {
    const ring = this.ring;
    const i = this.idx;
    const old = ring[i] as number;
    ring[i] = x;
    // d + ed = x - old exactly; then s + es = sum + d exactly.
    const d = x - old;
    let z = d - x;
    const ed = x - (d - z) + (-old - z);
    const sum = this.sum;
    let s = sum + d;
    z = s - sum;
    let c = this.comp + (sum - (s - z) + (d - z) + ed);
    if (i + 1 === this.period) {
      // Once per pass of the ring, fold the compensation back into the sum (TwoSum again), so `comp` stays
      // a few ulps of `sum` instead of accumulating every error since construction.
      this.idx = 0;
      const f = s + c;
      z = f - s;
      c = s - (f - z) + (c - z);
      s = f;
    } else {
      this.idx = i + 1;
    }
    this.comp = c;
    this.sum = s;
    if (this.count < this.period) {
      this.count++;
      if (this.count < this.period) return Number.NaN;
    }
    return (s + c) / this.period;
  }

  /** Forgets every element. */
  reset(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.count = 0;
    this.sum = 0;
    this.comp = 0;
  }
}

/** Mutable scratch bar the column cursor writes into (one per batch call, not one per row). */
interface ScratchBar {
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Uniform random access over {@link IndicatorBarSeries} for the batch functions. Bar arrays are returned
 * element by element; columns are copied into one reused scratch object, so a batch run allocates nothing
 * per row. The returned object is only valid until the next call.
 */
export interface BarCursor {
  readonly length: number;
  at(i: number): IndicatorVolumeBar;
}

/** Columns carry array-likes under `close`; an array of bars has no `close` property of its own. */
export function isColumns(series: object): series is IndicatorBarColumns {
  const close = (series as { close?: unknown }).close;
  return typeof close === 'object' && close !== null;
}

/**
 * Builds a {@link BarCursor}. With `needVolume`, a missing volume (column or field) is an INVALID_ARGUMENT
 * instead of a silent NaN.
 */
export function barCursor(indicator: string, series: IndicatorBarSeries, needVolume: boolean): BarCursor {
  if (typeof series !== 'object' || series === null) {
    throw invalidArgument(`${indicator}: bars must be an array of bars or { high, low, close } columns`);
  }
  if (!isColumns(series)) {
    const bars = series;
    const length = bars.length;
    if (needVolume) {
      for (let i = 0; i < length; i++) {
        if (typeof bars[i]?.volume !== 'number') {
          throw invalidArgument(`${indicator}: bar ${i} has no volume`, { indicator, index: i });
        }
      }
    }
    return { length, at: (i) => bars[i] as IndicatorVolumeBar };
  }
  const { high, low, close, volume } = series;
  if (high === undefined || low === undefined || close === undefined) {
    throw invalidArgument(`${indicator}: bar columns need high, low and close`, { indicator });
  }
  const length = close.length;
  if (high.length !== length || low.length !== length || (volume !== undefined && volume.length !== length)) {
    throw invalidArgument(`${indicator}: bar columns must have equal lengths`, {
      indicator,
      high: high.length,
      low: low.length,
      close: length,
      ...(volume === undefined ? {} : { volume: volume.length }),
    });
  }
  if (needVolume && volume === undefined) {
    throw invalidArgument(`${indicator}: a volume column is required`, { indicator });
  }
  // Without a volume column the scratch volume stays NaN: only volume indicators read it, and they require it.
  const scratch: ScratchBar = { high: 0, low: 0, close: 0, volume: Number.NaN };
  return {
    length,
    at(i) {
      scratch.high = high[i] as number;
      scratch.low = low[i] as number;
      scratch.close = close[i] as number;
      if (volume !== undefined) scratch.volume = volume[i] as number;
      return scratch;
    },
  };
}

/** Validates the values array of a batch function. */
export function checkValues(indicator: string, values: ArrayLike<number>): void {
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw invalidArgument(`${indicator}: values must be an array-like of numbers`, { indicator });
  }
}
