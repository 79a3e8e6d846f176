import { toUnitsExact } from '../model/decimal';
import { priceToUnits } from '../model/instrument';
import { buyCostMinorUnits } from '../model/money';
import type { Order } from '../model/order';
import type { PreTradeMarket } from './pre-trade';

/**
 * Minor units of cash the open buys among `openOrders` hold back: each one's unfilled quantity at its
 * limit price (else its trigger price, else the instrument's last price), plus the fee at the larger
 * of the instrument's maker and taker rates, rounded up ({@link buyCostMinorUnits}). A buy with no
 * price yet holds nothing back. The one home of "reserved cash": the `requireCash` limit and
 * position sizing's available cash both call it. Exact.
 */
export function reservedCashUnits(
  openOrders: Iterable<Order>,
  market: PreTradeMarket,
  currencyPrecision: number,
): number {
  let reserved = 0;
  for (const open of openOrders) {
    if (open.side !== 'buy') continue;
    const price = open.price ?? open.triggerPrice ?? market.lastPrice(open.instrumentId);
    if (Number.isNaN(price)) continue;
    const instrument = market.instrument(open.instrumentId);
    reserved += buyCostMinorUnits(
      instrument,
      {
        pxUnits: priceToUnits(instrument, price),
        qtyUnits: toUnitsExact(open.leavesQty, open.quantityPrecision),
      },
      currencyPrecision,
    );
  }
  return reserved;
}
