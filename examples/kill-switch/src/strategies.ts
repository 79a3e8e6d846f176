import { BaseStrategy, Sma } from '@rxtrade/core';

/** Buys 50 when SMA(10) crosses above SMA(30), closes when it crosses back. */
export class Trend extends BaseStrategy {
  readonly fast = this.track(new Sma(10));
  readonly slow = this.track(new Sma(30));
  #previous = Number.NaN;

  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(50);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}

/**
 * Keeps one resting limit order: a bid 3 % under the close while it holds less than 40, else an
 * offer of the whole position 5 % over the close. Re-quotes when the market runs 7 % away.
 */
export class DipBids extends BaseStrategy {
  override onBar(bar: { close: number }): void {
    for (const order of this.context.openOrders()) {
      if (Math.abs((order.price ?? 0) - bar.close) > bar.close * 0.07) this.cancel(order.clientOrderId);
    }
    if (this.context.openOrders().length > 0) return;
    const held = this.position();
    if (held < 40) this.buy(10, { price: Math.round(bar.close * 0.97 * 100) / 100 });
    else this.sell(held, { price: Math.round(bar.close * 1.05 * 100) / 100 });
  }
}
