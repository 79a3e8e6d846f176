import { BaseStrategy, Sma } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  fast: z.number().int().positive().default(20),
  slow: z.number().int().positive().default(50),
  quantity: z.number().positive().default(10),
});

/** Parameters of {@link SmaCross}. */
export type SmaCrossParams = z.output<typeof params>;

/** Long-only moving-average crossover: buy when the fast SMA crosses above the slow one, exit on the cross back. */
export class SmaCross extends BaseStrategy<SmaCrossParams> {
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
