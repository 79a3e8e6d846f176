import { BaseStrategy, Sma } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  fast: z.number().int().positive(),
  slow: z.number().int().positive(),
  quantity: z.number().positive(),
});

/** Long-only SMA crossover: buys `quantity` when the fast average crosses above the slow one, closes on the way down. */
export class Trend extends BaseStrategy<z.output<typeof params>> {
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
