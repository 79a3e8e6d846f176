import { BaseStrategy, Rsi, Sma } from '@rxtrade/core';
import { z } from 'zod';

const trendParams = z.object({
  fast: z.number().int().positive().default(20),
  slow: z.number().int().positive().default(50),
});

/** Sizeless trend signals: long when SMA(fast) crosses above SMA(slow), flat when it crosses back. */
export class TrendSignals extends BaseStrategy<z.output<typeof trendParams>> {
  static override paramsSchema = trendParams;
  readonly fast = this.track(new Sma(this.params.fast));
  readonly slow = this.track(new Sma(this.params.slow));
  #previous = Number.NaN;

  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0) this.signal('long');
    else if (diff < 0 && this.#previous >= 0) this.signal('flat');
    this.#previous = diff;
  }
}

const dipParams = z.object({
  period: z.number().int().positive().default(14),
  buyBelow: z.number().default(30),
  sellAbove: z.number().default(55),
});

/** Sizeless dip-buying signals: long when RSI falls below `buyBelow`, flat when it rises above `sellAbove`. */
export class DipBuyer extends BaseStrategy<z.output<typeof dipParams>> {
  static override paramsSchema = dipParams;
  readonly rsi = this.track(new Rsi(this.params.period));
  #long = false;

  override onBar(): void {
    const rsi = this.rsi.value;
    if (!this.#long && rsi < this.params.buyBelow) {
      this.#long = true;
      this.signal('long');
    } else if (this.#long && rsi > this.params.sellAbove) {
      this.#long = false;
      this.signal('flat');
    }
  }
}
