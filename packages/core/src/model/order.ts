import { z } from 'zod';
import { RxtradeError } from '../errors';
import { fromUnits, toUnitsExact } from './decimal';
import type { OrderEvent, OrderFilled, OrderUpdated } from './order-events';

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stopLimit';
/**
 * GTC: until canceled. IOC: fill what you can now, cancel the rest. FOK: all now or nothing. DAY:
 * until the session (UTC day) ends. GTD: until `expireTime` (epoch ms).
 */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'DAY' | 'GTD';
export type LiquiditySide = 'maker' | 'taker';

export type OrderStatus =
  | 'initialized'
  | 'denied'
  | 'submitted'
  | 'accepted'
  | 'rejected'
  | 'triggered'
  | 'pendingCancel'
  | 'partiallyFilled'
  | 'filled'
  | 'canceled'
  | 'expired';

const finitePositive = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');

const id64 = z.string().min(1).max(64);

/** The sibling of an OCO request: same instrument, side and quantity; its own type and prices. */
const OcoLegSchema = z.strictObject({
  clientOrderId: id64.optional(),
  type: z.enum(['limit', 'stop', 'stopLimit']),
  price: finitePositive.optional(),
  triggerPrice: finitePositive.optional(),
  trailingAmount: finitePositive.optional(),
  trailingPercent: z.number().gt(0).lt(100).optional(),
});

/** A bracket's take-profit: a reduce-only limit on the other side. */
const TakeProfitSchema = z.strictObject({ price: finitePositive });

/** A bracket's stop-loss: a reduce-only stop (or stop-limit with `price`), trailing if asked. */
const StopLossSchema = z.strictObject({
  triggerPrice: finitePositive,
  price: finitePositive.optional(),
  trailingAmount: finitePositive.optional(),
  trailingPercent: z.number().gt(0).lt(100).optional(),
});

/**
 * The fields of {@link OrderRequestSchema} without its cross-field rules, for a boundary that narrows
 * them (the gateway: its own id rules, no `strategyId`) and then applies the rules with
 * {@link refineOrderRequest}. Zod refuses to `omit` or `pick` from a refined object.
 */
export const OrderRequestFieldsSchema = z.strictObject({
  clientOrderId: id64.optional(),
  accountId: z.string().min(1).max(64).optional(),
  strategyId: z.string().min(1).max(64).optional(),
  instrumentId: z.string().min(1).max(64),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop', 'stopLimit']),
  quantity: finitePositive,
  price: finitePositive.optional(),
  triggerPrice: finitePositive.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'DAY', 'GTD']).optional(),
  expireTime: z.number().int().nonnegative().optional(),
  reduceOnly: z.boolean().optional(),
  postOnly: z.boolean().optional(),
  trailingAmount: finitePositive.optional(),
  trailingPercent: z.number().gt(0).lt(100).optional(),
  takeProfit: TakeProfitSchema.optional(),
  stopLoss: StopLossSchema.optional(),
  oco: OcoLegSchema.optional(),
});

/**
 * The cross-field rules of an order request (price for limit, trigger for stop, GTD and its expiry,
 * post-only, trailing, contingent parts), as a zod refinement.
 */
export function refineOrderRequest(
  o: Omit<z.output<typeof OrderRequestFieldsSchema>, 'strategyId' | 'accountId' | 'clientOrderId'>,
  ctx: z.RefinementCtx,
): void {
  const needsPrice = o.type === 'limit' || o.type === 'stopLimit';
  const needsTrigger = o.type === 'stop' || o.type === 'stopLimit';
  if (needsPrice !== (o.price !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['price'],
      message: needsPrice ? `required for ${o.type}` : `not allowed for ${o.type}`,
    });
  }
  if (needsTrigger !== (o.triggerPrice !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['triggerPrice'],
      message: needsTrigger ? `required for ${o.type}` : `not allowed for ${o.type}`,
    });
  }
  if (o.postOnly && o.type !== 'limit') {
    ctx.addIssue({ code: 'custom', path: ['postOnly'], message: 'only limit orders can be post-only' });
  }
  if ((o.timeInForce === 'GTD') !== (o.expireTime !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['expireTime'],
      message: 'required for GTD orders, and only for them',
    });
  }
  const trailing = trailingProblem(o);
  if (trailing) ctx.addIssue({ code: 'custom', path: ['trailingAmount'], message: trailing });
  const contingency = contingencyProblem(o);
  if (contingency) ctx.addIssue({ code: 'custom', path: ['oco'], message: contingency });
}

