import type { Observable } from 'rxjs';
import type { Bar } from '../model/market-data';
import type { Order, OrderRequest, OrderStatus } from '../model/order';
import type {
  OrderAccepted,
  OrderCanceled,
  OrderCancelRejected,
  OrderExpired,
  OrderFilled,
  OrderModifyRejected,
  OrderRejected,
  OrderTriggered,
  OrderUpdated,
} from '../model/order-events';

/** What a venue reports about an order. */
export type VenueEvent =
  | OrderAccepted
  | OrderRejected
  | OrderTriggered
  | OrderCanceled
  | OrderCancelRejected
  | OrderExpired
  | OrderUpdated
  | OrderModifyRejected
  | OrderFilled;

/**
 * A change to a working order: its whole quantity (filled part included; above what has filled),
 * its limit price, its trigger price. Only what the order's type has; at least one field.
 */
export interface OrderAmendment {
  readonly quantity?: number | undefined;
  readonly price?: number | undefined;
  readonly triggerPrice?: number | undefined;
}

/** A venue's view of one order, for reconciliation. */
export interface OrderStatusReport {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly instrumentId: string;
  readonly status: OrderStatus;
  readonly filledQty: number;
  readonly quantity: number;
}

/**
 * Sends orders to a venue and reports what happens to them. `submitOrder` resolves when the
 * request was handed over, not when the order is accepted: the outcome arrives on `events$`.
 * A submit that times out has an unknown outcome and must not be sent again blindly; the engine
 * settles it by reconciliation (`queryOrder`, `openOrders`).
 *
 * Implementations: {@link SimulatedVenue} (backtest and paper), broker connectors such as `@rxtrade/ccxt`.
 */
export interface ExecutionClient {
  readonly venue: string;
  /** Hot, no replay: venue events for orders sent through this client. */
  readonly events$: Observable<VenueEvent>;
  connect(): Promise<void>;
  /** Idempotent. */
  disconnect(): Promise<void>;
  submitOrder(order: Order): Promise<void>;
  cancelOrder(order: Order): Promise<void>;
  /**
   * Amends a working order in place (queue position as the venue rules). The outcome arrives as
   * `OrderUpdated` or `OrderModifyRejected`. Optional: without it the engine refuses amendments
   * with `OrderModifyRejected` (`AMEND_NOT_SUPPORTED`).
   */
  modifyOrder?(order: Order, amendment: OrderAmendment): Promise<void>;
  /**
   * False when `modifyOrder` can only make a working order smaller (Binance amends in place only
   * down). The order emulator then places a bracket's exits once the entry stopped filling, for all
   * it filled, rather than on its first fill and amended up by each later one. Default: true when
   * the client has `modifyOrder`.
   */
  readonly amendsUp?: boolean;
  queryOrder?(clientOrderId: string): Promise<OrderStatusReport | undefined>;
  openOrders?(): Promise<readonly OrderStatusReport[]>;
  /**
   * True when the venue can hold these two orders as one native OCO (see {@link submitOco}).
   * Optional, with `submitOco`: without them the engine emulates every OCO pair (`OrderEmulator`).
   */
  supportsOco?(legs: readonly [OrderRequest, OrderRequest]): boolean;
  /**
   * Places two orders (same instrument, side and quantity) as one native OCO: when either fills, even
   * in part, or triggers, the venue cancels or expires the other. Only for pairs {@link supportsOco}
   * accepts. Resolves, rejects and reports events per order exactly as `submitOrder` does.
   */
  submitOco?(orders: readonly [Order, Order]): Promise<void>;
}

/** An execution client that is driven by the engine's bars (simulated venues). */
export interface BarDrivenExecutionClient extends ExecutionClient {
  /** Matches resting orders against a new bar. Called before strategies see the bar. */
  processBar(bar: Bar): void;
}

/**
 * A client in the same process that can take orders synchronously (the simulated venue): the
 * engine's fast path in a backtest, with no promise per order. Its events for the order (accepted,
 * or rejected) arrive before the call returns. `order` is the order manager's live record: read it
 * during the call, keep only the fields an order is created with, never change it.
 */
export interface SyncExecutionClient extends ExecutionClient {
  submitOrderSync(order: Order): void;
  cancelOrderSync(order: Order): void;
  /** The synchronous form of `modifyOrder`, when the client can amend. */
  modifyOrderSync?(order: Order, amendment: OrderAmendment): void;
}

/** True for clients that take orders synchronously (see {@link SyncExecutionClient}). */
export function isSyncExecution(client: ExecutionClient): client is SyncExecutionClient {
  const c = client as Partial<SyncExecutionClient>;
  return typeof c.submitOrderSync === 'function' && typeof c.cancelOrderSync === 'function';
}

/**
 * @internal The in-process event seam (not in the root barrel): a client that can also hand its events to a plain synchronous listener, the low-overhead form of
 * `events$` the engine uses on its hot path (each listener sees every event, after the ones before
 * it and before `events$` subscribers). Returns a function that removes the listener.
 */
export interface EventListenerSource {
  addEventListener(listener: (event: VenueEvent) => void): () => void;
}

/** @internal True for clients that take a plain event listener besides `events$`. */
export function hasEventListener(client: ExecutionClient): client is ExecutionClient & EventListenerSource {
  return typeof (client as Partial<EventListenerSource>).addEventListener === 'function';
}

/** True for clients the engine must feed bars to. */
export function isBarDriven(client: ExecutionClient): client is BarDrivenExecutionClient {
  return typeof (client as Partial<BarDrivenExecutionClient>).processBar === 'function';
}

/** Live market data. */
export interface MarketDataClient {
  readonly venue: string;
  /** Cold: subscribing opens the feed, unsubscribing closes it. */
  bars$(symbol: string, timeframe: string): Observable<Bar>;
  /** Historical bars, oldest first. */
  history?(
    symbol: string,
    options: { timeframe: string; from: number; to?: number },
  ): Promise<readonly Bar[]>;
}
