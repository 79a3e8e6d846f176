import { badInput, checkPeriod, checkValues, EmaStage } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Triple exponential moving average (Mulloy, 1994): `TEMA = 3 * e1 - 3 * e2 + e3` with `e1 = EMA(x)`,
 * `e2 = EMA(e1)`, `e3 = EMA(e2)`, each EMA seeded with the mean of its own first `period` inputs (TA-Lib).
 *
 * Warm-up: `3 * (period - 1)` (TA-Lib's lookback).
 *
 * Convention note: trading-signals and @ixjb94/indicators seed each EMA with its first input; their early values
 * differ and converge (see {@link Dema}). Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Tema implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly first: EmaStage;
  private readonly second: EmaStage;
  private readonly third: EmaStage;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('Tema', 'period', period);
    this.warmup = 3 * (period - 1);
    this.first = new EmaStage(period);
    this.second = new EmaStage(period);
    this.third = new EmaStage(period);
  }

  /** True once `3 * period - 2` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest TEMA, NaN before {@link Tema.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new TEMA, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Tema', 'value', value);
    const e1 = this.first.push(value);
    if (Number.isNaN(e1)) return e1;
    const e2 = this.second.push(e1);
    if (Number.isNaN(e2)) return e2;
    const e3 = this.third.push(e2);
    if (Number.isNaN(e3)) return e3;
    const out = 3 * (e1 - e2) + e3;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.first.reset();
    this.second.reset();
    this.third.reset();
    this.out = Number.NaN;
  }
}

/** Batch {@link Tema}: one output per input, NaN for the first `3 * (period - 1)`. */
export function tema(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('tema', values);
  const ind = new Tema(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
