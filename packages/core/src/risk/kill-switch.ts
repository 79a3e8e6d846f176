import type { TradingEngine } from '../engine/trading-engine';
import { fromUnits, toUnitsExact } from '../model/decimal';
import type { Order } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { flattenRequests } from './flatten';

/** The part of the engine the kill switch drives. */
export type KillSwitchTarget = Pick<
  TradingEngine,
  'holds' | 'openOrders' | 'cancel' | 'submit' | 'accountBook' | 'accounts'
>;

/** Options of {@link killSwitch}. */
export interface KillSwitchOptions {
  /** Why; shown on `riskState$` and in every later `TRADING_HALTED` denial. */
  readonly reason: string;
  /** Also close every position with market orders. Default false: positions stay, valued at the marks. */
  readonly flatten?: boolean;
  /** One account only. Default: the whole engine. */
  readonly accountId?: string;
  /** Strategy id for a part of a position no strategy holds (none, normally). Default `kill-switch`. */
  readonly strategyId?: string;
  /**
   * Owner of the trading hold it places (see `TradingHolds`); only that owner (or an operator's
   * `setTradingState('ACTIVE')`) lifts it. Default `kill-switch`.
   */
  readonly owner?: string;
}

/** What the kill switch did. */
export interface KillSwitchResult {
  /** Orders whose cancel was requested. */
  readonly canceled: number;
  /**
   * Their client order ids. On an asynchronous venue (a fleet, a live exchange) one of them may
   * still fill before its cancel lands: pass such a fill to {@link flattenLateFill}.
   */
  readonly cancelRequested: readonly string[];
  /** The flattening orders, as they are after the risk check (`accepted`, or `denied` with a reason). */
  readonly flattenOrders: readonly Order[];
}

/**
 * Stops trading in one call: the engine (or one account) goes HALTED (a hold owned by `owner`), every open order is
 * canceled, and with `flatten` every net position is closed by a market order. Only cancels pass
 * in HALTED, so flattening runs under REDUCING first and the state moves to HALTED after the
 * orders are out: `riskState$` shows REDUCING then HALTED, both with `reason`. The flattening
 * orders are already at the venue and fill there (a backtest fills them at the next bar's open).
 *
 * Each account's net position per instrument is closed through the strategies that hold its side,
 * largest first, each order booked to its strategy (which sees the fill): the account ends flat and
 * the strategies' virtual positions stay true. Strategies that hedge each other inside one account
 * (one long, one short) keep the offsetting remainder: closing it would need orders that grow the
 * account's position, which REDUCING refuses. State is set before orders are canceled, so a
 * strategy reacting to a cancel cannot slip a new order in.
 *
 * @example
 * killSwitch(engine, { reason: 'operator: venue outage', flatten: true });
 */
export function killSwitch(engine: KillSwitchTarget, options: KillSwitchOptions): KillSwitchResult {
  const { reason, accountId } = options;
  const owner = options.owner ?? 'kill-switch';
  engine.holds.place({ owner, state: options.flatten ? 'REDUCING' : 'HALTED', reason, accountId });
  const cancelRequested: string[] = [];
  for (const order of engine.openOrders()) {
    if (accountId !== undefined && order.accountId !== accountId) continue;
    if (order.status !== 'pendingCancel' && engine.cancel(order.clientOrderId))
      cancelRequested.push(order.clientOrderId);
  }
  const flattenOrders: Order[] = [];
  if (options.flatten) {
    const fallbackStrategyId = options.strategyId ?? 'kill-switch';
    const accounts = accountId === undefined ? engine.accounts().map((a) => a.accountId) : [accountId];
    for (const id of accounts) {
      for (const request of flattenRequests(engine.accountBook(id), { by: 'net', fallbackStrategyId }))
        flattenOrders.push(engine.submit(request));
    }
    engine.holds.place({ owner, state: 'HALTED', reason, accountId });
  }
  return { canceled: cancelRequested.length, cancelRequested, flattenOrders };
}

