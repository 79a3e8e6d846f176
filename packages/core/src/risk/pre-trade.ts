import { pow10, toUnitsExact } from '../model/decimal';
import { type Instrument, priceToUnitsExact, quantityToUnits } from '../model/instrument';
import type { Order } from '../model/order';

/** Why the risk engine refused an order: a SCREAMING_SNAKE code and the numbers that failed. */
export interface Denial {
  readonly reason: string;
  readonly message: string;
}

/** What a pre-trade rule may look at. Everything is read-only and already in memory (no I/O). */
export interface PreTradeContext {
  readonly order: Order;
  readonly instrument: Instrument;
  /** Signed quantity the account holds in the instrument now. */
  readonly positionQty: number;
  /** Last known price of the instrument; NaN before the first bar. */
  readonly lastPrice: number;
}

/** A pre-trade rule: undefined to pass, a denial to refuse. Must be pure and fast. */
export type PreTradeRule = (context: PreTradeContext) => Denial | undefined;

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 12 });

/**
 * The instrument's grid: quantity a whole number of lots within [minQuantity, maxQuantity], prices
 * on the tick, notional at least minNotional (at the limit price, or the last price for market
 * and stop orders).
 */
export const instrumentGridRule: PreTradeRule = ({ order, instrument, lastPrice }) => {
  if (Number.isNaN(quantityToUnits(instrument, order.quantity))) {
    return {
      reason: 'QUANTITY_OFF_LOT',
      message: `QUANTITY_OFF_LOT: ${fmt(order.quantity)} is not a multiple of lot ${fmt(instrument.lotSize)}`,
    };
  }
  if (order.quantity < instrument.minQuantity) {
    return {
      reason: 'BELOW_MIN_QUANTITY',
      message: `BELOW_MIN_QUANTITY: ${fmt(order.quantity)} < ${fmt(instrument.minQuantity)}`,
    };
  }
  if (order.quantity > instrument.maxQuantity) {
    return {
      reason: 'MAX_QUANTITY_EXCEEDED',
      message: `MAX_QUANTITY_EXCEEDED: ${fmt(order.quantity)} > ${fmt(instrument.maxQuantity)}`,
    };
  }
  const offTick =
    order.price !== undefined && Number.isNaN(priceToUnitsExact(instrument, order.price))
      ? (['price', order.price] as const)
      : order.triggerPrice !== undefined && Number.isNaN(priceToUnitsExact(instrument, order.triggerPrice))
        ? (['triggerPrice', order.triggerPrice] as const)
        : undefined;
  if (offTick) {
    return {
      reason: 'PRICE_OFF_TICK',
      message: `PRICE_OFF_TICK: ${offTick[0]} ${fmt(offTick[1])} is not a multiple of tick ${fmt(instrument.tickSize)}`,
    };
  }
  if (instrument.minNotional > 0) {
    const reference = order.price ?? order.triggerPrice ?? lastPrice;
    const notional = reference * order.quantity;
    if (Number.isFinite(notional) && notional < instrument.minNotional) {
      return {
        reason: 'BELOW_MIN_NOTIONAL',
        message: `BELOW_MIN_NOTIONAL: ${fmt(notional)} < ${fmt(instrument.minNotional)}`,
      };
    }
  }
  return undefined;
};

/** True when filling `order` completely cannot increase the absolute position. */
export function reducesPosition(order: Order, positionQty: number, quantityPrecision: number): boolean {
  const scale = pow10(quantityPrecision);
  const position = toUnitsExact(positionQty, quantityPrecision);
  const signed = Math.round((order.side === 'buy' ? order.quantity : -order.quantity) * scale);
  return (
    position !== 0 && Math.sign(signed) !== Math.sign(position) && Math.abs(signed) <= Math.abs(position)
  );
}
