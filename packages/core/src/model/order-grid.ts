import { pow10, toUnitsExact } from './decimal';
import type { Instrument } from './instrument';
import type { Order } from './order';

/**
 * Why an order does not fit its instrument. The risk engine denies with these codes
 * (`OrderDenied.reason`) and the simulated venue rejects with them (`OrderRejected.reason`).
 *
 * - `INVALID_ORDER`: side, type or time in force is not one of the known values.
 * - `UNSUPPORTED_ORDER_TYPE`: a known type the instrument's venue does not take (`Instrument.orderTypes`).
 * - `INVALID_QUANTITY`: quantity (or what is left of it) is not a finite number > 0.
 * - `QUANTITY_OFF_LOT`: not a whole number of lots (0.5 on a whole-unit instrument).
 * - `BELOW_MIN_QUANTITY` / `MAX_QUANTITY_EXCEEDED`: outside the instrument's quantity limits.
 * - `INVALID_PRICE`: a price the order type needs is missing, not finite or not > 0.
 * - `PRICE_OFF_TICK`: a price is not a whole number of ticks.
 * - `BELOW_MIN_NOTIONAL`: price × quantity is below the instrument's minimum.
 * - `AMOUNT_OUT_OF_RANGE`: a quantity, price or notional too large to keep exact (see {@link MAX_NOTIONAL_UNITS}).
 */
export type OrderGridReason =
  | 'INVALID_ORDER'
  | 'UNSUPPORTED_ORDER_TYPE'
  | 'INVALID_QUANTITY'
  | 'QUANTITY_OFF_LOT'
  | 'BELOW_MIN_QUANTITY'
  | 'MAX_QUANTITY_EXCEEDED'
  | 'INVALID_PRICE'
  | 'PRICE_OFF_TICK'
  | 'BELOW_MIN_NOTIONAL'
  | 'AMOUNT_OUT_OF_RANGE';

/** An order that does not fit its instrument: the code and a message that starts with it. */
export interface OrderGridViolation {
  readonly reason: OrderGridReason;
  readonly message: string;
}

/**
 * Largest notional of one order (or one fill) in minor units of the account currency: 2^49, so that
 * cash, fees and a few positions' worth of such orders still add up within exact integer range
 * (2^53). At a currency precision of 2 that is 5.6 trillion.
 */
export const MAX_NOTIONAL_UNITS = 2 ** 49;

/** The fields of an order the grid check reads. */
export type GridOrder = Pick<
  Order,
  'side' | 'type' | 'timeInForce' | 'quantity' | 'leavesQty' | 'price' | 'triggerPrice' | 'trailingAmount'
>;

export interface OrderGridOptions {
  /** Price the notional of a market or stop order is judged at (the last price); NaN or unset skips that check. */
  readonly referencePrice?: number;
  /** Decimals of the account currency's minor unit, for {@link MAX_NOTIONAL_UNITS}. Default 2. */
  readonly currencyPrecision?: number;
}

const fmt = (n: unknown): string =>
  typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: 12 }) : String(n);
const finitePositive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

const violation = (reason: OrderGridReason, detail: string): OrderGridViolation => ({
  reason,
  message: `${reason}: ${detail}`,
});

/**
 * Checks an order against its instrument's grid: known side, type and time in force, a type the
 * instrument's venue takes (`orderTypes`); quantity a
 * whole number of lots within [minQuantity, maxQuantity]; the prices its type needs present and on
 * the tick; notional at least minNotional and at most {@link MAX_NOTIONAL_UNITS}. Returns the first
 * violation, or undefined when the order fits. Pure, no allocation when it passes.
 *
 * One rule with two callers: the risk engine's {@link instrumentGridRule} and the simulated venue,
 * which checks again rather than trust whoever called it.
 */
