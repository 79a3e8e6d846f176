import { badInput, checkPeriod, runValueBatch } from './internal';
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
  readonly period: number;
  readonly warmup: number;
  private readonly ring: Float64Array;
  private idx = 0;
  private count = 0;
  private sum = 0;
  private comp = 0;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('Sma', 'period', period);
    this.warmup = period - 1;
    this.ring = new Float64Array(period);
  }

  /** True once `period` inputs have been seen. */
  get isReady(): boolean {
    return this.count === this.period;
  }

  /** Latest mean, NaN before {@link Sma.isReady}. */
  get value(): number {
    return this.out;
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
    const out = (s + c) / this.period;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.count = 0;
    this.sum = 0;
    this.comp = 0;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Sma}: one output per input, NaN for the first `period - 1`. Runs the streaming class, so the
 * two can never disagree.
 */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  return runValueBatch('sma', values, () => new Sma(period));
}
