import { BaseStrategy, Rsi } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  rsiPeriod: z.number().int().positive().default(14),
  quantity: z.number().default(1),
});

/** Buys when RSI < 30, sells when > 70: small enough for CLI tests. */
export class RsiReversion extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly rsi = this.track(new Rsi(this.params.rsiPeriod));

  override onBar(): void {
    if (this.rsi.value < 30 && this.position() === 0) this.buy(this.params.quantity);
    else if (this.rsi.value > 70 && this.position() > 0) this.close();
  }
}