/**
 * What a strategy or API client asks for. `price` is required for limit and stop-limit orders,
 * `triggerPrice` for stop and stop-limit orders. Validated at the boundary by {@link OrderRequestSchema};
 * the grid (tick, lot, min notional) is checked by the risk engine against the instrument.
 */
export const OrderRequestSchema = OrderRequestFieldsSchema.superRefine(refineOrderRequest);

/**
 * The rule of a request's contingent parts (`takeProfit`, `stopLoss`, `oco`), shared by the schema
 * and the hand-written validator: well-formed, an OCO sibling priced for its type, and OCO not mixed
 * with a bracket's exits.
 */
export function contingencyProblem(o: {
  type?: unknown;
  takeProfit?: unknown;
  stopLoss?: unknown;
  oco?: unknown;
}): string | undefined {
  if (o.takeProfit === undefined && o.stopLoss === undefined && o.oco === undefined) return undefined;
  const parts = [
    ['takeProfit', TakeProfitSchema, o.takeProfit],
    ['stopLoss', StopLossSchema, o.stopLoss],
    ['oco', OcoLegSchema, o.oco],
  ] as const;
  for (const [name, schema, value] of parts) {
    if (value !== undefined && !schema.safeParse(value).success) return `${name} is not a valid ${name}`;
  }
  const sl = o.stopLoss as z.infer<typeof StopLossSchema> | undefined;
  if (sl !== undefined && sl.trailingAmount !== undefined && sl.trailingPercent !== undefined) {
    return 'stopLoss: give trailingAmount or trailingPercent, not both';
  }
  const oco = o.oco as z.infer<typeof OcoLegSchema> | undefined;
  if (oco === undefined) return undefined;
  if (o.takeProfit !== undefined || o.stopLoss !== undefined) {
    return 'an order has an OCO sibling or a bracket’s exits, not both';
  }
  if (o.type === 'market') return 'a market order cannot have an OCO sibling';
  const needsPrice = oco.type !== 'stop';
  const needsTrigger = oco.type !== 'limit';
  if (needsPrice !== (oco.price !== undefined))
    return `oco: price is ${needsPrice ? 'required' : 'not allowed'} for ${oco.type}`;
  if (needsTrigger !== (oco.triggerPrice !== undefined)) {
    return `oco: triggerPrice is ${needsTrigger ? 'required' : 'not allowed'} for ${oco.type}`;
  }
  return trailingProblem(oco);
}

/** The trailing fields' rule, shared by the schema and the hand-written validator. */
export function trailingProblem(o: {
  type?: unknown;
  trailingAmount?: unknown;
  trailingPercent?: unknown;
}): string | undefined {
  const amount = o.trailingAmount !== undefined;
  const percent = o.trailingPercent !== undefined;
  if (!amount && !percent) return undefined;
  if (amount && percent) return 'give trailingAmount or trailingPercent, not both';
  if (o.type !== 'stop' && o.type !== 'stopLimit')
    return `only stop and stopLimit orders trail, not ${String(o.type)}`;
  return undefined;
}

export type OrderRequest = z.input<typeof OrderRequestSchema>;

/** Validates an amendment (see `OrderAmendment`): at least one of quantity, price, triggerPrice. */
export const OrderAmendmentSchema = z
  .strictObject({
    quantity: finitePositive.optional(),
    price: finitePositive.optional(),
    triggerPrice: finitePositive.optional(),
  })
  .refine(
    (a) => a.quantity !== undefined || a.price !== undefined || a.triggerPrice !== undefined,
    'an amendment changes quantity, price or triggerPrice',
  );

/**
 * An order's state: an immutable snapshot, replaced by {@link applyOrderEvent} on every event.
 * `leavesQty` is what has not been filled (`filledQty + leavesQty === quantity` always); whether
 * it is still working is told by `status`.
 */
