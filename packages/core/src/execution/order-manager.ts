import type { Subscription } from 'rxjs';
import { BoundedFifo } from '../engine/bounded-fifo';
import { isRxtradeError, RxtradeError } from '../errors';
import type { Denial } from '../model/denial';
import type { Bar } from '../model/market-data';
import {
  applyOrderEventTo,
  createOrder,
  isOpen,
  type Order,
  type OrderRecord,
  type OrderRequest,
  snapshotOrder,
} from '../model/order';
import type { OrderEvent } from '../model/order-events';
import type { Clock } from '../ports/clock';
import {
  type BarDrivenExecutionClient,
  type ExecutionClient,
  hasEventListener,
  isBarDriven,
  isSyncExecution,
  type OrderAmendment,
  type SyncExecutionClient,
  type VenueEvent,
} from '../ports/execution-client';
import { type Logger, noopLogger } from '../ports/logger';
import { type MetricsSink, noopMetrics } from '../ports/metrics-sink';

/** Who an order belongs to; the order manager stamps it on the order and every event of it. */
export interface OrderOrigin {
  readonly clientOrderId: string;
  readonly strategyId: string;
  readonly accountId: string;
}

/**
 * Called after an event was applied to its order's record (the manager's live record: read it now,
 * snapshot it to keep it). `openChanged` is true when the event opened or closed the order, the
 * moment an open-order index (the risk engine's) must hear of it.
 */
export type OrderEventListener = (event: OrderEvent, order: Order, openChanged: boolean) => void;

/** Options of {@link OrderManager}. */
export interface OrderManagerOptions {
  readonly execution: ExecutionClient;
  readonly clock: Clock;
  /** Every applied event, in order (see {@link OrderEventListener}). */
  readonly onEvent: OrderEventListener;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  /** Terminal orders kept for lookup (oldest dropped first). Default 10,000. */
  readonly retainClosedOrders?: number;
}

/**
 * The order manager: one record per order and its state machine, client order ids, and the
 * execution client behind them. It creates orders, denies them (with the risk engine's reason) or
 * sends them, requests cancels, and applies what the venue reports — a fill whose `tradeId` it has
 * applied is ignored, a fill echoing other ids is booked to the order's own. Every applied event goes
 * to `onEvent`, state first: the record is updated before anyone hears of it.
 *
 * It drives the client only through what the ports declare: `submitOrder`/`cancelOrder` (their
 * outcome arrives as events; a failed submit is never resent blindly), the synchronous form of a
 * {@link SyncExecutionClient} when the client offers it, and `processBar` of a bar-driven client.
 *
 * @example
 * const orders = new OrderManager({ execution: venue, clock, onEvent: (e) => console.log(e.type) });
 * await orders.connect();
 * const order = orders.create(request, { clientOrderId: 'o-1', strategyId: 'manual', accountId: 'main' }, 0);
 * orders.send(order);
 */
export class OrderManager {
  readonly execution: ExecutionClient;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: MetricsSink;
  readonly #onEvent: OrderEventListener;
  readonly #orders = new Map<string, OrderRecord>();
  /** Ids of terminal orders still kept for lookup, oldest first. */
  readonly #closedOrderIds: BoundedFifo<string>;
  readonly #retainNone: boolean;
  readonly #sync: SyncExecutionClient | undefined;
  readonly #barDriven: BarDrivenExecutionClient | undefined;
  #venueSubscription: Pick<Subscription, 'unsubscribe'> | undefined;

  constructor(options: OrderManagerOptions) {
    this.execution = options.execution;
    this.#clock = options.clock;
    this.#logger = options.logger ?? noopLogger;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#onEvent = options.onEvent;
    this.#closedOrderIds = new BoundedFifo(options.retainClosedOrders ?? 10_000);
    this.#retainNone = options.retainClosedOrders === 0;
    this.#sync = isSyncExecution(this.execution) ? this.execution : undefined;
    this.#barDriven = isBarDriven(this.execution) ? this.execution : undefined;
  }

  /** True when the client matches orders on the bars it is fed ({@link processBar}). */
  get barDriven(): boolean {
    return this.#barDriven !== undefined;
  }

  /** Connects the client and listens to its events. */
  async connect(): Promise<void> {
    await this.execution.connect();
    const onEvent = (event: VenueEvent): void => {
      // Nothing a venue sends may take the caller down: a bad event is logged and dropped.
      try {
        this.applyVenueEvent(event);
      } catch (error) {
        this.#logger.error({ err: error, event }, 'venue event could not be processed');
      }
    };
    // A plain listener where the client offers one (the simulated venue): no RxJS layers per event.
    const execution = this.execution;
    if (hasEventListener(execution)) {
      const remove = execution.addEventListener(onEvent);
      this.#venueSubscription = { unsubscribe: remove };
    } else this.#venueSubscription = execution.events$.subscribe(onEvent);
  }

