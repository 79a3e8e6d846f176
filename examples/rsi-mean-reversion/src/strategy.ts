import { type Bar, BaseStrategy, Rsi, roundPrice } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  period: z.number().int().min(2).default(14),
  oversold: z.number().min(0).max(100).default(30),
  overbought: z.number().min(0).max(100).default(70),
  quantity: z.number().positive().default(10),
});

/**
 * RSI mean reversion, long only: buy when RSI(14) falls below 30 (oversold), exit when it rises
 * above 70 (overbought). A limit order one percent below the close catches the dip.
 */
export class RsiMeanReversion extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly rsi = this.track(new Rsi(this.params.period));

  override onBar(bar: Bar): void {
    const rsi = this.rsi.value;
    if (Number.isNaN(rsi)) return;
    const flat = this.position() === 0 && this.context.openOrders().length === 0;
    if (flat && rsi < this.params.oversold) {
      const price = roundPrice(this.context.instrument(bar.symbol), bar.close * 0.99, 'down');
      this.buy(this.params.quantity, { price, timeInForce: 'DAY' });
    } else if (this.position() > 0 && rsi > this.params.overbought) {
      this.close();
    }
  }
}

export default RsiMeanReversion;
