import { badInput, checkPeriod, checkValues, EmaStage } from './internal';
import type { StreamingIndicator } from './types';

/**
 * TRIX (Hutson, 1983): the one-bar rate of change, in percent, of a triple-smoothed EMA:
 * `e3 = EMA(EMA(EMA(x)))`, `TRIX = 100 * (e3 - e3[prev]) / e3[prev]`. Each EMA is seeded with the mean of its own
 * first `period` inputs (TA-Lib, technicalindicators). A zero previous `e3` (all-zero input) gives 0.
 *
 * Warm-up: `3 * (period - 1) + 1` (TA-Lib's lookback).
 *
 * Convention note: trading-signals divides by the current `e3` instead of the previous one, and seeds its EMAs with
 * the first input; this class is tested against technicalindicators' `TRIX`. Non-finite inputs throw
 * INVALID_ARGUMENT and leave the state unchanged.
 */
export class Trix implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly first: EmaStage;
  private readonly second: EmaStage;
  private readonly third: EmaStage;
  private prev = Number.NaN;
  private out = Number.NaN;

  constructor(period = 18) {
    this.period = checkPeriod('Trix', 'period', period);
    this.warmup = 3 * (period - 1) + 1;
    this.first = new EmaStage(period);
    this.second = new EmaStage(period);
    this.third = new EmaStage(period);
  }

  /** True once `3 * period - 1` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest TRIX in percent, NaN before {@link Trix.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new TRIX, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Trix', 'value', value);
    const e1 = this.first.push(value);
    if (Number.isNaN(e1)) return e1;
    const e2 = this.second.push(e1);
    if (Number.isNaN(e2)) return e2;
    const e3 = this.third.push(e2);
    const prev = this.prev;
    this.prev = e3;
    if (Number.isNaN(prev)) return prev;
    const out = prev === 0 ? 0 : (100 * (e3 - prev)) / prev;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.first.reset();
    this.second.reset();
    this.third.reset();
    this.prev = Number.NaN;
    this.out = Number.NaN;
  }
}

/** Batch {@link Trix}: one output per input, NaN for the first `3 * (period - 1) + 1`. */
export function trix(values: ArrayLike<number>, period = 18): Float64Array {
  checkValues('trix', values);
  const ind = new Trix(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
