import { badInput, checkPeriod, checkValues } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Relative strength index with Wilder smoothing: average gain and loss are seeded with the simple mean of
 * the first `period` changes, then `avg = (avg * (period - 1) + change) / period` (computed as a multiply-add, no
 * division on the dependency chain);
 * `RSI = 100 * avgGain / (avgGain + avgLoss)` (algebraically `100 - 100 / (1 + RS)`).
 *
 * Warm-up: `period` (the first input only sets the previous close; `period` changes are needed).
 *
 * Flat edge cases: no losses gives 100, no gains gives 0, and neither (a perfectly flat window) gives 50,
 * the neutral reading (TA-Lib reports 0 there, technicalindicators and trading-signals 100).
 * Tested against trading-signals' `RSI` (same Wilder seeding); technicalindicators rounds RSI to 2 decimals.
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Rsi implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  /** Wilder weights: `avg = avg * keep + x * rate`, with `rate = 1 / period`, `keep = (period - 1) / period`. */
  private readonly keep: number = Number.NaN;
  private readonly rate: number = Number.NaN;
  private count = 0;
  private prev = 0;
  private avgGain = 0;
  private avgLoss = 0;
  private out = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('Rsi', 'period', period);
    this.warmup = period;
    this.keep = (period - 1) / period;
    this.rate = 1 / period;
  }

  /** True once `period + 1` inputs have been seen. */
  get isReady(): boolean {
    return this.count > this.period;
  }

  /** Latest RSI in [0, 100], NaN before {@link Rsi.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one close; returns the new RSI, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Rsi', 'value', value);
    const change = value - this.prev;
    this.prev = value;
    const gain = Math.max(change, 0);
    const loss = change < 0 ? -change : 0;
    if (this.count > this.period) {
      const g = this.avgGain * this.keep + gain * this.rate;
      const l = this.avgLoss * this.keep + loss * this.rate;
      this.avgGain = g;
      this.avgLoss = l;
      const total = g + l;
      const out = total > 0 ? (100 * g) / total : 50;
      this.out = out;
      return out;
    }
    return this.warm(gain, loss);
  }

  private warm(gain: number, loss: number): number {
    const n = this.count++;
    if (n === 0) return Number.NaN;
    this.avgGain += gain;
    this.avgLoss += loss;
    if (n < this.period) return Number.NaN;
    const g = this.avgGain / this.period;
    const l = this.avgLoss / this.period;
    this.avgGain = g;
    this.avgLoss = l;
    const total = g + l;
    this.out = total > 0 ? (100 * g) / total : 50;
    return this.out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.count = 0;
    this.prev = 0;
    this.avgGain = 0;
    this.avgLoss = 0;
    this.out = Number.NaN;
  }
}

/** Batch {@link Rsi}: one output per input, NaN for the first `period`. */
export function rsi(values: ArrayLike<number>, period = 14): Float64Array {
  checkValues('rsi', values);
  const ind = new Rsi(period);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
