import { invalidArgument } from '../../errors';
import { badInput, checkPeriod, checkValues } from './internal';
import type { StreamingIndicator } from './types';
import { Wma } from './wma';

/**
 * Hull moving average (Alan Hull, 2005): `HMA = WMA(2 * WMA(x, floor(period / 2)) - WMA(x, period), floor(sqrt(period)))`,
 * built from three {@link Wma}s (so it inherits their drift-free sums).
 *
 * Warm-up: `period - 1 + floor(sqrt(period)) - 1`. `period` must be at least 2 (the half window is `floor(period / 2)`).
 *
 * Tested against trading-signals' `HMA` and @ixjb94/indicators' `hma` (same definition, exact agreement).
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Hma implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly half: Wma;
  private readonly full: Wma;
  private readonly root: Wma;
  private out = Number.NaN;

  constructor(period = 9) {
    checkPeriod('Hma', 'period', period);
    if (period < 2) throw invalidArgument(`Hma: period must be at least 2, got ${period}`, { period });
    this.period = period;
    const sqrt = Math.floor(Math.sqrt(period));
    this.warmup = period - 1 + sqrt - 1;
    this.half = new Wma(Math.floor(period / 2));
    this.full = new Wma(period);
    this.root = new Wma(sqrt);
  }

  /** True once `warmup + 1` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest HMA, NaN before {@link Hma.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new HMA, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Hma', 'value', value);
    // The input was checked above, and 2 * half - full of finite inputs is finite: the unchecked path is safe.
    const half = this.half.push(value);
    const full = this.full.push(value);
    if (Number.isNaN(full)) return full;
    const out = this.root.push(2 * half - full);
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.half.reset();
    this.full.reset();
    this.root.reset();
    this.out = Number.NaN;
  }
}

/** Batch {@link Hma}: one output per input, NaN for the first `period + floor(sqrt(period)) - 2`. */
export function hma(values: ArrayLike<number>, period = 9): Float64Array {
  checkValues('hma', values);
  const ind = new Hma(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