/**
 * An order whose cancel the kill switch requested filled before the cancel landed (an asynchronous
 * venue: a fleet, a live exchange, where the flatten was sized on the position before that fill):
 * closes what is open on the fill's instrument and not already being closed by a working order of the
 * closing side (the kill switch's own flatten, say), with one reduce-only market order booked to the
 * fill's strategy, under REDUCING and then HALTED again — with the kill switch's own options.
 * Nothing while the kill switch's hold is lifted (trading resumed), for a kill switch that did not
 * flatten, or when the position is flat or already being closed in full.
 *
 * @example
 * const options = { reason: 'operator', flatten: true };
 * const { cancelRequested } = killSwitch(engine, options);
 * engine.fills$.pipe(filter((f) => cancelRequested.includes(f.clientOrderId)))
 *   .subscribe((fill) => flattenLateFill(engine, fill, options));
 */
export function flattenLateFill(
  engine: KillSwitchTarget,
  fill: { readonly accountId: string; readonly instrumentId: string; readonly strategyId: string },
  options: KillSwitchOptions,
): Order[] {
  const { reason, accountId } = options;
  const owner = options.owner ?? 'kill-switch';
  if (!options.flatten) return [];
  const held = engine.holds
    .list()
    .some((h) => h.owner === owner && (h.accountId === undefined || h.accountId === fill.accountId));
  if (!held) return [];
  const net = engine.accountBook(fill.accountId).positions.get(fill.instrumentId);
  if (net === undefined || net.qtyUnits === 0) return [];
  const side = net.qtyUnits > 0 ? 'sell' : 'buy';
  const precision = net.instrument.quantityPrecision;
  let closing = 0;
  for (const o of engine.openOrders()) {
    if (o.accountId !== fill.accountId || o.instrumentId !== fill.instrumentId || o.side !== side) continue;
    if (o.status !== 'pendingCancel') closing += toUnitsExact(o.leavesQty, precision);
  }
  const left = Math.abs(net.qtyUnits) - closing;
  if (!(left > 0)) return [];
  engine.holds.place({ owner, state: 'REDUCING', reason, accountId });
  const order = engine.submit({
    instrumentId: fill.instrumentId,
    accountId: fill.accountId,
    strategyId: fill.strategyId,
    side,
    quantity: fromUnits(left, precision),
    type: 'market',
    reduceOnly: true,
  });
  engine.holds.place({ owner, state: 'HALTED', reason, accountId });
  return [order];
}

/**
 * The orders kill switches asked to cancel that are still open — on an asynchronous venue the cancel
 * is on its way and the order may fill first — each with its switch's options: the one place that
 * follows them to {@link flattenLateFill}. Used by the equity guard and the fleet's risk role.
 */
export class LateFills {
  readonly #pending = new Map<string, KillSwitchOptions>();

  /** Orders followed now. */
  get size(): number {
    return this.#pending.size;
  }

  /** After `killSwitch(target, options)`: follows its canceled orders that are still open there. */
  watch(target: KillSwitchTarget, result: KillSwitchResult, options: KillSwitchOptions): void {
    if (!options.flatten) return;
    const open = new Set(target.openOrders().map((o) => o.clientOrderId));
    for (const id of result.cancelRequested) if (open.has(id)) this.#pending.set(id, options);
  }

  /**
   * An order event, after the target applied it: a fill of a followed order is flattened after (its
   * flattening orders returned); an order no longer open is no longer followed.
   */
  apply(target: () => KillSwitchTarget, event: OrderEvent, stillOpen: boolean): Order[] {
    const options = this.#pending.get(event.clientOrderId);
    if (options === undefined) return [];
    if (!stillOpen) this.#pending.delete(event.clientOrderId);
    return event.type === 'OrderFilled' ? flattenLateFill(target(), event, options) : [];
  }
}