  /** Stops listening and disconnects the client. Idempotent. */
  async disconnect(): Promise<void> {
    this.#venueSubscription?.unsubscribe();
    this.#venueSubscription = undefined;
    await this.execution.disconnect();
  }

  /** Hands a bar to a bar-driven client (it matches working orders); nothing for others. */
  processBar(bar: Bar): void {
    this.#barDriven?.processBar(bar);
  }

  /**
   * Creates the `initialized` record of a validated request, with its origin. Throws
   * `DUPLICATE_ORDER` when the client order id is in use. Deny or send it next.
   */
  create(request: OrderRequest, origin: OrderOrigin, quantityPrecision: number): Order {
    const clientOrderId = origin.clientOrderId;
    if (this.#orders.has(clientOrderId)) {
      throw new RxtradeError({
        code: 'DUPLICATE_ORDER',
        message: `client order id ${clientOrderId} is already in use`,
      });
    }
    const order = createOrder(request, {
      clientOrderId,
      accountId: origin.accountId,
      strategyId: origin.strategyId,
      quantityPrecision,
      ts: this.#clock.now(),
    }) as OrderRecord;
    this.#orders.set(clientOrderId, order);
    return order;
  }

  /** Refuses an order {@link create} returned, with the risk engine's reason (`OrderDenied`); it is then terminal. */
  deny(order: Order, denial: Denial): void {
    // The object create() returned is the record itself: no lookup on the order path.
    const record = order as OrderRecord;
    const denied: OrderEvent = {
      type: 'OrderDenied',
      clientOrderId: record.clientOrderId,
      accountId: record.accountId,
      strategyId: record.strategyId,
      instrumentId: record.instrumentId,
      tsEvent: record.tsInit,
      reason: denial.reason,
      message: denial.message,
    };
    const changed = this.#apply(record, denied);
    this.#retire(record);
    this.#onEvent(denied, record, changed);
  }

