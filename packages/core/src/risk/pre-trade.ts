import { pow10, toUnitsExact } from '../model/decimal';
import type { Denial } from '../model/denial';
import type { Instrument } from '../model/instrument';
import type { Order, OrderSide } from '../model/order';
import { checkOrderGrid } from '../model/order-grid';

export type { Denial, DenialReason } from '../model/denial';

/** The fields of a position book rules read (the engine passes its exact books; integer units). */
export interface PositionView {
  readonly instrument: Instrument;
  /** Signed quantity in quantity units. */
  readonly qtyUnits: number;
  /** Signed market value at the last mark, minor units of the account currency. */
  readonly valueUnits: number;
  /** Last mark in price units; 0 before the first mark. */
  readonly markPxUnits: number;
}

/** A strategy's virtual book as rules see it: a position view and what the strategy's fills cost it. */
export interface StrategyPositionView extends PositionView {
  /** Signed cost basis of the open quantity, minor units (long > 0, short < 0). */
  readonly costUnits: number;
  /** Realised PnL so far, minor units (before fees). */
  readonly realizedUnits: number;
  /** Fees paid so far, minor units. */
  readonly feeUnits: number;
}

/** The account an order is for, as rules see it: exact integer units, read-only. */
export interface PreTradeAccount {
  readonly id: string;
  readonly currency: string;
  readonly currencyPrecision: number;
  readonly initialCashUnits: number;
  readonly cashUnits: number;
  /** Cash + Σ market value at the last marks, minor units. */
  readonly equityUnits: number;
  /** Net position per instrument id (flat books of traded instruments included). */
  readonly positions: ReadonlyMap<string, PositionView>;
  /** Per-strategy virtual positions: strategyId → instrument id → book. */
  readonly strategyPositions: ReadonlyMap<string, ReadonlyMap<string, StrategyPositionView>>;
}

/** Market lookups a rule may need for instruments other than the order's. */
export interface PreTradeMarket {
  /** Last known price; NaN before the instrument's first bar. */
  lastPrice(instrumentId: string): number;
  instrument(instrumentId: string): Instrument;
}

/**
 * What a pre-trade rule may look at. Everything is read-only and already in memory (no I/O). The
 * engine builds it only when an order is submitted; derived numbers (exposure, reserved cash) are
 * left to the rules that need them, so unused limits cost nothing.
 */
export interface PreTradeContext {
  /** The order being checked (status `initialized`; `tsInit` is the engine clock's time now). */
  readonly order: Order;
  readonly instrument: Instrument;
  /** Signed quantity the account holds in the instrument now. */
  readonly positionQty: number;
  /** Last known price of the instrument; NaN before the first bar. */
  readonly lastPrice: number;
  /** The order's account. */
  readonly account: PreTradeAccount;
  /** The account's open orders by client order id, the order being checked not among them. */
  readonly openOrders: ReadonlyMap<string, Order>;
  readonly market: PreTradeMarket;
}

/** A pre-trade rule: undefined to pass, a denial to refuse. Must be pure and fast. */
export type PreTradeRule = (context: PreTradeContext) => Denial | undefined;

/**
 * The instrument's grid (see {@link checkOrderGrid}, which the simulated venue applies too): known
 * side, type and time in force; quantity a finite whole number of lots within [minQuantity,
 * maxQuantity]; prices on the tick; notional at least minNotional (at the limit or trigger price,
 * or the last price for market orders) and within exact range. Reasons are {@link OrderGridReason}s.
 */
export const instrumentGridRule: PreTradeRule = ({ order, instrument, lastPrice, account }) =>
  checkOrderGrid(instrument, order, {
    referencePrice: lastPrice,
    currencyPrecision: account.currencyPrecision,
  });

/** True when filling `order` completely cannot increase the absolute position. */
export function reducesPosition(order: Order, positionQty: number, quantityPrecision: number): boolean {
  const scale = pow10(quantityPrecision);
  const position = toUnitsExact(positionQty, quantityPrecision);
  const signed = Math.round((order.side === 'buy' ? order.quantity : -order.quantity) * scale);
  return shrinks(position, signed);
}

/** True when adding `signed` units to a `position` of units moves it towards zero without passing it. */
function shrinks(position: number, signed: number): boolean {
  return (
    position !== 0 && Math.sign(signed) !== Math.sign(position) && Math.abs(signed) <= Math.abs(position)
  );
}

/**
 * Quantity units the open orders among `openOrders` on one instrument and side have left to fill: the
 * position they would add if they all filled. Orders waiting for a cancel count (they may still
 * fill) unless `of.pendingCancel` is `skip`. The one home of "pending same-side quantity": the REDUCING
 * check, the max-position limit and position sizing all call it.
 */
export function openSideUnits(
  openOrders: Iterable<Order>,
  of: {
    readonly instrumentId: string;
    readonly side: OrderSide;
    readonly pendingCancel?: 'count' | 'skip';
  },
): number {
  const { instrumentId, side } = of;
  const skipPendingCancel = of.pendingCancel === 'skip';
  let units = 0;
  for (const open of openOrders) {
    if (open.instrumentId !== instrumentId || open.side !== side) continue;
    if (skipPendingCancel && open.status === 'pendingCancel') continue;
    units += toUnitsExact(open.leavesQty, open.quantityPrecision);
  }
  return units;
}

/**
 * Quantity units of the open orders on `order`'s account, instrument and side: the position they
 * would add if they all filled. Orders waiting for a cancel are left out (see REDUCING in
 * docs/concepts/risk.md), so a kill switch can flatten while its cancels are in flight.
 */
export function pendingSameSideUnits(order: Order, openOrders: ReadonlyMap<string, Order>): number {
  return openSideUnits(openOrders.values(), {
    instrumentId: order.instrumentId,
    side: order.side,
    pendingCancel: 'skip',
  });
}

/**
 * True when filling `order` together with every open order on the same side cannot increase the
 * account's absolute position: the REDUCING check. Counting open orders matters: two sells of 10
 * against a long 10 each "reduce" alone, and together flip the account to short 10.
 */
export function reducesPositionWithOpenOrders(
  context: Pick<PreTradeContext, 'order' | 'instrument' | 'positionQty' | 'openOrders'>,
): boolean {
  const { order, instrument } = context;
  const precision = instrument.quantityPrecision;
  const pending = pendingSameSideUnits(order, context.openOrders);
  const position = toUnitsExact(context.positionQty, precision) + (order.side === 'buy' ? pending : -pending);
  const signed = Math.round((order.side === 'buy' ? order.quantity : -order.quantity) * pow10(precision));
  return shrinks(position, signed);
}
