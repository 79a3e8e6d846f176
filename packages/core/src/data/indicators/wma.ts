import { badInput, checkPeriod, checkValues, firstBadValue } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Linearly weighted moving average: the newest input has weight `period`, the oldest weight 1, divided by
 * `period * (period + 1) / 2`.
 *
 * Warm-up: `period - 1`.
 *
 * O(1) per update: the weighted sum is updated as `N += period * x - S` (every weight drops by one) with
 * `S` the plain window sum. To stop those running sums drifting, a second pair of accumulators rebuilds
 * `N` and `S` from scratch over each pass of the ring buffer and replaces them when the ring wraps, so
 * rounding error never spans more than two windows (still O(1) per update, no re-scan of the window).
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Wma implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly ring: Float64Array;
  private readonly denom: number = Number.NaN;
  private idx = 0;
  private count = 0;
  private sum = 0;
  private weighted = 0;
  private freshSum = 0;
  private freshWeighted = 0;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('Wma', 'period', period);
    this.warmup = period - 1;
    this.ring = new Float64Array(period);
    this.denom = (period * (period + 1)) / 2;
  }

  /** True once `period` inputs have been seen. */
  get isReady(): boolean {
    return this.count === this.period;
  }

  /** Latest average, NaN before {@link Wma.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new weighted average, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Wma', 'value', value);
    return this.push(value);
  }

  /**
   * @internal {@link Wma.update} without the input check, for composites that validated their input already
   * (the Hull moving average feeds three of them per update).
   */
  push(value: number): number {
    const p = this.period;
    const ring = this.ring;
    const i = this.idx;
    const old = ring[i] as number;
    ring[i] = value;
    let weighted = this.weighted - this.sum + p * value;
    let sum = this.sum - old + value;
    // Fresh accumulators: the slot index is the weight minus one within the current pass of the ring.
    const freshSum = this.freshSum + value;
    const freshWeighted = this.freshWeighted + (i + 1) * value;
    if (i + 1 === p) {
      this.idx = 0;
      weighted = freshWeighted;
      sum = freshSum;
      this.freshSum = 0;
      this.freshWeighted = 0;
    } else {
      this.idx = i + 1;
      this.freshSum = freshSum;
      this.freshWeighted = freshWeighted;
    }
    this.weighted = weighted;
    this.sum = sum;
    if (this.count < p) {
      this.count++;
      if (this.count < p) return Number.NaN;
    }
    const out = weighted / this.denom;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.count = 0;
    this.sum = 0;
    this.weighted = 0;
    this.freshSum = 0;
    this.freshWeighted = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link Wma}: one output per input, NaN for the first `period - 1`, bit for bit the streamed values. */
export function wma(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('wma', values);
  checkPeriod('Wma', 'period', period);
  const out = new Float64Array(values.length);
  if (wmaInto(values, period, out) !== 0) throw firstBadValue('Wma', values);
  out.fill(Number.NaN, 0, period - 1);
  return out;
}

/**
 * The batch loop of {@link Wma}: its `push` arithmetic in the same order with the state in locals (going through the
 * class stored and reloaded five running sums per value), so bit for bit the streamed values. Writes `out` (same
 * length as `values`); its first `period - 1` rows hold partial-window values for the caller to overwrite with NaN.
 * Returns 0 when every value was finite and NaN otherwise (`x - x` is NaN only for a non-finite x), so the caller
 * checks the input once, after the loop.
 */
function wmaInto(values: ArrayLike<number>, period: number, out: Float64Array): number {
  const n = out.length;
  const ring = new Float64Array(period);
  const denom = (period * (period + 1)) / 2;
  let idx = 0;
  let sum = 0;
  let weighted = 0;
  let freshSum = 0;
  let freshWeighted = 0;
  let finite = 0;
  for (let k = 0; k < n; k++) {
    const value = values[k] as number;
    finite += value - value;
    const old = ring[idx] as number;
    ring[idx] = value;
    weighted = weighted - sum + period * value;
    sum = sum - old + value;
    freshSum += value;
    freshWeighted += (idx + 1) * value;
    if (idx + 1 === period) {
      idx = 0;
      weighted = freshWeighted;
      sum = freshSum;
      freshSum = 0;
      freshWeighted = 0;
    } else {
      idx++;
    }
    out[k] = weighted / denom;
  }
  // Nothing but the return after the loop: V8 compiles this loop on stack replacement during the first call, before
  // code after the loop ever ran, and code there without type feedback (an `out.fill`) deoptimised that compiled
  // loop at the end of every later call (45 times in one bench run). The caller fills the warm-up rows.
  return finite;
}
