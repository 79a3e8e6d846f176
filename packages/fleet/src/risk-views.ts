import {
  type AccountState,
  type Fill,
  type ListPageOptions,
  type Order,
  orderFromRecord,
  orderToRecord,
  type Position,
  RxtradeError,
  type StateOp,
  type StateStore,
  type StrategyStatus,
  type TradingState,
} from '@rxtrade/core';

/**
 * The risk role's read model: what a gateway (or any reader) shows of an account, kept in a
 * {@link StateStore} under one prefix by the replica that owns the account, written in one batch per
 * input the account applied, before what that input caused is sent (so a reader told of an order
 * finds it). Every list is one prefix per account, read a page at a time with `StateStore.listPage`:
 * no reader ever walks the whole store.
 *
 * | key | record |
 * |---|---|
 * | `<prefix>account:<accountId>` | the account's books and its trading state |
 * | `<prefix>pos:<accountId>:<instrumentId>` | one net position |
 * | `<prefix>order:<accountId>:<clientOrderId>` | every order risk passed or denied, as core's order record |
 * | `<prefix>open:<accountId>:<clientOrderId>` | the open ones again (removed when they close) |
 * | `<prefix>fill:<accountId>:<tsEvent>:<tradeId>` | every fill, in time order |
 * | `<prefix>strategy:<strategyId>` | a strategy's status (written by the strategy role, see {@link StrategyView}) |
 */
export const riskViewKeys = {
  account: (prefix: string, accountId: string): string => `${prefix}account:${accountId}`,
  positions: (prefix: string, accountId: string): string => `${prefix}pos:${accountId}:`,
  position: (prefix: string, accountId: string, instrumentId: string): string =>
    `${prefix}pos:${accountId}:${instrumentId}`,
  orders: (prefix: string, accountId: string): string => `${prefix}order:${accountId}:`,
  order: (prefix: string, accountId: string, clientOrderId: string): string =>
    `${prefix}order:${accountId}:${clientOrderId}`,
  openOrders: (prefix: string, accountId: string): string => `${prefix}open:${accountId}:`,
  openOrder: (prefix: string, accountId: string, clientOrderId: string): string =>
    `${prefix}open:${accountId}:${clientOrderId}`,
  fills: (prefix: string, accountId: string): string => `${prefix}fill:${accountId}:`,
  fill: (prefix: string, fill: Pick<Fill, 'accountId' | 'tsEvent' | 'tradeId'>): string =>
    `${prefix}fill:${fill.accountId}:${String(fill.tsEvent).padStart(15, '0')}:${fill.tradeId}`,
  strategy: (prefix: string, strategyId: string): string => `${prefix}strategy:${strategyId}`,
} as const;

/**
 * A strategy as the strategy role last wrote it: core's status (`running`, `paused`, `stopped`), or
 * `failed` when it threw and was stopped; `tsEvent`, the strategy's clock then.
 */
export interface StrategyView {
  readonly strategyId: string;
  readonly status: StrategyStatus | 'failed';
  readonly tsEvent: number;
}

/** The write op of a strategy's status (the strategy role's side). */
export const strategyViewOp = (prefix: string, view: StrategyView): StateOp => ({
  op: 'replace',
  key: riskViewKeys.strategy(prefix, view.strategyId),
  fields: { json: JSON.stringify(view) },
});

/** An account as the risk role last wrote it: its books and the trading state in force for it. */
export interface AccountView {
  readonly account: AccountState;
  readonly tradingState: TradingState;
  readonly reason: string;
}

/** One page of a view list; pass `cursor` back for the next, undefined at the end. */
export interface ViewPage<T> {
  readonly items: readonly T[];
  readonly cursor: string | undefined;
}

/** The write ops of one view change (the risk role's side). */
export const riskViewOps = {
  account: (prefix: string, view: AccountView): StateOp => ({
    op: 'replace',
    key: riskViewKeys.account(prefix, view.account.accountId),
    fields: { json: JSON.stringify(view) },
  }),
  position: (prefix: string, position: Position): StateOp => ({
    op: 'replace',
    key: riskViewKeys.position(prefix, position.accountId, position.instrumentId),
    fields: { json: JSON.stringify(position) },
  }),
  order: (prefix: string, order: Order, open: boolean): StateOp[] => {
    const fields = orderToRecord(order);
    const openKey = riskViewKeys.openOrder(prefix, order.accountId, order.clientOrderId);
    return [
      { op: 'replace', key: riskViewKeys.order(prefix, order.accountId, order.clientOrderId), fields },
      open ? { op: 'replace', key: openKey, fields } : { op: 'delete', key: openKey },
    ];
  },
  fill: (prefix: string, fill: Fill): StateOp => ({
    op: 'replace',
    key: riskViewKeys.fill(prefix, fill),
    fields: { json: JSON.stringify(fill) },
  }),
} as const;

/**
 * Reads the risk role's views (the gateway's side). Values are the role's own records, parsed back;
 * a record that does not parse throws `CORRUPT_STATE` naming its key.
 */
export class RiskViews {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(store: StateStore, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  /** The account, or undefined before its risk replica first wrote it. */
  async account(accountId: string): Promise<AccountView | undefined> {
    const key = riskViewKeys.account(this.#prefix, accountId);
    const record = await this.#store.get(key);
    return record === undefined ? undefined : json<AccountView>(record, key);
  }

  /** A strategy's status, or undefined before its strategy replica first wrote it. */
  async strategy(strategyId: string): Promise<StrategyView | undefined> {
    const key = riskViewKeys.strategy(this.#prefix, strategyId);
    const record = await this.#store.get(key);
    return record === undefined ? undefined : json<StrategyView>(record, key);
  }

  /** One order of the account (open or not). */
  async order(accountId: string, clientOrderId: string): Promise<Order | undefined> {
    const key = riskViewKeys.order(this.#prefix, accountId, clientOrderId);
    const record = await this.#store.get(key);
    return record === undefined ? undefined : orderFromRecord(record, key);
  }

  positions(accountId: string, page?: ListPageOptions): Promise<ViewPage<Position>> {
    return this.#page(riskViewKeys.positions(this.#prefix, accountId), page, (r, k) => json<Position>(r, k));
  }

  /** The account's orders by client order id; `openOnly`: only those still working. */
  orders(
    accountId: string,
    options: ListPageOptions & { openOnly?: boolean } = {},
  ): Promise<ViewPage<Order>> {
    const { openOnly, ...page } = options;
    const prefix = openOnly
      ? riskViewKeys.openOrders(this.#prefix, accountId)
      : riskViewKeys.orders(this.#prefix, accountId);
    return this.#page(prefix, page, (r, k) => orderFromRecord(r, k));
  }

  /** The account's fills, oldest first. */
  fills(accountId: string, page?: ListPageOptions): Promise<ViewPage<Fill>> {
    return this.#page(riskViewKeys.fills(this.#prefix, accountId), page, (r, k) => json<Fill>(r, k));
  }

  async #page<T>(
    prefix: string,
    options: ListPageOptions | undefined,
    read: (record: Readonly<Record<string, string>>, key: string) => T,
  ): Promise<ViewPage<T>> {
    const page = await this.#store.listPage(prefix, options);
    return { items: page.entries.map(([key, record]) => read(record, key)), cursor: page.cursor };
  }
}

function json<T>(record: Readonly<Record<string, string>>, key: string): T {
  try {
    return JSON.parse(record['json'] ?? '') as T;
  } catch (cause) {
    throw new RxtradeError({ code: 'CORRUPT_STATE', message: `${key} is not a view record`, cause });
  }
}
