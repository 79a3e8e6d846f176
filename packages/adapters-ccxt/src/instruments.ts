import { defineInstrument, type Instrument, type OrderType, RxtradeError } from '@rxtrade/core';
import type { MarketInterface as Market } from 'ccxt';

/** ccxt's precision modes (`exchange.precisionMode`). */
export const CCXT_PRECISION_MODE = { DECIMAL_PLACES: 2, SIGNIFICANT_DIGITS: 3, TICK_SIZE: 4 } as const;

/** Decimals of a positive number as written in shortest form: 0.01 → 2, 1e-8 → 8, 5 → 0. */
export function decimalsOf(value: number): number {
  const text = String(value);
  const [mantissa = '', exponent] = text.toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/** The step of a precision value: a tick size as is, a number of decimal places as 10^-n. */
function stepOf(what: 'price' | 'amount', mode: number, market: Market): number {
  const precision = market.precision[what];
  if (
    precision === undefined ||
    !(precision > 0 || (mode === CCXT_PRECISION_MODE.DECIMAL_PLACES && precision >= 0))
  ) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `market ${market.symbol} has no ${what} precision`,
    });
  }
  if (mode === CCXT_PRECISION_MODE.TICK_SIZE) return precision;
  if (mode === CCXT_PRECISION_MODE.DECIMAL_PLACES) return Number(`1e-${precision}`);
  throw new RxtradeError({
    code: 'INVALID_CONFIG',
    message: `market ${market.symbol}: ccxt precision mode ${mode} (significant digits) has no fixed grid; not supported`,
  });
}

/** The exchange's own order types of a market (Binance spot: `info.orderTypes`), or undefined when it does not list them. */
export function exchangeOrderTypes(market: Market): readonly string[] | undefined {
  const listed = (market.info as { orderTypes?: unknown } | undefined)?.orderTypes;
  return Array.isArray(listed) ? listed.filter((t): t is string => typeof t === 'string') : undefined;
}

/**
 * The rxtrade order types the connector takes for a market: `market` and `limit` as listed,
 * `stopLimit` with Binance's `STOP_LOSS_LIMIT`, `stop` with `STOP_LOSS` — or always when the connector
 * emulates stop-market orders (`emulateStops`, the default). Undefined when the exchange does not
 * list its types (nothing is refused up front then).
 */
export function venueOrderTypes(
  market: Market,
  options: { emulateStops?: boolean } = {},
): OrderType[] | undefined {
  const listed = exchangeOrderTypes(market);
  if (listed === undefined) return undefined;
  const types: OrderType[] = [];
  if (listed.includes('MARKET')) types.push('market');
  if (listed.includes('LIMIT')) types.push('limit');
  if (listed.includes('STOP_LOSS') || options.emulateStops !== false) types.push('stop');
  if (listed.includes('STOP_LOSS_LIMIT')) types.push('stopLimit');
  return types.length > 0 ? types : undefined;
}

/**
 * Maps a ccxt market to an rxtrade instrument with the exchange's grid: the instrument id is the
 * exchange's market id (`BTCUSDT`), the tick and lot sizes come from the market's precision (Binance:
 * PRICE_FILTER tickSize, LOT_SIZE stepSize), the minimum and maximum quantity from `limits.amount`, the
 * minimum notional from `limits.cost.min` (Binance NOTIONAL / MIN_NOTIONAL), fees from the market's
 * maker/taker rates and the quote currency from the market, and the order types the connector takes
 * for it ({@link venueOrderTypes}; `emulateStops` as the connector's, default true). Pre-trade risk
 * then denies off-grid orders, and types the venue would refuse (`UNSUPPORTED_ORDER_TYPE`), before
 * they reach the connector — in a backtest on these instruments too.
 */
export function instrumentFromMarket(
  market: Market,
  options: { precisionMode: number; emulateStops?: boolean },
): Instrument {
  if (!market.id)
    throw new RxtradeError({ code: 'INVALID_CONFIG', message: `market ${market.symbol} has no id` });
  const tick = stepOf('price', options.precisionMode, market);
  const lot = stepOf('amount', options.precisionMode, market);
  const min = market.limits.amount?.min;
  const max = market.limits.amount?.max;
  const minNotional = market.limits.cost?.min;
  const orderTypes = venueOrderTypes(market, options);
  return defineInstrument({
    id: market.id,
    pricePrecision: decimalsOf(tick),
    quantityPrecision: decimalsOf(lot),
    tickSize: tick,
    lotSize: lot,
    ...(min !== undefined && min > 0 ? { minQuantity: Math.max(min, lot) } : {}),
    ...(max !== undefined && max > 0 ? { maxQuantity: max } : {}),
    ...(minNotional !== undefined && minNotional > 0 ? { minNotional } : {}),
    quoteCurrency: market.quote,
    ...(market.maker === undefined ? {} : { makerFee: market.maker }),
    ...(market.taker === undefined ? {} : { takerFee: market.taker }),
    ...(orderTypes === undefined ? {} : { orderTypes }),
  });
}
