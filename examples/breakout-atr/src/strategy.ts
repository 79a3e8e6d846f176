import { Atr, type Bar, BaseStrategy, DonchianChannel, type Fill, roundPrice } from '@rxtrade/core';
import { z } from 'zod';

const params = z.object({
  channel: z.number().int().min(2).default(55),
  atrPeriod: z.number().int().min(2).default(20),
  stopAtr: z.number().positive().default(2),
  quantity: z.number().positive().default(10),
});

/**
 * Channel breakout with an ATR stop: buy when the close breaks above the previous N-bar high,
 * then protect the position with a stop `stopAtr` ATRs below the entry, trailed up each bar.
 */
export class BreakoutAtr extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly atr = this.trackBar(new Atr(this.params.atrPeriod));
  // Donchian is updated by hand after the breakout test, so it holds the *previous* N bars.
  readonly channel = new DonchianChannel(this.params.channel);
  #stopId: string | undefined;
  #stopPrice = 0;

  override onBar(bar: Bar): void {
    const upper = this.channel.upper;
    const atr = this.atr.value;
    if (!Number.isNaN(upper) && !Number.isNaN(atr)) {
      if (this.position() === 0 && this.#stopId === undefined && bar.close > upper) {
        this.buy(this.params.quantity);
      } else if (this.position() > 0) {
        this.#trail(bar, atr);
      }
    }
    this.channel.update(bar);
  }

  override onFill(fill: Fill): void {
    if (fill.side === 'buy') {
      this.#stopPrice = 0;
      this.#trail({ symbol: fill.instrumentId, close: fill.lastPx } as Bar, this.atr.value);
    } else if (this.position() === 0) {
      this.#stopId = undefined;
    }
  }

  #trail(bar: Pick<Bar, 'symbol' | 'close'>, atr: number): void {
    const instrument = this.context.instrument(bar.symbol);
    const stop = roundPrice(instrument, bar.close - this.params.stopAtr * atr, 'down');
    if (stop <= this.#stopPrice || stop <= 0) return;
    if (this.#stopId !== undefined) this.cancel(this.#stopId);
    this.#stopPrice = stop;
    this.#stopId = this.sell(this.position(), { triggerPrice: stop }).clientOrderId;
  }
}

export default BreakoutAtr;