export function checkOrderGrid(
  instrument: Instrument,
  order: GridOrder,
  options?: OrderGridOptions,
): OrderGridViolation | undefined {
  const { side, type, timeInForce } = order;
  if (side !== 'buy' && side !== 'sell') return violation('INVALID_ORDER', `side ${fmt(side)} is unknown`);
  if (type !== 'market' && type !== 'limit' && type !== 'stop' && type !== 'stopLimit') {
    return violation('INVALID_ORDER', `type ${fmt(type)} is unknown`);
  }
  if (
    timeInForce !== 'GTC' &&
    timeInForce !== 'IOC' &&
    timeInForce !== 'FOK' &&
    timeInForce !== 'DAY' &&
    timeInForce !== 'GTD'
  ) {
    return violation('INVALID_ORDER', `timeInForce ${fmt(timeInForce)} is unknown`);
  }
  const types = instrument.orderTypes;
  if (types !== undefined && !types.includes(type)) {
    return violation(
      'UNSUPPORTED_ORDER_TYPE',
      `${instrument.id}'s venue takes ${types.join(', ')} orders, not ${type}`,
    );
  }
  const quantity = order.quantity;
  if (!finitePositive(quantity)) {
    return violation('INVALID_QUANTITY', `quantity ${fmt(quantity)} is not a finite number > 0`);
  }
  const qp = instrument.quantityPrecision;
  const qtyUnits = toUnitsExact(quantity, qp);
  if (Number.isNaN(qtyUnits)) return offLot(instrument, quantity);
  if (quantity > instrument.maxQuantity) {
    return violation('MAX_QUANTITY_EXCEEDED', `${fmt(quantity)} > ${fmt(instrument.maxQuantity)}`);
  }
  // Before the lot: % on a double beyond 2^53 says nothing useful.
  if (!Number.isSafeInteger(qtyUnits)) {
    return violation('AMOUNT_OUT_OF_RANGE', `quantity ${fmt(quantity)} is too large to hold exactly`);
  }
  if (qtyUnits % instrument.lotUnits !== 0) return offLot(instrument, quantity);
  if (qtyUnits < 1 || quantity < instrument.minQuantity) {
    return violation('BELOW_MIN_QUANTITY', `${fmt(quantity)} < ${fmt(instrument.minQuantity)}`);
  }
  const leaves = order.leavesQty;
  // Nothing filled yet (every order the engine sends): the leaves are the quantity, checked above.
  const leavesUnits =
    // Stryker disable next-line ConditionalExpression: equivalent — qtyUnits is toUnitsExact(quantity, qp), what the other branch computes for leaves === quantity
    leaves === quantity ? qtyUnits : finitePositive(leaves) ? toUnitsExact(leaves, qp) : Number.NaN;
  if (!(leavesUnits > 0 && leavesUnits <= qtyUnits && leavesUnits % instrument.lotUnits === 0)) {
    return violation(
      'INVALID_QUANTITY',
      `leaves quantity ${fmt(leaves)} is not a whole number of lots in (0, ${fmt(quantity)}]`,
    );
  }
  const needsPrice = type === 'limit' || type === 'stopLimit';
  const needsTrigger = type === 'stop' || type === 'stopLimit';
  const price = order.price;
  const trigger = order.triggerPrice;
  if (needsPrice && !finitePositive(price)) {
    return violation('INVALID_PRICE', `price ${fmt(price)} of a ${type} order is not a finite number > 0`);
  }
  if (needsTrigger && !finitePositive(trigger)) {
    return violation(
      'INVALID_PRICE',
      `triggerPrice ${fmt(trigger)} of a ${type} order is not a finite number > 0`,
    );
  }
  const priceOff = needsPrice ? priceProblem(instrument, 'price', price as number) : undefined;
  if (priceOff) return priceOff;
  const triggerOff = needsTrigger ? priceProblem(instrument, 'triggerPrice', trigger as number) : undefined;
  if (triggerOff) return triggerOff;
  const trail = order.trailingAmount;
  const trailOff = trail === undefined ? undefined : priceProblem(instrument, 'trailingAmount', trail);
  if (trailOff) return trailOff;
  const reference = needsPrice
    ? (price as number)
    : needsTrigger
      ? (trigger as number)
      : options?.referencePrice;
  if (reference === undefined || !Number.isFinite(reference)) return undefined;
  const notional = reference * quantity;
  if (notional < instrument.minNotional) {
    return violation('BELOW_MIN_NOTIONAL', `${fmt(notional)} < ${fmt(instrument.minNotional)}`);
  }
  if (notional * pow10(options?.currencyPrecision ?? 2) > MAX_NOTIONAL_UNITS) {
    return violation('AMOUNT_OUT_OF_RANGE', `notional ${fmt(notional)} is too large to hold exactly`);
  }
  return undefined;
}

// Built only when refused: toLocaleString costs tens of microseconds, on every order it was the engine's whole per-order cost.
function offLot(instrument: Instrument, quantity: number): OrderGridViolation {
  return violation(
    'QUANTITY_OFF_LOT',
    `${fmt(quantity)} is not a multiple of lot ${fmt(instrument.lotSize)}`,
  );
}

function priceProblem(instrument: Instrument, field: string, price: number): OrderGridViolation | undefined {
  const units = toUnitsExact(price, instrument.pricePrecision);
  if (Number.isSafeInteger(units) || Number.isNaN(units)) {
    // A price that rounds to zero units (1e-12 at two decimals) is off the grid as well.
    if (!(units >= 1) || units % instrument.tickUnits !== 0) {
      return violation(
        'PRICE_OFF_TICK',
        `${field} ${fmt(price)} is not a positive multiple of tick ${fmt(instrument.tickSize)}`,
      );
    }
    return undefined;
  }
  return violation('AMOUNT_OUT_OF_RANGE', `${field} ${fmt(price)} is too large to hold exactly`);
}
