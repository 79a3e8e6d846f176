import { fromUnits } from '../model/decimal';
import type { OrderRequest } from '../model/order';
import type { PreTradeAccount } from './pre-trade';

/** Options of {@link flattenRequests}. */
export interface FlattenOptions {
  /**
   * `net` (default): close the account's net position per instrument through the strategies that
   * hold its side, largest first, so the account ends flat and every order only reduces it (what
   * passes under REDUCING); the orders are `reduceOnly`, so the venue fills no more than the position
   * holds when they fill. Strategies that hedge each other keep the offsetting remainder.
   * `strategy`: close every strategy's own virtual position, each on its own: every strategy ends
   * flat (the end of a backtest).
   */
  readonly by?: 'net' | 'strategy';
  /** `net` only: the strategy id for a part of the net position no strategy holds. Default `kill-switch`. */
  readonly fallbackStrategyId?: string;
}

/**
 * The market orders that flatten an account: the one home of "flatten", for the engine's
 * `flattenAll`, the kill switch and any service that must close positions. Pure: it reads the
 * account's books and returns requests (account and strategy ids set, no client order id); the
 * caller submits them through its risk engine and order manager.
 *
 * @example
 * for (const request of flattenRequests(engine.accountBook('main'))) engine.submit(request);
 */
export function flattenRequests(account: PreTradeAccount, options: FlattenOptions = {}): OrderRequest[] {
  const out: OrderRequest[] = [];
  if (options.by === 'strategy') {
    for (const [strategyId, books] of account.strategyPositions) {
      for (const book of books.values()) {
        if (book.qtyUnits === 0) continue;
        out.push({
          instrumentId: book.instrument.id,
          accountId: account.id,
          strategyId,
          side: book.qtyUnits > 0 ? 'sell' : 'buy',
          quantity: fromUnits(Math.abs(book.qtyUnits), book.instrument.quantityPrecision),
          type: 'market',
        });
      }
    }
    return out;
  }
  const fallback = options.fallbackStrategyId ?? 'kill-switch';
  for (const net of account.positions.values()) {
    if (net.qtyUnits === 0) continue;
    const { instrument } = net;
    const side = net.qtyUnits > 0 ? 'sell' : 'buy';
    // The strategies holding the net's side, largest first: each closes its own book, so the
    // strategies' virtual positions stay true and the account nets to flat.
    const holders: [string, number][] = [];
    for (const [strategyId, books] of account.strategyPositions) {
      const units = books.get(instrument.id)?.qtyUnits ?? 0;
      if (Math.sign(units) === Math.sign(net.qtyUnits)) holders.push([strategyId, Math.abs(units)]);
    }
    holders.sort((x, y) => y[1] - x[1]);
    let remaining = Math.abs(net.qtyUnits);
    for (const [strategyId, units] of [...holders, [fallback, remaining] as [string, number]]) {
      const close = Math.min(units, remaining);
      if (close === 0) continue;
      remaining -= close;
      out.push({
        instrumentId: instrument.id,
        accountId: account.id,
        strategyId,
        side,
        quantity: fromUnits(close, instrument.quantityPrecision),
        type: 'market',
        // Only ever closes: where the venue is asynchronous (a fleet, a live exchange), an order that
        // was working when the flatten was decided may fill before its cancel lands; the flatten then
        // fills what is left to reduce, instead of flipping the position.
        reduceOnly: true,
      });
    }
  }
  return out;
}
