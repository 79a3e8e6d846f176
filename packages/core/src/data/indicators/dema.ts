import { badInput, checkPeriod, checkValues, EmaStage } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Double exponential moving average (Mulloy, 1994): `DEMA = 2 * EMA(x) - EMA(EMA(x))`. Each EMA is seeded with the
 * mean of its own first `period` inputs (see {@link Ema}; TA-Lib's convention), so the inner EMA of the EMA starts
 * when the first one is ready.
 *
 * Warm-up: `2 * (period - 1)` (TA-Lib's lookback).
 *
 * Convention note: trading-signals and @ixjb94/indicators (Tulip) seed every EMA with its first input instead, so
 * their early values differ; the difference decays by `(1 - alpha)` per input and is below 1e-9 relative after a
 * few hundred inputs (the tests compare both ways). Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Dema implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly first: EmaStage;
  private readonly second: EmaStage;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('Dema', 'period', period);
    this.warmup = 2 * (period - 1);
    this.first = new EmaStage(period);
    this.second = new EmaStage(period);
  }

  /** True once `2 * period - 1` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest DEMA, NaN before {@link Dema.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new DEMA, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Dema', 'value', value);
    const e1 = this.first.push(value);
    if (Number.isNaN(e1)) return e1;
    const e2 = this.second.push(e1);
    if (Number.isNaN(e2)) return e2;
    const out = 2 * e1 - e2;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.first.reset();
    this.second.reset();
    this.out = Number.NaN;
  }
}

/** Batch {@link Dema}: one output per input, NaN for the first `2 * (period - 1)`. */
export function dema(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('dema', values);
  const ind = new Dema(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
