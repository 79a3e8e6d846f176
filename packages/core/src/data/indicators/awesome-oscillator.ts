import { invalidArgument } from '../../errors';
import {
  badBar,
  barCursor,
  checkPeriod,
  DIRECT_SUM_MAX,
  firstBadRow,
  isColumns,
  type WindowMean,
  windowMean,
} from './internal';
import type { IndicatorBar, IndicatorBarColumns, IndicatorBarSeries, StreamingIndicator } from './types';

/** Periods of {@link AwesomeOscillator}, for the batch {@link awesomeOscillator}. */
export interface AwesomeOscillatorOptions {
  /** Fast SMA period, default 5. */
  readonly fast?: number;
  /** Slow SMA period, default 34; must be greater than `fast`. */
  readonly slow?: number;
}

/**
 * Awesome oscillator (Bill Williams): `SMA(median, fast) - SMA(median, slow)` of the median price
 * `(high + low) / 2`, with drift-free window sums (as {@link Sma}).
 *
 * Warm-up: `slow - 1`.
 *
 * Tested against technicalindicators' `AwesomeOscillator`, trading-signals' `AO` and @ixjb94/indicators' `ao`.
 * Non-finite high/low/close throw INVALID_ARGUMENT and leave the state unchanged (close is validated for uniformity).
 */
export class AwesomeOscillator implements StreamingIndicator<IndicatorBar> {
  /** The slow period. */
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly fastSma: WindowMean;
  private readonly slowSma: WindowMean;
  private out = Number.NaN;

  constructor(fast = 5, slow = 34) {
    checkPeriod('AwesomeOscillator', 'fast', fast);
    this.period = checkPeriod('AwesomeOscillator', 'slow', slow);
    if (fast >= slow) {
      throw invalidArgument(`AwesomeOscillator: fast (${fast}) must be less than slow (${slow})`, {
        fast,
        slow,
      });
    }
    this.warmup = slow - 1;
    // The internal window means: the drift-free sums of Sma without a second input check per bar.
    this.fastSma = windowMean(fast);
    this.slowSma = windowMean(slow);
  }

  /** True once `slow` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest oscillator value, NaN before {@link AwesomeOscillator.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new value, or NaN while warming up. */
  update(bar: IndicatorBar): number {
    return this.next(bar.high, bar.low, bar.close);
  }

  /** {@link AwesomeOscillator.update} on a bar's fields (the batch form's column loop). */
  next(high: number, low: number, close: number): number {
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close)))
      throw badBar('AwesomeOscillator', { high, low, close });
    const median = (high + low) / 2;
    const fast = this.fastSma.push(median);
    const out = fast - this.slowSma.push(median);
    if (Number.isNaN(out)) return out;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.fastSma.reset();
    this.slowSma.reset();
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link AwesomeOscillator} over bar objects or columns: NaN for the first `slow - 1`, bit for bit the streamed
 * values. Columns run their own loop (see `awesomeColumns`) instead of pushing row by row through the class.
 */
export function awesomeOscillator(
  bars: IndicatorBarSeries,
  options: AwesomeOscillatorOptions = {},
): Float64Array {
  const cursor = barCursor('awesomeOscillator', bars, false);
  const ind = new AwesomeOscillator(options.fast, options.slow);
  const n = cursor.length;
  if (isColumns(bars)) {
    const out = new Float64Array(n);
    if (awesomeColumns(bars, { fast: options.fast ?? 5, slow: ind.period }, out) !== 0)
      throw firstBadRow('AwesomeOscillator', bars);
    out.fill(Number.NaN, 0, ind.warmup);
    return out;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}

/**
 * The column loop of {@link awesomeOscillator}: the class's two window means (see internal `windowMean`) with their
 * rings and sums in locals, in one pass. Bit for bit the class's arithmetic: a window of up to `DIRECT_SUM_MAX` is
 * re-summed in ring-slot order, a longer one keeps the compensated running sum folded once per pass of its ring.
 * Writes every row of `out` (the caller overwrites the warm-up rows with NaN) and returns 0 when every value was
 * finite, NaN otherwise (`x - x` is NaN only for a non-finite x): no test and throw per row, and nothing after the
 * loop but the return, since V8 compiles the loop on stack replacement before code after it has run, and such code
 * without type feedback deoptimised the compiled loop at the end of every later call (seen with the WMA loop).
 */
function awesomeColumns(
  columns: IndicatorBarColumns,
  periods: { fast: number; slow: number },
  out: Float64Array,
): number {
  const { high, low, close } = columns;
  const { fast, slow } = periods;
  const n = out.length;
  const fastRing = new Float64Array(fast);
  const slowRing = new Float64Array(slow);
  const fastDirect = fast <= DIRECT_SUM_MAX;
  const slowDirect = slow <= DIRECT_SUM_MAX;
  let fi = 0;
  let fSum = 0;
  let fComp = 0;
  let si = 0;
  let sSum = 0;
  let sComp = 0;
  let finite = 0;
  for (let k = 0; k < n; k++) {
    const h = high[k] as number;
    const l = low[k] as number;
    const c = close[k] as number;
    finite += h - h + (l - l) + (c - c);
    const x = (h + l) / 2;
    let fastMean: number;
    if (fastDirect) {
      fastRing[fi] = x;
      fi = fi + 1 === fast ? 0 : fi + 1;
      let s = fastRing[0] as number;
      for (let j = 1; j < fast; j++) s += fastRing[j] as number;
      fastMean = s / fast;
    } else {
      const old = fastRing[fi] as number;
      fastRing[fi] = x;
      const d = x - old;
      let z = d - x;
      const ed = x - (d - z) + (-old - z);
      let s = fSum + d;
      z = s - fSum;
      let cc = fComp + (fSum - (s - z) + (d - z) + ed);
      if (++fi === fast) {
        fi = 0;
        const f = s + cc;
        z = f - s;
        cc = s - (f - z) + (cc - z);
        s = f;
      }
      fSum = s;
      fComp = cc;
      fastMean = (s + cc) / fast;
    }
    let slowMean: number;
    if (slowDirect) {
      slowRing[si] = x;
      si = si + 1 === slow ? 0 : si + 1;
      let s = slowRing[0] as number;
      for (let j = 1; j < slow; j++) s += slowRing[j] as number;
      slowMean = s / slow;
    } else {
      const old = slowRing[si] as number;
      slowRing[si] = x;
      const d = x - old;
      let z = d - x;
      const ed = x - (d - z) + (-old - z);
      let s = sSum + d;
      z = s - sSum;
      let cc = sComp + (sSum - (s - z) + (d - z) + ed);
      if (++si === slow) {
        si = 0;
        const f = s + cc;
        z = f - s;
        cc = s - (f - z) + (cc - z);
        s = f;
      }
      sSum = s;
      sComp = cc;
      slowMean = (s + cc) / slow;
    }
    out[k] = fastMean - slowMean;
  }
  return finite;
}
