import { Atr, type Bar, BaseStrategy, DonchianChannel, roundPrice } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  channel: z.number().int().min(2).default(55),
  atrPeriod: z.number().int().min(2).default(20),
  stopAtr: z.number().positive().default(2),
  targetAtr: z.number().positive().default(6),
  quantity: z.number().positive().default(10),
});

/**
 * Channel breakout as one bracket: when the close breaks above the previous N-bar high, buy at
 * market with a take-profit `targetAtr` ATRs above the close and a stop-loss `stopAtr` ATRs below
 * it that trails the price by that distance. The exits are placed on the entry's fill and cancel
 * each other (see docs/concepts/orders.md); the strategy manages no order ids.
 */
export class BreakoutAtr extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly atr = this.trackBar(new Atr(this.params.atrPeriod));
  // Donchian is updated by hand after the breakout test, so it holds the *previous* N bars.
  readonly channel = new DonchianChannel(this.params.channel);

  override onBar(bar: Bar): void {
    const upper = this.channel.upper;
    const atr = this.atr.value;
    if (!Number.isNaN(upper) && !Number.isNaN(atr) && bar.close > upper) {
      if (this.position() === 0 && this.context.openOrders(bar.symbol).length === 0) {
        const instrument = this.context.instrument(bar.symbol);
        const distance = roundPrice(instrument, this.params.stopAtr * atr, 'up');
        const stop = roundPrice(instrument, bar.close - distance, 'down');
        if (stop > 0) {
          this.buy(this.params.quantity, {
            takeProfit: { price: roundPrice(instrument, bar.close + this.params.targetAtr * atr, 'up') },
            stopLoss: { triggerPrice: stop, trailingAmount: distance },
          });
        }
      }
    }
    this.channel.update(bar);
  }
}

export default BreakoutAtr;