  /**
   * Sends an order {@link create} returned (`OrderSubmitted`, then the client). A synchronous client has accepted or
   * rejected it when this returns; any other reports later. A submit that fails is logged and left
   * in flight: unless the client knows it never sent it, its outcome is unknown until the venue's
   * events or reconciliation settle it. It is never resent blindly.
   */
  send(order: Order): void {
    const record = this.#submitted(order);
    // A synchronous client is handed the record itself (see SyncExecutionClient); any other a snapshot it may keep.
    if (this.#sync !== undefined) this.#sync.submitOrderSync(record);
    else this.#watchSubmit(this.execution.submitOrder(snapshotOrder(record)), record.clientOrderId);
  }

  /**
   * Sends two orders {@link create} returned as one native OCO (`ExecutionClient.submitOco`), which
   * the caller checked the client offers and accepts for them. Both become `submitted`; the rest is as
   * for {@link send}.
   */
  sendOco(first: Order, second: Order): void {
    const submitOco = this.execution.submitOco;
    if (submitOco === undefined) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `${this.execution.venue} cannot place native OCO orders`,
      });
    }
    const a = this.#submitted(first);
    const b = this.#submitted(second);
    this.#watchSubmit(
      submitOco.call(this.execution, [snapshotOrder(a), snapshotOrder(b)]),
      `${a.clientOrderId}+${b.clientOrderId}`,
    );
  }

  /** Applies `OrderSubmitted` to a record {@link create} returned and reports it. */
  #submitted(order: Order): OrderRecord {
    const record = order as OrderRecord;
    const submitted: OrderEvent = {
      type: 'OrderSubmitted',
      clientOrderId: record.clientOrderId,
      accountId: record.accountId,
      strategyId: record.strategyId,
      instrumentId: record.instrumentId,
      tsEvent: record.tsInit,
    };
    const changed = this.#apply(record, submitted);
    this.#onEvent(submitted, record, changed);
    return record;
  }

  /** A failed submission is logged, never resent: its outcome comes from the venue or reconciliation. */
  #watchSubmit(submission: Promise<void>, clientOrderId: string): void {
    submission.catch((error: unknown) => {
      const notSent = isRxtradeError(error) && error.details?.['outcome'] === 'NOT_SENT';
      this.#logger.error(
        { err: error, clientOrderId },
        notSent
          ? 'order submission refused before sending'
          : 'order submission failed; outcome unknown until reconciled',
      );
    });
  }

  /** Requests a cancel. False if the order is unknown or not open. */
  cancel(clientOrderId: string): boolean {
    const order = this.#orders.get(clientOrderId);
    if (!order || !isOpen(order)) return false;
    if (this.#sync !== undefined) {
      this.#sync.cancelOrderSync(order);
      return true;
    }
    const pending: OrderEvent = {
      type: 'OrderPendingCancel',
      clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: this.#clock.now(),
    };
    const changed = this.#apply(order, pending);
    this.#onEvent(pending, order, changed);
    this.execution.cancelOrder(snapshotOrder(order)).catch((error: unknown) => {
      this.#logger.error({ err: error, clientOrderId }, 'cancel request failed');
    });
    return true;
  }

  /**
   * Requests an amendment of an open order (see {@link OrderAmendment}). False if the order is
   * unknown or not open. The outcome is an event: `OrderUpdated` from the venue, or
   * `OrderModifyRejected` — from the venue, or from here (`AMEND_NOT_SUPPORTED`) when the client
   * cannot amend.
   */
  amend(clientOrderId: string, amendment: OrderAmendment): boolean {
    const order = this.#orders.get(clientOrderId);
    if (!order || !isOpen(order)) return false;
    const sync = this.#sync?.modifyOrderSync;
    if (sync !== undefined) {
      sync.call(this.#sync, order, amendment);
      return true;
    }
    if (this.execution.modifyOrder === undefined) {
      this.applyVenueEvent({
        type: 'OrderModifyRejected',
        clientOrderId,
        accountId: order.accountId,
        strategyId: order.strategyId,
        instrumentId: order.instrumentId,
        tsEvent: this.#clock.now(),
        reason: 'AMEND_NOT_SUPPORTED',
      });
      return true;
    }
    this.execution.modifyOrder(snapshotOrder(order), amendment).catch((error: unknown) => {
      this.#logger.error({ err: error, clientOrderId }, 'amend request failed');
    });
    return true;
  }

  /**
   * Applies a venue event: from the client's events, or out of band (reconciliation, a status
   * query, a restored journal). Events for unknown orders are counted and ignored; a fill whose
   * tradeId was applied is ignored; an event the order's state machine refuses is logged and ignored.
   */
  applyVenueEvent(event: VenueEvent): void {
    const order = this.#orders.get(event.clientOrderId);
    if (!order) {
      this.#logger.warn({ event }, 'event for an unknown order ignored');
      this.#metrics
        .counter('unknown_order_events_total', { help: 'Venue events for orders this engine does not know' })
        .add();
      return;
    }
    if (event.type === 'OrderFilled' && order.tradeIds.includes(event.tradeId)) {
      // A redelivered fill (also on an order already filled): applied once, nothing else to do.
      this.#logger.debug({ tradeId: event.tradeId }, 'duplicate fill ignored');
      return;
    }
    if (
      event.accountId !== order.accountId ||
      event.strategyId !== order.strategyId ||
      event.instrumentId !== order.instrumentId
    ) {
      // The order's own record is the authority on whose event this is, not the venue's echo: a fill
      // is booked to the order's account, and any event goes to the strategy that placed the order.
      this.#logger.warn({ event }, 'event ids differ from the order; booking it to the order');
      event = {
        ...event,
        accountId: order.accountId,
        strategyId: order.strategyId,
        instrumentId: order.instrumentId,
      };
    }
    let changed: boolean;
    try {
      changed = this.#apply(order, event);
    } catch (error) {
      // Duplicate fills were dropped above: whatever the state machine refuses here is an error.
      this.#logger.error({ err: error, event }, 'venue event could not be applied');
      return;
    }
    if (changed && !isOpen(order)) this.#retire(order);
    this.#onEvent(event, order, changed);
  }

  /**
   * Makes known an order this manager did not create (reconciliation adopts external orders; a
   * restart restores its own), so venue events for it apply. False if already known.
   */
  adopt(order: Order): boolean {
    if (this.#orders.has(order.clientOrderId)) return false;
    // The manager's own record: the caller's object stays as it was.
    const record = snapshotOrder(order) as OrderRecord;
    this.#orders.set(record.clientOrderId, record);
    return true;
  }

  /** The live record of an order (read it now; {@link order} for a copy to keep). */
  get(clientOrderId: string): Order | undefined {
    return this.#orders.get(clientOrderId);
  }

  /** A snapshot of an order, or undefined if unknown (or retired). */
  order(clientOrderId: string): Order | undefined {
    const order = this.#orders.get(clientOrderId);
    return order && snapshotOrder(order);
  }

  /** Whether an order with this id is known. */
  has(clientOrderId: string): boolean {
    return this.#orders.has(clientOrderId);
  }

  /** Snapshots of every open order. */
  openOrders(): Order[] {
    const out: Order[] = [];
    for (const order of this.#orders.values()) if (isOpen(order)) out.push(snapshotOrder(order));
    return out;
  }

  /** Applies an event to a record; true when it opened or closed the order. */
  #apply(order: OrderRecord, event: OrderEvent): boolean {
    const wasOpen = isOpen(order);
    applyOrderEventTo(order, event);
    return isOpen(order) !== wasOpen;
  }

  /** Keeps a bounded number of terminal orders for lookup. */
  #retire(order: Order): void {
    if (this.#retainNone) {
      this.#orders.delete(order.clientOrderId);
      return;
    }
    const dropped = this.#closedOrderIds.push(order.clientOrderId);
    if (dropped === undefined) return;
    const oldest = this.#orders.get(dropped);
    if (oldest && !isOpen(oldest)) this.#orders.delete(dropped);
  }
}