export interface Order {
  readonly clientOrderId: string;
  readonly venueOrderId: string | undefined;
  readonly accountId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: number;
  readonly price: number | undefined;
  readonly triggerPrice: number | undefined;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  readonly postOnly: boolean;
  /**
   * A trailing stop's distance from the best price seen, in price (`trailingAmount`) or in percent
   * of it (`trailingPercent`); at most one is set, only on stop and stop-limit orders. `triggerPrice`
   * (and a stop-limit's `price`) are where the order starts: the venue ratchets them.
   */
  readonly trailingAmount?: number | undefined;
  readonly trailingPercent?: number | undefined;
  /** When a GTD order expires, epoch ms; undefined for every other time in force. */
  readonly expireTime?: number | undefined;
  readonly status: OrderStatus;
  /** The status before a pending cancel, restored if the cancel is rejected. */
  readonly previousStatus: OrderStatus | undefined;
  readonly filledQty: number;
  readonly leavesQty: number;
  /** Volume-weighted fill price; NaN before the first fill. */
  readonly avgPx: number;
  /** Decimals of quantities, from the instrument: lets the order do exact quantity arithmetic. */
  readonly quantityPrecision: number;
  /** Every applied fill's trade id, oldest first. */
  readonly tradeIds: readonly string[];
  readonly tsInit: number;
  readonly tsLast: number;
}

/** Statuses after which nothing but a late fill can happen. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'denied',
  'rejected',
  'filled',
  'canceled',
  'expired',
]);

/** True while the order can still trade (it is at, or on its way to, the venue). */
export function isOpen(order: Order): boolean {
  // A switch, not a Set lookup: the engine asks on every order event.
  switch (order.status) {
    case 'submitted':
    case 'accepted':
    case 'triggered':
    case 'pendingCancel':
    case 'partiallyFilled':
      return true;
    default:
      return false;
  }
}

/**
 * The order life cycle as one table: status × event type → next status. A pair not in the table is
 * an illegal transition. `OrderFilled` goes to a placeholder that {@link applyOrderEvent} refines into
 * `partiallyFilled` or `filled` by quantity. `OrderCancelRejected` goes back to `previousStatus`
 * (`partiallyFilled` if the order filled while the cancel was pending).
 */
export const ORDER_TRANSITIONS = {
  initialized: {
    OrderDenied: 'denied',
    OrderSubmitted: 'submitted',
    // Adopting an order found at the venue during reconciliation.
    OrderAccepted: 'accepted',
    OrderRejected: 'rejected',
  },
  submitted: {
    OrderAccepted: 'accepted',
    OrderRejected: 'rejected',
    OrderModifyRejected: 'submitted',
    OrderPendingCancel: 'pendingCancel',
    OrderCanceled: 'canceled',
    OrderExpired: 'expired',
    OrderFilled: 'partiallyFilled',
  },
  accepted: {
    // A venue may refuse an order it acknowledged, when it first matches it (a post-only that would take).
    OrderRejected: 'rejected',
    OrderTriggered: 'triggered',
    OrderPendingCancel: 'pendingCancel',
    OrderCanceled: 'canceled',
    OrderExpired: 'expired',
    OrderFilled: 'partiallyFilled',
    OrderUpdated: 'accepted',
    OrderModifyRejected: 'accepted',
  },
  triggered: {
    OrderUpdated: 'triggered',
    OrderModifyRejected: 'triggered',
    OrderPendingCancel: 'pendingCancel',
    OrderCanceled: 'canceled',
    OrderExpired: 'expired',
    OrderFilled: 'partiallyFilled',
  },
  partiallyFilled: {
    OrderUpdated: 'partiallyFilled',
    OrderModifyRejected: 'partiallyFilled',
    OrderPendingCancel: 'pendingCancel',
    OrderCanceled: 'canceled',
    OrderExpired: 'expired',
    OrderFilled: 'partiallyFilled',
  },
  pendingCancel: {
    OrderCanceled: 'canceled',
    OrderCancelRejected: 'pendingCancel',
    OrderExpired: 'expired',
    OrderFilled: 'pendingCancel',
    OrderModifyRejected: 'pendingCancel',
  },
  // A fill that happened at the venue before the cancel took effect still counts; an amendment
  // that crossed the order's end is refused by the venue, and that changes nothing.
  canceled: { OrderFilled: 'canceled', OrderModifyRejected: 'canceled' },
  expired: { OrderFilled: 'expired', OrderModifyRejected: 'expired' },
  filled: { OrderModifyRejected: 'filled' },
  denied: {},
  rejected: {},
} as const satisfies Record<OrderStatus, Partial<Record<OrderEvent['type'], OrderStatus>>>;

