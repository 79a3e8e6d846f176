/**
 * A net position in one instrument for one account (or, for per-strategy books, one strategy).
 * `quantity` is signed: positive long, negative short. Money fields are in the account currency,
 * exact to its minor unit.
 */
export interface Position {
  readonly accountId: string;
  readonly instrumentId: string;
  /** Set on per-strategy virtual positions; undefined on the account's net position. */
  readonly strategyId: string | undefined;
  readonly quantity: number;
  /** Average entry price of the open quantity; NaN when flat. */
  readonly avgPx: number;
  /** Latest mark price; NaN before the first mark. */
  readonly markPx: number;
  /** quantity × markPx. */
  readonly marketValue: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly feesPaid: number;
  readonly tsLast: number;
}

/** A cash account's state. `equity = cash + Σ marketValue = initialCash + realizedPnl + unrealizedPnl − feesPaid`. */
export interface AccountState {
  readonly accountId: string;
  readonly currency: string;
  readonly initialCash: number;
  readonly cash: number;
  readonly equity: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly feesPaid: number;
  readonly tsLast: number;
}

/** A completed round trip: from flat to flat (or to a flip) in one instrument. */
export interface ClosedTrade {
  readonly accountId: string;
  readonly strategyId: string | undefined;
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly entryTs: number;
  readonly exitTs: number;
  /** Average price of the opening fills. */
  readonly entryPx: number;
  /** Average price of the closing fills. */
  readonly exitPx: number;
  /** Total opened quantity. */
  readonly quantity: number;
  /** Realized PnL net of every fee paid during the trade. */
  readonly pnl: number;
  readonly fees: number;
  /** pnl / entry notional. */
  readonly returnPct: number;
}
