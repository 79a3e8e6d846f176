import { type Order, toUnitsExact, VENUE_CLIENT_ORDER_ID } from '@rxtrade/core';
import type { MarketInterface as Market } from 'ccxt';
import { decimalsOf } from './instruments';

/** What the connector sends for an order: ccxt's `createOrder` arguments, amounts as exact decimal strings. */
export interface VenueOrderRequest {
  readonly symbol: string;
  readonly type: 'market' | 'limit';
  readonly side: 'buy' | 'sell';
  readonly amount: string;
  readonly price: string | undefined;
  readonly params: Readonly<Record<string, string | boolean>>;
}

/** The result of applying the exchange's rules to an order: a request, or why it may not be sent. */
export type VenueOrderMapping =
  | { readonly ok: true; readonly request: VenueOrderRequest }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** The precision helpers of a ccxt exchange (`loadMarkets()` must have run), and what the market can take. */
export interface PrecisionRules {
  amountToPrecision(symbol: string, amount: number): string;
  priceToPrecision(symbol: string, price: number): string;
  /**
   * The market takes stop-market orders (Binance `STOP_LOSS` in the symbol's `orderTypes`). Default
   * false: a `stop` order is refused `UNSUPPORTED_ORDER_TYPE` (the connector emulates it instead).
   */
  readonly stopMarket?: boolean;
}

const refuse = (reason: string, message: string): VenueOrderMapping => ({
  ok: false,
  reason,
  message: `${reason}: ${message}`,
});

/**
 * Applies the exchange's precision and limits to an order before it is sent: quantity through ccxt's
 * `amountToPrecision` (truncating to the lot step), prices through `priceToPrecision` (rounding to the
 * tick), then the market's amount and cost limits. Nothing is silently changed: an order whose
 * quantity or price would move on the exchange's grid is refused (`QUANTITY_OFF_LOT`, `PRICE_OFF_TICK`)
 * rather than sent as a different order, and so is one below the limits (`BELOW_MIN_QUANTITY`,
 * `MAX_QUANTITY_EXCEEDED`, `BELOW_MIN_NOTIONAL` — checked at the limit price; a market order's
 * notional is left to the venue) or using what the venue cannot do (`UNSUPPORTED_ORDER_TYPE`: a
 * stop-market order unless `rules.stopMarket`, a trailing stop; `UNSUPPORTED_TIME_IN_FORCE`: DAY, GTD;
 * `UNSUPPORTED_REDUCE_ONLY`: a reduce-only buy on spot — a reduce-only sell goes out as a plain sell,
 * which on spot can never open a position; `INVALID_CLIENT_ORDER_ID`). A stop-market order leaves as
 * ccxt's `market` with `triggerPrice` (Binance `STOP_LOSS`). The client
 * order id goes out as the venue's (Binance `newClientOrderId`). Quantities and prices leave as strings.
 */
export function toVenueOrder(order: Order, market: Market, rules: PrecisionRules): VenueOrderMapping {
  const symbol = market.symbol;
  if (!VENUE_CLIENT_ORDER_ID.test(order.clientOrderId)) {
    return refuse('INVALID_CLIENT_ORDER_ID', `${order.clientOrderId} is not 1–36 of [.A-Za-z0-9:/_-]`);
  }
  if (order.type === 'stop' && rules.stopMarket !== true) {
    return refuse(
      'UNSUPPORTED_ORDER_TYPE',
      `${market.id} takes no stop-market orders; use stopLimit, or let the connector emulate them (emulateStops)`,
    );
  }
  if (order.trailingAmount !== undefined || order.trailingPercent !== undefined) {
    return refuse('UNSUPPORTED_ORDER_TYPE', 'trailing stops are not sent through this connector');
  }
  if (order.timeInForce === 'DAY' || order.timeInForce === 'GTD')
    return refuse('UNSUPPORTED_TIME_IN_FORCE', `${market.id} has no ${order.timeInForce} orders`);
  // A spot sell can never open a position (the venue sells only what the account holds), so a
  // reduce-only sell is sent as a plain one; a reduce-only buy would close a short spot cannot have.
  if (order.reduceOnly && market.spot && order.side === 'buy')
    return refuse('UNSUPPORTED_REDUCE_ONLY', `${market.id} is a spot market`);

  const lotDecimals = decimalsOf(market.precision.amount ?? 1);
  const qp = Math.max(order.quantityPrecision, lotDecimals);
  let amount: string;
  try {
    amount = rules.amountToPrecision(symbol, order.quantity);
  } catch {
    return refuse('BELOW_MIN_QUANTITY', `${order.quantity} is below the smallest step of ${market.id}`);
  }
  if (toUnitsExact(Number(amount), qp) !== toUnitsExact(order.quantity, qp)) {
    return refuse(
      'QUANTITY_OFF_LOT',
      `${order.quantity} is not a multiple of ${market.precision.amount} (${market.id})`,
    );
  }
  const minAmount = market.limits.amount?.min;
  const maxAmount = market.limits.amount?.max;
  if (minAmount !== undefined && order.quantity < minAmount) {
    return refuse('BELOW_MIN_QUANTITY', `${order.quantity} < ${minAmount}`);
  }
  if (maxAmount !== undefined && maxAmount > 0 && order.quantity > maxAmount) {
    return refuse('MAX_QUANTITY_EXCEEDED', `${order.quantity} > ${maxAmount}`);
  }

  const tickDecimals = decimalsOf(market.precision.price ?? 1);
  const onTick = (value: number, name: string): string | VenueOrderMapping => {
    let text: string;
    try {
      text = rules.priceToPrecision(symbol, value);
    } catch {
      return refuse('PRICE_OFF_TICK', `${name} ${value} cannot be priced on ${market.id}`);
    }
    if (toUnitsExact(Number(text), tickDecimals + 2) !== toUnitsExact(value, tickDecimals + 2)) {
      return refuse('PRICE_OFF_TICK', `${name} ${value} is not a multiple of ${market.precision.price}`);
    }
    return text;
  };

  const params: Record<string, string | boolean> = { clientOrderId: order.clientOrderId };
  let price: string | undefined;
  if (order.type === 'limit' || order.type === 'stopLimit') {
    const p = onTick(order.price as number, 'price');
    if (typeof p !== 'string') return p;
    price = p;
    const minCost = market.limits.cost?.min;
    if (minCost !== undefined && Number(p) * order.quantity < minCost) {
      return refuse('BELOW_MIN_NOTIONAL', `${p} × ${order.quantity} < ${minCost}`);
    }
    params['timeInForce'] = order.timeInForce;
    if (order.postOnly) params['postOnly'] = true;
  }
  if (order.type === 'stopLimit' || order.type === 'stop') {
    const trigger = onTick(order.triggerPrice as number, 'triggerPrice');
    if (typeof trigger !== 'string') return trigger;
    params['triggerPrice'] = trigger;
  }
  return {
    ok: true,
    request: {
      symbol,
      type: order.type === 'market' ? 'market' : 'limit',
      side: order.side,
      amount,
      price,
      params,
    },
  };
}
