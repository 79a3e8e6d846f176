import { BaseStrategy, Sma } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  length: z.number().int().positive().default(3),
  quantity: z.number().positive().default(0.01),
});

/**
 * For `rxtrade paper` tests: throws on a live bar if its SMA is not ready (so a run without enough
 * warm-up fails), buys `quantity` when flat and sells it back on the next bar.
 */
export class WarmFlip extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly sma = this.track(new Sma(this.params.length));

  override onBar(): void {
    if (!this.sma.isReady) throw new Error(`SMA(${this.params.length}) not warm on the first live bar`);
    if (this.position() === 0) this.buy(this.params.quantity);
    else this.close();
  }
}

export default WarmFlip;
