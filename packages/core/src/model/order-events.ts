import { z } from 'zod';
import { DENIAL_REASONS, type DenialReason } from './denial';
import type { LiquiditySide, OrderSide } from './order';

/** Fields every order event carries, so any consumer can route it without the order at hand. */
export interface OrderEventBase {
  readonly clientOrderId: string;
  readonly accountId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  /** When it happened, epoch ms (by the engine's clock). */
  readonly tsEvent: number;
}

/** The engine sent the order to the venue. */
export interface OrderSubmitted extends OrderEventBase {
  readonly type: 'OrderSubmitted';
}
/** The risk engine refused the order before it left the process. `reason` is one of `DENIAL_REASONS`. */
export interface OrderDenied extends OrderEventBase {
  readonly type: 'OrderDenied';
  readonly reason: DenialReason;
  readonly message: string;
}
/** The venue acknowledged the order. */
export interface OrderAccepted extends OrderEventBase {
  readonly type: 'OrderAccepted';
  readonly venueOrderId: string;
}
/** The venue refused the order. */
export interface OrderRejected extends OrderEventBase {
  readonly type: 'OrderRejected';
  readonly reason: string;
  readonly message: string;
}
/** A stop-limit order's trigger price was reached: it now works as a limit order. (A plain stop fills at once.) */
export interface OrderTriggered extends OrderEventBase {
  readonly type: 'OrderTriggered';
}
/** A cancel was requested and is waiting for the venue. */
export interface OrderPendingCancel extends OrderEventBase {
  readonly type: 'OrderPendingCancel';
}
/** The venue refused the cancel (usually: already filled or unknown); the order goes back to its prior status. */
export interface OrderCancelRejected extends OrderEventBase {
  readonly type: 'OrderCancelRejected';
  readonly reason: string;
}
export interface OrderCanceled extends OrderEventBase {
  readonly type: 'OrderCanceled';
}
/**
 * The venue amended a working order (see the engine's `amend`): its quantity (the whole order's,
 * filled part included) and, where given, its prices. The order keeps its status.
 */
export interface OrderUpdated extends OrderEventBase {
  readonly type: 'OrderUpdated';
  readonly quantity: number;
  readonly price?: number | undefined;
  readonly triggerPrice?: number | undefined;
}
/** The venue (or the engine, for a venue that cannot amend) refused an amendment; the order is unchanged. */
export interface OrderModifyRejected extends OrderEventBase {
  readonly type: 'OrderModifyRejected';
  readonly reason: string;
}
/** Time in force ran out: a DAY order at the end of its session. (IOC and FOK remainders are canceled, not expired.) */
export interface OrderExpired extends OrderEventBase {
  readonly type: 'OrderExpired';
}
/** One execution. `tradeId` is unique per venue and makes the fill idempotent. `fee` is in the quote currency. */
export interface OrderFilled extends OrderEventBase {
  readonly type: 'OrderFilled';
  readonly venueOrderId: string;
  readonly tradeId: string;
  readonly side: OrderSide;
  readonly lastQty: number;
  readonly lastPx: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquiditySide: LiquiditySide;
}

/** Every event of an order's life. The `type` field is the discriminant. */
export type OrderEvent =
  | OrderSubmitted
  | OrderDenied
  | OrderAccepted
  | OrderRejected
  | OrderTriggered
  | OrderPendingCancel
  | OrderCancelRejected
  | OrderCanceled
  | OrderExpired
  | OrderUpdated
  | OrderModifyRejected
  | OrderFilled;

/** A fill is the `OrderFilled` event. */
export type Fill = OrderFilled;

const id = z.string().min(1).max(128);
const base = {
  clientOrderId: id,
  accountId: id,
  strategyId: id,
  instrumentId: id,
  tsEvent: z.number().int().nonnegative(),
};
const positiveFinite = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');

/** Validates an order event from another process (bus, store, venue adapter). */
export const OrderEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('OrderSubmitted'), ...base }),
  z.strictObject({
    type: z.literal('OrderDenied'),
    ...base,
    reason: z.enum(DENIAL_REASONS),
    message: z.string(),
  }),
  z.strictObject({ type: z.literal('OrderAccepted'), ...base, venueOrderId: id }),
  z.strictObject({
    type: z.literal('OrderRejected'),
    ...base,
    reason: z.string().min(1),
    message: z.string(),
  }),
  z.strictObject({ type: z.literal('OrderTriggered'), ...base }),
  z.strictObject({ type: z.literal('OrderPendingCancel'), ...base }),
  z.strictObject({ type: z.literal('OrderCancelRejected'), ...base, reason: z.string().min(1) }),
  z.strictObject({ type: z.literal('OrderCanceled'), ...base }),
  z.strictObject({ type: z.literal('OrderExpired'), ...base }),
  z.strictObject({
    type: z.literal('OrderUpdated'),
    ...base,
    quantity: positiveFinite,
    price: positiveFinite.optional(),
    triggerPrice: positiveFinite.optional(),
  }),
  z.strictObject({ type: z.literal('OrderModifyRejected'), ...base, reason: z.string().min(1) }),
  z.strictObject({
    type: z.literal('OrderFilled'),
    ...base,
    venueOrderId: id,
    tradeId: id,
    side: z.enum(['buy', 'sell']),
    lastQty: positiveFinite,
    lastPx: positiveFinite,
    fee: z.number().refine(Number.isFinite, 'must be finite'),
    feeCurrency: z.string().min(1).max(16),
    liquiditySide: z.enum(['maker', 'taker']),
  }),
]);
