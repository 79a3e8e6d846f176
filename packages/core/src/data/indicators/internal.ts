import { invalidArgument, type RxtradeError } from '../../errors';
import type { IndicatorBar, IndicatorBarColumns, IndicatorBarSeries, IndicatorVolumeBar } from './types';

// Field representation note (applies to every indicator class). With ES2022 class fields, a field declared without
// an initialiser (`readonly alpha: number;`, assigned in the constructor) is first defined as `undefined`; V8 then
// widens its representation to "any tagged value" when the number arrives, and every read on the hot path pays a
// small-integer check, a heap-number map check and a boxed load. Declaring numeric fields with a numeric initialiser
// (`= 0` for counts, `= Number.NaN` for doubles) keeps them as small integers or unboxed doubles; on MACD's six
// coefficients this alone took an update from ~5.6 ns to ~4.2 ns (see bench/indicators.ts).

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

/**
 * Builds the error for a bar with a non-finite high, low or close (naming the first bad field). One call site
 * per `update` keeps the hot method under V8's inlining budget.
 */
export function badBar(indicator: string, bar: { high: number; low: number; close: number }): RxtradeError {
  const field = !Number.isFinite(bar.high) ? 'high' : !Number.isFinite(bar.low) ? 'low' : 'close';
  return badInput(indicator, field, bar[field]);
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
 * Sliding-window highest high and lowest low of the last `period` bars (two monotonic deques sharing one clock):
 * amortised O(1) per push and no allocation after construction. Each value enters and leaves a deque at most once,
 * so n pushes cost O(n) in total; a single push can pop up to `period` entries. The deques live in power-of-two
 * ring buffers indexed with a mask (cheaper than wrap-around branches).
 */
export class RollingRange implements WindowExtremes {
  private readonly highs: Float64Array;
  private readonly highStamps: Float64Array;
  private readonly lows: Float64Array;
  private readonly lowStamps: Float64Array;
  private readonly period: number = 0;
  private readonly mask: number = 0;
  private hHead = 0;
  private hTail = 0;
  private lHead = 0;
  private lTail = 0;
  private t = 0;

  constructor(period: number) {
    let capacity = 2;
    while (capacity < period + 1) capacity *= 2;
    this.period = period;
    this.mask = capacity - 1;
    this.highs = new Float64Array(capacity);
    this.highStamps = new Float64Array(capacity);
    this.lows = new Float64Array(capacity);
    this.lowStamps = new Float64Array(capacity);
  }

  /** Highest high of the window (meaningless before the first push). */
  get max(): number {
    return this.highs[this.hHead] as number;
  }

  /** Lowest low of the window (meaningless before the first push). */
  get min(): number {
    return this.lows[this.lHead] as number;
  }

  /** Pushes since the highest high arrived (0: the newest element); among equal highs, the newest counts. */
  get maxAge(): number {
    return this.t - 1 - (this.highStamps[this.hHead] as number);
  }

  /** Pushes since the lowest low arrived (0: the newest element); among equal lows, the newest counts. */
  get minAge(): number {
    return this.t - 1 - (this.lowStamps[this.lHead] as number);
  }

  /** Adds one bar's high and low as the newest element of the window. */
  push(high: number, low: number): void {
    const mask = this.mask;
    const t = this.t;
    this.t = t + 1;
    const expired = t - this.period;
    // Highs: drop the front if it left the window, then every back value that can never be the max again.
    const highs = this.highs;
    const hs = this.highStamps;
    let head = this.hHead;
    let tail = this.hTail;
    if (head !== tail && hs[head] === expired) head = (head + 1) & mask;
    while (tail !== head) {
      const back = (tail - 1) & mask;
      if ((highs[back] as number) > high) break;
      tail = back;
    }
    highs[tail] = high;
    hs[tail] = t;
    this.hHead = head;
    this.hTail = (tail + 1) & mask;
    // Lows, mirrored.
    const lows = this.lows;
    const ls = this.lowStamps;
    head = this.lHead;
    tail = this.lTail;
    if (head !== tail && ls[head] === expired) head = (head + 1) & mask;
    while (tail !== head) {
      const back = (tail - 1) & mask;
      if ((lows[back] as number) < low) break;
      tail = back;
    }
    lows[tail] = low;
    ls[tail] = t;
    this.lHead = head;
    this.lTail = (tail + 1) & mask;
  }

  /** Forgets every element. */
  reset(): void {
    this.hHead = 0;
    this.hTail = 0;
    this.lHead = 0;
    this.lTail = 0;
    this.t = 0;
  }
}

/** The window extremes {@link WilliamsR} and {@link ChandelierExit} read: highest high and lowest low. */
export interface WindowExtremes {
  readonly max: number;
  readonly min: number;
  push(high: number, low: number): void;
  reset(): void;
}

/**
 * Longest window kept by {@link RescanRange} (see {@link windowExtremes}): a re-scan reads `period` values, so this
 * bounds its worst case (a steadily falling or rising market, where the extreme leaves the window on every push) at 32
 * compares per push per side.
 */
export const RESCAN_MAX_PERIOD = 32;

/** Index of the highest of `xs[start..end]` (inclusive), the last among equals: a column loop's window re-scan. */
export function maxIndex(xs: ArrayLike<number>, start: number, end: number): number {
  let at = start;
  let best = xs[start] as number;
  for (let j = start + 1; j <= end; j++) {
    const v = xs[j] as number;
    if (v >= best) {
      best = v;
      at = j;
    }
  }
  return at;
}

/** Index of the lowest of `xs[start..end]` (inclusive), the last among equals. */
export function minIndex(xs: ArrayLike<number>, start: number, end: number): number {
  let at = start;
  let best = xs[start] as number;
  for (let j = start + 1; j <= end; j++) {
    const v = xs[j] as number;
    if (v <= best) {
      best = v;
      at = j;
    }
  }
  return at;
}

/**
 * Sliding-window highest high and lowest low for an indicator that needs only the values (not their ages): a
 * {@link RescanRange} up to {@link RESCAN_MAX_PERIOD}, a {@link RollingRange} (monotonic deques) beyond.
 */
export function windowExtremes(period: number): WindowExtremes {
  return period <= RESCAN_MAX_PERIOD ? new RescanRange(period) : new RollingRange(period);
}

/**
 * Sliding-window highest high and lowest low of the last `period` pushes, kept as the extreme and the push that
 * brought it, and found again by a scan of the ring (`period` values) only when that push leaves the window. The same
 * values as {@link RollingRange}'s deques; on market data the extreme leaves the window on a small share of pushes, and
 * the common push is two compares and two stores instead of the deques' pops (the loop of @ixjb94/indicators and
 * Tulip Indicators). Worst case O(period) per push: use it through {@link windowExtremes}, which bounds the period.
 */
export class RescanRange implements WindowExtremes {
  private readonly highs: Float64Array;
  private readonly lows: Float64Array;
  private readonly period: number = 0;
  private idx = 0;
  private t = 0;
  private hi = Number.NEGATIVE_INFINITY;
  private hiAt = -1;
  private lo = Number.POSITIVE_INFINITY;
  private loAt = -1;

  constructor(period: number) {
    this.period = period;
    this.highs = new Float64Array(period);
    this.lows = new Float64Array(period);
  }

  /** Highest high of the window (meaningless before the first push). */
  get max(): number {
    return this.hi;
  }

  /** Lowest low of the window (meaningless before the first push). */
  get min(): number {
    return this.lo;
  }

  /** Adds one bar's high and low as the newest element of the window. */
  push(high: number, low: number): void {
    const p = this.period;
    const i = this.idx;
    const t = this.t;
    this.highs[i] = high;
    this.lows[i] = low;
    this.idx = i + 1 === p ? 0 : i + 1;
    this.t = t + 1;
    // Stamp of the oldest push in the window; an extreme older than that has left it.
    const oldest = t - p + 1;
    if (this.hiAt < oldest) this.rescanHigh(oldest);
    else if (high >= this.hi) {
      this.hi = high;
      this.hiAt = t;
    }
    if (this.loAt < oldest) this.rescanLow(oldest);
    else if (low <= this.lo) {
      this.lo = low;
      this.loAt = t;
    }
  }

  /** Finds the highest high of the (full) window again; the oldest element sits in slot `idx`. */
  private rescanHigh(oldest: number): void {
    const xs = this.highs;
    const p = this.period;
    const start = this.idx;
    let best = xs[start] as number;
    let at = 0;
    for (let j = start + 1; j < p; j++) {
      if ((xs[j] as number) >= best) {
        best = xs[j] as number;
        at = j - start;
      }
    }
    for (let j = 0; j < start; j++) {
      if ((xs[j] as number) >= best) {
        best = xs[j] as number;
        at = p - start + j;
      }
    }
    this.hi = best;
    this.hiAt = oldest + at;
  }

  /** Finds the lowest low of the (full) window again. */
  private rescanLow(oldest: number): void {
    const xs = this.lows;
    const p = this.period;
    const start = this.idx;
    let best = xs[start] as number;
    let at = 0;
    for (let j = start + 1; j < p; j++) {
      if ((xs[j] as number) <= best) {
        best = xs[j] as number;
        at = j - start;
      }
    }
    for (let j = 0; j < start; j++) {
      if ((xs[j] as number) <= best) {
        best = xs[j] as number;
        at = p - start + j;
      }
    }
    this.lo = best;
    this.loAt = oldest + at;
  }

  /** Forgets every element. */
  reset(): void {
    this.idx = 0;
    this.t = 0;
    this.hi = Number.NEGATIVE_INFINITY;
    this.hiAt = -1;
    this.lo = Number.POSITIVE_INFINITY;
    this.loAt = -1;
  }
}

/**
 * One exponential moving average stage for the composite indicators (DEMA, TEMA, TRIX, Keltner, …): the
 * {@link Ema} recurrence, seeded with the mean of its first `period` inputs. `push` returns NaN until seeded.
 * The caller validates inputs; a stage fed only finite values stays finite.
 */
export class EmaStage {
  private readonly period: number = 0;
  private readonly alpha: number = Number.NaN;
  private readonly beta: number = Number.NaN;
  private count = 0;
  private seed = 0;
  /** NaN exactly while warming up. */
  private ema = Number.NaN;

  constructor(period: number) {
    this.period = period;
    this.alpha = 2 / (period + 1);
    this.beta = (period - 1) / (period + 1);
  }

  /** Latest average, NaN while warming up. */
  get value(): number {
    return this.ema;
  }

  /** Adds one input; returns the new average, or NaN while warming up. */
  push(x: number): number {
    const prev = this.ema;
    if (!Number.isNaN(prev)) {
      const next = x * this.alpha + prev * this.beta;
      this.ema = next;
      return next;
    }
    this.seed += x;
    if (++this.count < this.period) return Number.NaN;
    this.ema = this.seed / this.period;
    return this.ema;
  }

  reset(): void {
    this.count = 0;
    this.seed = 0;
    this.ema = Number.NaN;
  }
}

/**
 * Windows up to this length are summed afresh on every push (exact, and cheaper than a compensated sum). The column
 * loops of the batch functions that keep window means in locals (awesome oscillator, MFI) branch on it too.
 */
export const DIRECT_SUM_MAX = 8;

/** A fixed-window mean: `push` returns the mean of the last `period` values, NaN until there are that many. */
export interface WindowMean {
  push(x: number): number;
  reset(): void;
}

/**
 * Fixed-window mean for the smoothing stages of composite indicators (Stochastic's %K slowing and %D), O(1) per
 * push with no allocation and no drift. Short windows (up to 8, the usual 3) are re-summed from the ring on every
 * push: a handful of adds, exact, no loop-carried state. Longer ones use a compensated (TwoSum) running sum folded
 * once per pass of the ring, like {@link Sma}. Two small classes rather than one with a branch, so that each stays
 * within V8's inlining budget inside the indicator's `update`.
 */
export function windowMean(period: number): WindowMean {
  return period <= DIRECT_SUM_MAX ? new DirectWindowMean(period) : new CompensatedWindowMean(period);
}

class DirectWindowMean implements WindowMean {
  private readonly ring: Float64Array;
  private readonly period: number = 0;
  private idx = 0;
  private count = 0;

  constructor(period: number) {
    this.period = period;
    this.ring = new Float64Array(period);
  }

  push(x: number): number {
    const ring = this.ring;
    const p = this.period;
    const i = this.idx;
    ring[i] = x;
    this.idx = i + 1 === p ? 0 : i + 1;
    if (this.count < p && ++this.count < p) return Number.NaN;
    let s = ring[0] as number;
    for (let j = 1; j < p; j++) s += ring[j] as number;
    return s / p;
  }

  reset(): void {
    this.idx = 0;
    this.count = 0;
  }
}

class CompensatedWindowMean implements WindowMean {
  private readonly ring: Float64Array;
  private readonly period: number = 0;
  private idx = 0;
  private count = 0;
  private sum = 0;
  private comp = 0;

  constructor(period: number) {
    this.period = period;
    this.ring = new Float64Array(period);
  }

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
    if (this.count < this.period && ++this.count < this.period) return Number.NaN;
    return (s + c) / this.period;
  }

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
  open: number;
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
  const { open, high, low, close, volume } = series;
  if (high === undefined || low === undefined || close === undefined) {
    throw invalidArgument(`${indicator}: bar columns need high, low and close`, { indicator });
  }
  const length = close.length;
  if (
    high.length !== length ||
    low.length !== length ||
    (volume !== undefined && volume.length !== length) ||
    (open !== undefined && open.length !== length)
  ) {
    throw invalidArgument(`${indicator}: bar columns must have equal lengths`, {
      indicator,
      high: high.length,
      low: low.length,
      close: length,
      ...(volume === undefined ? {} : { volume: volume.length }),
      ...(open === undefined ? {} : { open: open.length }),
    });
  }
  if (needVolume && volume === undefined) {
    throw invalidArgument(`${indicator}: a volume column is required`, { indicator });
  }
  // Without a volume column the scratch volume stays NaN: only volume indicators read it, and they require it.
  // Likewise the open stays NaN without an open column (only the candlestick patterns read it, and they require it).
  const scratch: ScratchBar = { open: Number.NaN, high: 0, low: 0, close: 0, volume: Number.NaN };
  return {
    length,
    at(i) {
      scratch.high = high[i] as number;
      scratch.low = low[i] as number;
      scratch.close = close[i] as number;
      if (volume !== undefined) scratch.volume = volume[i] as number;
      if (open !== undefined) scratch.open = open[i] as number;
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

/**
 * Runs a fresh streaming indicator over the rows of `cursor` (built by {@link barCursor}, which validated the series).
 * Only the candlestick patterns share this loop. The other batch functions write their own loop: a loop shared by every
 * indicator calls `update` megamorphically once a process has run a few of them (in bench/indicators.ts, which runs them
 * all in one process, batch functions on a shared loop ran at 0.2 to 0.7 of the streaming class over the same bars).
 */
export function runBarBatch<TBar extends IndicatorBar>(
  cursor: BarCursor,
  create: () => { update(bar: TBar): number },
): Float64Array {
  const ind = create();
  const n = cursor.length;
  const out = new Float64Array(n);
  // The cursor's rows carry every field a series can have (open and volume NaN when absent); `update` validates.
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i) as unknown as TBar);
  return out;
}

/**
 * The error the streaming `indicator` throws for the first row of `columns` with a non-finite high, low or close (the
 * column loops of the batch functions find out that there is one after their loop, from a sum of `x - x`).
 */
export function firstBadRow(indicator: string, columns: IndicatorBarColumns): RxtradeError {
  const { high, low, close } = columns;
  for (let i = 0; i < close.length; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const c = close[i] as number;
    if (!(Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c)))
      return badBar(indicator, { high: h, low: l, close: c });
  }
  return badInput(indicator, 'close', Number.NaN);
}

/** The error the streaming `indicator` throws for the first non-finite entry of `values` (there is one). */
export function firstBadValue(indicator: string, values: ArrayLike<number>): RxtradeError {
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    if (!Number.isFinite(v)) return badInput(indicator, 'value', v);
  }
  return badInput(indicator, 'value', Number.NaN);
}
