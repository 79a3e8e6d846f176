import { isOpen, type Order } from '../model/order';

const EMPTY: ReadonlyMap<string, Order> = new Map();

/**
 * The open orders of each account, kept incrementally: the engine calls {@link track} with every
 * new order snapshot, so pre-trade rules read an account's open orders without scanning every order
 * the engine remembers. One Map lookup and one set or delete per order event; nothing per bar.
 */
export class OpenOrderIndex {
  readonly #byAccount = new Map<string, Map<string, Order>>();

  /** Records the latest snapshot of an order: kept while open, dropped once terminal. */
  track(order: Order): void {
    if (isOpen(order)) {
      let orders = this.#byAccount.get(order.accountId);
      if (orders === undefined) {
        orders = new Map();
        this.#byAccount.set(order.accountId, orders);
      }
      orders.set(order.clientOrderId, order);
    } else {
      this.#byAccount.get(order.accountId)?.delete(order.clientOrderId);
    }
  }

  /** The account's open orders by client order id (a live view: do not keep it across events). */
  forAccount(accountId: string): ReadonlyMap<string, Order> {
    return this.#byAccount.get(accountId) ?? EMPTY;
  }
}
