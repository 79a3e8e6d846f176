import { BaseStrategy } from '@rxtrade/core';

/** Buys 0.5 units whenever flat: on a whole-unit instrument every order is refused (QUANTITY_OFF_LOT). */
export class BuysHalf extends BaseStrategy {
  override onBar(): void {
    if (this.position() === 0) this.buy(0.5);
  }
}
