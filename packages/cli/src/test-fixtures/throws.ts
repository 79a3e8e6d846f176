import { BaseStrategy } from '@rxtrade/core';

/** Buys on the first bar, then throws on the tenth: the engine stops it and reports StrategyFailed. */
export class ThrowsOnTenth extends BaseStrategy {
  #bars = 0;

  override onBar(): void {
    this.#bars++;
    if (this.#bars === 1) this.buy(1);
    if (this.#bars === 10) throw new Error('division by zero in my signal');
  }
}
