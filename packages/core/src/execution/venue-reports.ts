import type { LiquiditySide, Order, OrderSide, OrderType, TimeInForce } from '../model/order';
import type { ExecutionClient, OrderStatusReport } from '../ports/execution-client';

/**
 * A venue's view of one order, with what is needed to adopt it when the engine does not know it
 * (an order placed by hand, or sent by an earlier run whose local record was lost).
 */
export interface VenueOrderReport extends OrderStatusReport {
  readonly side?: OrderSide;
  readonly type?: OrderType;
  readonly price?: number | undefined;
  readonly triggerPrice?: number | undefined;
  readonly timeInForce?: TimeInForce;
  /** When the venue last changed the order, epoch ms. */
  readonly tsEvent?: number;
}

/**
 * One execution as the venue reports it when asked (as opposed to pushed on `events$`). `tradeId` is
 * the venue's and makes applying it idempotent. `fee` is in the instrument's quote currency.
 */
export interface VenueFillReport {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly tradeId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly lastQty: number;
  readonly lastPx: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquiditySide: LiquiditySide;
  readonly tsEvent: number;
}

/** A balance of one currency at the venue. */
export interface VenueBalance {
  readonly currency: string;
  readonly free: number;
  readonly locked: number;
  readonly total: number;
}

/** A venue's net position in an instrument (derivatives venues; spot venues report balances). */
export interface VenuePositionReport {
  readonly instrumentId: string;
  /** Signed: negative is short. */
  readonly quantity: number;
}

/**
 * An execution client that can be reconciled against: besides the port's optional queries it reports
 * recent fills, and balances or positions where the venue has them. Broker connectors implement it;
 * the {@link Reconciler} needs it.
 */
export interface ReconcilableExecutionClient extends ExecutionClient {
  queryOrder(clientOrderId: string): Promise<VenueOrderReport | undefined>;
  openOrders(): Promise<readonly VenueOrderReport[]>;
  /** Fills at or after `since` (epoch ms), oldest first. */
  fills(options: { readonly since: number }): Promise<readonly VenueFillReport[]>;
  balances?(): Promise<readonly VenueBalance[]>;
  /** Absent on venues without positions (spot): a missing report is not a flat position. */
  positions?(): Promise<readonly VenuePositionReport[]>;
  /**
   * Follows an order this client did not send in this process (restored after a restart, adopted from
   * the venue), so its later events reach `events$` with the engine's account and strategy ids.
   */
  track?(order: Order): void;
}

/** True when `client` offers everything reconciliation needs. */
export function isReconcilable(client: ExecutionClient): client is ReconcilableExecutionClient {
  const c = client as Partial<ReconcilableExecutionClient>;
  return (
    typeof c.queryOrder === 'function' && typeof c.openOrders === 'function' && typeof c.fills === 'function'
  );
}