/** The status an event moves an order to, or undefined when the transition is illegal. */
/** The table as Maps: a keyed lookup into an object literal by a varying string is a slow, megamorphic load. */
const TRANSITION_MAPS: ReadonlyMap<OrderStatus, ReadonlyMap<string, OrderStatus>> = new Map(
  Object.entries(ORDER_TRANSITIONS).map(([status, next]) => [
    status as OrderStatus,
    new Map(Object.entries(next) as [string, OrderStatus][]),
  ]),
);

export function nextStatus(status: OrderStatus, eventType: OrderEvent['type']): OrderStatus | undefined {
  return TRANSITION_MAPS.get(status)?.get(eventType);
}

/** Creates the `initialized` order for a validated request. */
export function createOrder(
  request: OrderRequest,
  identity: {
    clientOrderId: string;
    accountId: string;
    strategyId: string;
    quantityPrecision: number;
    ts: number;
  },
): Order {
  // Fields are copied one by one: spreading requests of varying shapes is a slow path in V8.
  return {
    clientOrderId: identity.clientOrderId,
    venueOrderId: undefined,
    accountId: identity.accountId,
    strategyId: identity.strategyId,
    instrumentId: request.instrumentId,
    side: request.side,
    type: request.type,
    quantity: request.quantity,
    price: request.price,
    triggerPrice: request.triggerPrice,
    timeInForce: request.timeInForce ?? 'GTC',
    reduceOnly: request.reduceOnly ?? false,
    postOnly: request.postOnly ?? false,
    trailingAmount: request.trailingAmount,
    trailingPercent: request.trailingPercent,
    expireTime: request.expireTime,
    status: 'initialized',
    previousStatus: undefined,
    filledQty: 0,
    leavesQty: request.quantity,
    avgPx: Number.NaN,
    quantityPrecision: identity.quantityPrecision,
    tradeIds: [],
    tsInit: identity.ts,
    tsLast: identity.ts,
  };
}

/**
 * An order the engine updates in place, one record per order for its whole life, instead of a new
 * object per event (three per filled order, each written back into every index that held the old one).
 * Records never leave the engine: callers get {@link snapshotOrder} copies.
 * @internal
 */
export type OrderRecord = { -readonly [K in keyof Order]: Order[K] } & { tradeIds: string[] };

/**
 * An immutable copy of an order (its trade ids included) that later events do not change: the
 * fields of {@link Order}, copied one by one (about twice as fast as a spread of a record; one runs
 * for every order a strategy sends and every open order it lists).
 */
export function snapshotOrder(order: Order): Order {
  return {
    clientOrderId: order.clientOrderId,
    venueOrderId: order.venueOrderId,
    accountId: order.accountId,
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    price: order.price,
    triggerPrice: order.triggerPrice,
    timeInForce: order.timeInForce,
    reduceOnly: order.reduceOnly,
    postOnly: order.postOnly,
    trailingAmount: order.trailingAmount,
    trailingPercent: order.trailingPercent,
    expireTime: order.expireTime,
    status: order.status,
    previousStatus: order.previousStatus,
    filledQty: order.filledQty,
    leavesQty: order.leavesQty,
    avgPx: order.avgPx,
    quantityPrecision: order.quantityPrecision,
    tradeIds: order.tradeIds.slice(),
    tsInit: order.tsInit,
    tsLast: order.tsLast,
  };
}

