import { badInput, checkPeriod, checkValues } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Simple moving average: the arithmetic mean of the last `period` inputs.
 *
 * Warm-up: `period - 1` (the `period`-th input gives the first value).
 *
 * O(1) per update, no allocation: a Float64Array ring buffer and a running sum. A plain running sum
 * drifts (every add/subtract rounds, and after a large value leaves the window its lost low bits stay
 * lost), so the sum is compensated: each rounding error is computed exactly (TwoSum) and carried in a
 * second accumulator, folded back into the sum once per pass of the ring. The mean stays within ~1e-11
 * relative of a fresh `sum(window) / period` however long the stream, even with spikes 1e20 times the level
 * passing through the window. Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 *
 * @example
 * const sma = new Sma(20);
 * for (const bar of bars) if (!Number.isNaN(sma.update(bar.close))) use(sma.value);
 */
export class Sma implements StreamingIndicator<number> {
  // Numeric fields start as numbers, never `undefined`, so V8 keeps them as small integers or unboxed doubles
  // instead of generic tagged values (see the note in internal.ts).
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly ring: Float64Array;
  private idx = 0;
  private sum = 0;
  private comp = 0;
  /**
   * The divisor of the mean: NaN until the ring has been filled once, then `period`. Readiness can only change when
   * the ring wraps, so folding it into the divisor leaves the hot path without a warm-up counter or branch
   * (NaN / anything is NaN, and `x / period` is the same division as before, bit for bit).
   */
  private div = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('Sma', 'period', period);
    this.warmup = period - 1;
    this.ring = new Float64Array(period);
  }

  /** True once `period` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.div);
  }

  /** Latest mean, NaN before {@link Sma.isReady}. */
  get value(): number {
    return (this.sum + this.comp) / this.div;
  }

  /** Adds one input; returns the mean of the last `period` inputs, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Sma', 'value', value);
    const ring = this.ring;
    const i = this.idx;
    const old = ring[i] as number;
    ring[i] = value;
    // TwoSum twice: d + ed = value - old exactly, then s + es = sum + d exactly; errors go to comp.
    const d = value - old;
    let z = d - value;
    const ed = value - (d - z) + (-old - z);
    const sum = this.sum;
    let s = sum + d;
    z = s - sum;
    let c = this.comp + (sum - (s - z) + (d - z) + ed);
    if (i + 1 === this.period) {
      // Once per pass of the ring, fold the compensation back into the sum (TwoSum again), so `comp` stays
      // a few ulps of `sum` instead of accumulating every error since construction.
      this.idx = 0;
      this.div = this.period;
      const f = s + c;
      z = f - s;
      c = s - (f - z) + (c - z);
      s = f;
    } else {
      this.idx = i + 1;
    }
    this.comp = c;
    this.sum = s;
    return (s + c) / this.div;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.sum = 0;
    this.comp = 0;
    this.div = Number.NaN;
  }
}

/**
 * Batch {@link Sma}: one output per input, NaN for the first `period - 1`. Runs the streaming class, so the
 * two can never disagree.
 */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('sma', values);
  const ind = new Sma(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
