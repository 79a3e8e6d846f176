import { badInput, checkPeriod, checkValues } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Rate of change in percent: `100 * (x - x[period ago]) / x[period ago]` (technicalindicators' and TA-Lib's
 * `ROC`; trading-signals returns the fraction, i.e. this divided by 100).
 *
 * Warm-up: `period` (the `period + 1`-th input gives the first value).
 *
 * Meant for positive series such as prices: a zero reference value gives ±Infinity or NaN by IEEE division.
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Roc implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly ring: Float64Array;
  private idx = 0;
  private count = 0;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('Roc', 'period', period);
    this.warmup = period;
    this.ring = new Float64Array(period);
  }

  /** True once `period + 1` inputs have been seen. */
  get isReady(): boolean {
    return this.count > this.period;
  }

  /** Latest rate of change in percent, NaN before {@link Roc.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new rate of change in percent, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Roc', 'value', value);
    const ring = this.ring;
    const i = this.idx;
    const ref = ring[i] as number;
    ring[i] = value;
    this.idx = i + 1 === this.period ? 0 : i + 1;
    if (this.count <= this.period && ++this.count <= this.period) return Number.NaN;
    const out = ((value - ref) / ref) * 100;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.count = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link Roc}: one output per input, NaN for the first `period`. */
export function roc(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('roc', values);
  const ind = new Roc(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