function applyFill(order: OrderRecord, fill: OrderFilled, placeholder: OrderStatus): void {
  if (order.tradeIds.includes(fill.tradeId)) {
    throw new RxtradeError({
      code: 'DUPLICATE_FILL',
      message: `trade ${fill.tradeId} was already applied to order ${order.clientOrderId}`,
      details: { clientOrderId: order.clientOrderId, tradeId: fill.tradeId },
    });
  }
  const p = order.quantityPrecision;
  const lastUnits = toUnitsExact(fill.lastQty, p);
  if (!(lastUnits > 0) || !(Number.isFinite(fill.lastPx) && fill.lastPx > 0)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `fill ${fill.tradeId} has an invalid quantity or price (${fill.lastQty} @ ${fill.lastPx})`,
    });
  }
  const filledUnits = toUnitsExact(order.filledQty, p) + lastUnits;
  const totalUnits = toUnitsExact(order.quantity, p);
  if (filledUnits > totalUnits) {
    throw new RxtradeError({
      code: 'OVERFILL',
      message: `fill ${fill.tradeId} of ${fill.lastQty} would overfill order ${order.clientOrderId} (${order.filledQty} of ${order.quantity} filled)`,
      details: { clientOrderId: order.clientOrderId, tradeId: fill.tradeId },
    });
  }
  // Every check has passed: from here on the record changes.
  const previousFilled = order.filledQty;
  const filledQty = fromUnits(filledUnits, p);
  order.avgPx =
    previousFilled === 0
      ? fill.lastPx
      : (order.avgPx * previousFilled + fill.lastPx * fill.lastQty) / filledQty;
  order.status = filledUnits === totalUnits ? 'filled' : placeholder;
  if (order.venueOrderId === undefined) order.venueOrderId = fill.venueOrderId;
  order.filledQty = filledQty;
  order.leavesQty = fromUnits(totalUnits - filledUnits, p);
  order.tradeIds.push(fill.tradeId);
  order.tsLast = fill.tsEvent;
}

/** An amendment the venue made: the new quantity (never at or below what has filled) and prices. */
function applyUpdate(order: OrderRecord, update: OrderUpdated): void {
  const p = order.quantityPrecision;
  const totalUnits = toUnitsExact(update.quantity, p);
  const filledUnits = toUnitsExact(order.filledQty, p);
  if (!(totalUnits > filledUnits)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `order ${order.clientOrderId}: amended quantity ${update.quantity} is not above the filled ${order.filledQty}`,
    });
  }
  order.quantity = update.quantity;
  order.leavesQty = fromUnits(totalUnits - filledUnits, p);
  if (update.price !== undefined) order.price = update.price;
  if (update.triggerPrice !== undefined) order.triggerPrice = update.triggerPrice;
}

/**
 * Applies an event to an order record in place (the engine's form of {@link applyOrderEvent}). The
 * same checks, all made before anything changes: when it throws, the record is as it was.
 * @internal
 */
export function applyOrderEventTo(order: OrderRecord, event: OrderEvent): void {
  if (event.clientOrderId !== order.clientOrderId) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `event for ${event.clientOrderId} applied to order ${order.clientOrderId}`,
    });
  }
  const next = nextStatus(order.status, event.type);
  if (next === undefined) {
    throw new RxtradeError({
      code: 'INVALID_STATE_TRANSITION',
      message: `order ${order.clientOrderId}: ${event.type} is not allowed in status ${order.status}`,
      details: { clientOrderId: order.clientOrderId, status: order.status, event: event.type },
    });
  }
  switch (event.type) {
    case 'OrderFilled':
      applyFill(order, event, next);
      return;
    case 'OrderAccepted':
      order.venueOrderId = event.venueOrderId;
      break;
    case 'OrderPendingCancel':
      order.previousStatus = order.status;
      break;
    case 'OrderCancelRejected':
      // A fill while the cancel was pending makes a working order partially filled.
      order.status = order.filledQty > 0 ? 'partiallyFilled' : (order.previousStatus ?? 'accepted');
      order.previousStatus = undefined;
      order.tsLast = event.tsEvent;
      return;
    case 'OrderUpdated':
      applyUpdate(order, event);
      break;
    case 'OrderSubmitted':
    case 'OrderModifyRejected':
    case 'OrderDenied':
    case 'OrderRejected':
    case 'OrderTriggered':
    case 'OrderCanceled':
    case 'OrderExpired':
      break;
  }
  order.status = next;
  order.tsLast = event.tsEvent;
}

/**
 * The order reducer: returns the order after `event`, or throws `INVALID_STATE_TRANSITION`,
 * `DUPLICATE_FILL` or `OVERFILL` and leaves the order as it was (it is immutable).
 */
export function applyOrderEvent(order: Order, event: OrderEvent): Order {
  const next = snapshotOrder(order) as OrderRecord;
  applyOrderEventTo(next, event);
  return next;
}
