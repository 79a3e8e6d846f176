import { BaseStrategy, Sma } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  fast: z.number().int().positive().default(10),
  slow: z.number().int().positive().default(30),
  quantity: z.number().positive().default(10),
});

/**
 * Long-only moving-average crossover: buy `quantity` when the fast SMA crosses above the slow one,
 * sell everything when it crosses back below. Market orders fill at the next bar's open.
 */
export class SmaCrossover extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly fast = this.track(new Sma(this.params.fast));
  readonly slow = this.track(new Sma(this.params.slow));
  #previous = Number.NaN;

  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(this.params.quantity);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}

export default SmaCrossover;
