import type { TradingEngine } from '../engine/trading-engine';
import { fromUnits } from '../model/decimal';
import type { Order } from '../model/order';

/** The part of the engine the kill switch drives. */
export type KillSwitchTarget = Pick<
  TradingEngine,
  'setTradingState' | 'openOrders' | 'cancel' | 'submit' | 'accountBook' | 'accounts'
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
}

/** What the kill switch did. */
export interface KillSwitchResult {
  /** Orders whose cancel was requested. */
  readonly canceled: number;
  /** The flattening orders, as they are after the risk check (`accepted`, or `denied` with a reason). */
  readonly flattenOrders: readonly Order[];
}

/**
 * Stops trading in one call: the engine (or one account) goes HALTED, every open order is
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
  const scope = accountId === undefined ? {} : { accountId };
  engine.setTradingState(options.flatten ? 'REDUCING' : 'HALTED', { reason, ...scope });
  let canceled = 0;
  for (const order of engine.openOrders()) {
    if (accountId !== undefined && order.accountId !== accountId) continue;
    if (order.status !== 'pendingCancel' && engine.cancel(order.clientOrderId)) canceled++;
  }
  const flattenOrders: Order[] = [];
  if (options.flatten) {
    const fallback = options.strategyId ?? 'kill-switch';
    const accounts = accountId === undefined ? engine.accounts().map((a) => a.accountId) : [accountId];
    for (const id of accounts) {
      const book = engine.accountBook(id);
      for (const net of book.positions.values()) {
        if (net.qtyUnits === 0) continue;
        const { instrument } = net;
        const side = net.qtyUnits > 0 ? 'sell' : 'buy';
        // The strategies holding the net's side, largest first: each closes its own book, so the
        // strategies' virtual positions stay true and the account nets to flat.
        const holders: [string, number][] = [];
        for (const [strategyId, books] of book.strategyPositions) {
          const units = books.get(instrument.id)?.qtyUnits ?? 0;
          if (Math.sign(units) === Math.sign(net.qtyUnits)) holders.push([strategyId, Math.abs(units)]);
        }
        holders.sort((x, y) => y[1] - x[1]);
        let remaining = Math.abs(net.qtyUnits);
        for (const [strategyId, units] of [...holders, [fallback, remaining] as [string, number]]) {
          const close = Math.min(units, remaining);
          if (close === 0) continue;
          remaining -= close;
          flattenOrders.push(
            engine.submit({
              instrumentId: instrument.id,
              accountId: id,
              strategyId,
              side,
              quantity: fromUnits(close, instrument.quantityPrecision),
              type: 'market',
            }),
          );
        }
      }
    }
    engine.setTradingState('HALTED', { reason, ...scope });
  }
  return { canceled, flattenOrders };
}
