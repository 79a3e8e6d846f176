import type { Subscription } from 'rxjs';
import type { TradingEngine } from '../engine/trading-engine';
import { RxtradeError } from '../errors';
import type { Order, OrderStatus } from '../model/order';
import { type OrderEvent, OrderEventSchema, type OrderFilled } from '../model/order-events';
import { orderFromRecord, orderToRecord } from '../model/order-record';
import { type Logger, noopLogger } from '../ports/logger';
import type { StateBatch, StateRecord, StateStore } from '../ports/state-store';

/** Options of {@link OrderJournal}. */
export interface OrderJournalOptions {
  readonly store: StateStore;
  /** Key prefix, so several engines can share a store. Default `exec`. */
  readonly namespace?: string;
  readonly logger?: Logger;
}

/** What {@link OrderJournal.restore} did. */
export interface RestoreSummary {
  readonly orders: number;
  readonly fills: number;
}

const TERMINAL_WITHOUT_FILL_EVENT: Partial<Record<OrderStatus, OrderEvent['type']>> = {
  canceled: 'OrderCanceled',
  expired: 'OrderExpired',
  rejected: 'OrderRejected',
};

/**
 * Keeps the engine's orders and fills in a {@link StateStore} so a restarted process knows what it had
 * in flight and can rebuild its positions: one record per order (`{ns}:order:{clientOrderId}`, updated
 * on each of its events) and one per fill (`{ns}:fill:{clientOrderId}:{tradeId}`, written at most once
 * through the store's `eventId`). Writes are queued in event order off the hot path; like every cache
 * of its kind it does not wait for durable storage before the order is sent, so a crash can lose the
 * last writes — venue reconciliation closes that gap ({@link Reconciler}).
 *
 * Fills are kept for the orders' whole life so positions can be rebuilt by replay; the store grows
 * with the number of fills (compaction into position snapshots is not done yet).
 *
 * @example
 * const journal = new OrderJournal({ store });
 * await journal.restore(engine); // before engine.start()
 * journal.attach(engine);
 */
export class OrderJournal {
  readonly #store: StateStore;
  readonly #ns: string;
  readonly #logger: Logger;
  #subscription: Subscription | undefined;
  #queue: Promise<void> = Promise.resolve();
  #failures = 0;

  constructor(options: OrderJournalOptions) {
    this.#store = options.store;
    this.#ns = options.namespace ?? 'exec';
    this.#logger = options.logger ?? noopLogger;
  }

  /** Writes that failed (logged, not retried: reconciliation repairs what they would have kept). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Loads every journaled order into an engine that has not started, and replays its fills so the
   * accounts and strategy positions are what they were. Orders that ended without a fill are skipped
   * (they changed nothing). Call before {@link attach} and before `engine.start()`, so strategies do
   * not see replayed fills as new. Invalid records throw `CORRUPT_STATE` and change nothing further.
   */
  async restore(engine: TradingEngine): Promise<RestoreSummary> {
    const [orderRows, fillRows] = await Promise.all([
      this.#store.list(`${this.#ns}:order:`),
      this.#store.list(`${this.#ns}:fill:`),
    ]);
    const fillsByOrder = new Map<string, OrderFilled[]>();
    for (const [key, record] of fillRows) {
      const fill = this.#parseFill(key, record);
      const list = fillsByOrder.get(fill.clientOrderId) ?? [];
      list.push(fill);
      fillsByOrder.set(fill.clientOrderId, list);
    }
    const orders = orderRows.map(([key, record]) => this.#parseOrder(key, record));
    orders.sort((a, b) => a.tsInit - b.tsInit || (a.clientOrderId < b.clientOrderId ? -1 : 1));
    let restored = 0;
    let fills = 0;
    for (const saved of orders) {
      const orderFills = (fillsByOrder.get(saved.clientOrderId) ?? []).sort((a, b) => a.tsEvent - b.tsEvent);
      if (saved.status === 'denied' || saved.status === 'initialized') continue;
      if (orderFills.length === 0 && TERMINAL_WITHOUT_FILL_EVENT[saved.status] !== undefined) continue;
      const acked = saved.venueOrderId !== undefined;
      const order: Order = {
        ...saved,
        status: acked ? 'accepted' : 'submitted',
        previousStatus: undefined,
        filledQty: 0,
        leavesQty: saved.quantity,
        avgPx: Number.NaN,
        tradeIds: [],
      };
      if (!engine.adoptOrder(order)) continue;
      restored++;
      for (const fill of orderFills) {
        engine.applyVenueEvent(fill);
        fills++;
      }
      const closing = TERMINAL_WITHOUT_FILL_EVENT[saved.status];
      const base = {
        clientOrderId: saved.clientOrderId,
        accountId: saved.accountId,
        strategyId: saved.strategyId,
        instrumentId: saved.instrumentId,
        tsEvent: saved.tsLast,
      };
      if (closing === 'OrderRejected') {
        engine.applyVenueEvent({
          ...base,
          type: 'OrderRejected',
          reason: 'RESTORED',
          message: 'rejected before restart',
        });
      } else if (closing === 'OrderCanceled' || closing === 'OrderExpired') {
        engine.applyVenueEvent({ ...base, type: closing });
      }
    }
    this.#logger.info({ orders: restored, fills }, 'order journal restored');
    return { orders: restored, fills };
  }

  /** Starts journaling the engine's order events. Idempotent; undone by {@link close}. */
  attach(engine: TradingEngine): void {
    if (this.#subscription) return;
    this.#subscription = engine.orderEvents$.subscribe((event) => {
      const order = engine.order(event.clientOrderId);
      if (order) this.#enqueue(this.#batch(order, event));
    });
  }

  /** Resolves when every write queued so far has finished. */
  flush(): Promise<void> {
    return this.#queue;
  }

  /** Stops journaling and waits for queued writes. Idempotent. Does not close the store. */
  async close(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    await this.#queue;
  }

  #enqueue(batch: StateBatch): void {
    this.#queue = this.#queue
      .then(() => this.#store.apply(batch))
      .then(
        () => undefined,
        (error: unknown) => {
          this.#failures++;
          this.#logger.error({ err: error }, 'order journal write failed');
        },
      );
  }

  #batch(order: Order, event: OrderEvent): StateBatch {
    const orderOp = {
      op: 'set' as const,
      key: `${this.#ns}:order:${order.clientOrderId}`,
      fields: orderToRecord(order),
    };
    if (event.type !== 'OrderFilled') return { ops: [orderOp] };
    const fillFields: Record<string, string> = {};
    for (const [k, v] of Object.entries(event)) fillFields[k] = String(v);
    const fillKey = `${this.#ns}:fill:${order.clientOrderId}:${event.tradeId}`;
    // The order record is rewritten with each event; a fill batch is applied once per tradeId.
    return { ops: [orderOp, { op: 'set', key: fillKey, fields: fillFields }], eventId: fillKey };
  }

  #parseOrder(key: string, record: StateRecord): Order {
    return orderFromRecord(record, key);
  }

  #parseFill(key: string, record: StateRecord): OrderFilled {
    const numeric = new Set(['tsEvent', 'lastQty', 'lastPx', 'fee']);
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) raw[k] = numeric.has(k) ? Number(v) : v;
    const parsed = OrderEventSchema.safeParse(raw);
    if (!parsed.success || parsed.data.type !== 'OrderFilled') throw corrupt(key, parsed.error);
    return parsed.data;
  }
}

function corrupt(key: string, cause: unknown): RxtradeError {
  return new RxtradeError({
    code: 'CORRUPT_STATE',
    message: `journal record ${key} is not valid`,
    cause,
    details: { key },
  });
}
