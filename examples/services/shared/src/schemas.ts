import { BarSchema, OrderEventSchema } from '@rxtrade/core';
import { z } from 'zod';

/** Schema version carried as the envelope's `v`; payload types carry their own `type` name. */
export const PAYLOAD_TYPES = {
  bar: 'Bar',
  signal: 'StrategySignal',
  orderSubmit: 'OrderSubmit',
  orderEvent: 'OrderEvent',
  fill: 'FillApplied',
  riskState: 'RiskStateChanged',
  rpcReply: 'RpcReply',
} as const;

const id = z.string().min(1).max(128);
const ts = z.number().int().nonnegative();
const qty = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');

/** `bars.<symbol>`: one OHLCV bar. */
export const BarPayloadSchema = BarSchema;

/**
 * `signals.<strategyId>`: what a strategy wants, with the strategy's own size. Risk turns it into one
 * order per account (scaled by the account's weight). `barTs` is the bar that produced it: the order
 * fills at the open of the first bar after it.
 */
export const SignalPayloadSchema = z.strictObject({
  signalId: id,
  strategyId: id,
  symbol: id,
  side: z.enum(['buy', 'sell']),
  quantity: qty,
  direction: z.enum(['long', 'short', 'flat']),
  barTs: ts,
  price: z.number().positive(),
});
export type SignalPayload = z.output<typeof SignalPayloadSchema>;

/**
 * `orders.submit`: a risk-approved order for one account. A market order fills at the open of the
 * first bar with `ts > refTs`; a limit order works from that bar on until a bar crosses its `price`
 * (on the instrument's tick grid) or it is canceled.
 */
export const OrderSubmitPayloadSchema = z
  .strictObject({
    clientOrderId: z.string().min(1).max(64),
    accountId: id,
    strategyId: id,
    symbol: id,
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit']).default('market'),
    quantity: qty,
    price: z.number().positive().optional(),
    refTs: ts,
    tsInit: ts,
  })
  .refine(
    (o) => (o.type === 'limit') === (o.price !== undefined),
    'a limit order has a price, a market order none',
  );
export type OrderSubmitPayload = z.output<typeof OrderSubmitPayloadSchema>;

/** `orders.events.<accountId>`: core's order events, validated by core's schema. */
export const OrderEventPayloadSchema = OrderEventSchema;

/** Position after a fill, as stored in Redis (integers: quantity units and cents). */
export const PositionSnapshotSchema = z.strictObject({
  accountId: id,
  symbol: id,
  qty: z.number().int(),
  netCashCents: z.number().int(),
  openCostCents: z.number().int(),
  feesCents: z.number().int(),
  fills: z.number().int().nonnegative(),
  lastPx: z.number(),
  tsLast: ts,
});
export type PositionSnapshot = z.output<typeof PositionSnapshotSchema>;

/** `fills.<accountId>`: the fill (core's OrderFilled) and the position it produced. */
export const FillPayloadSchema = z.strictObject({
  fill: OrderEventSchema,
  position: PositionSnapshotSchema,
});
export type FillPayload = z.output<typeof FillPayloadSchema>;

/** `risk.state`: core's RiskStateChanged. */
export const RiskStatePayloadSchema = z.strictObject({
  type: z.literal('RiskStateChanged'),
  accountId: id.optional(),
  state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']),
  reason: z.string(),
  tsEvent: ts,
});
export type RiskStatePayload = z.output<typeof RiskStatePayloadSchema>;

/** Manual order request from the gateway (already validated by the HTTP app). */
export const SubmitRequestSchema = z.strictObject({
  accountId: id,
  request: z.record(z.string(), z.unknown()),
});

/** The strategy id of the kill switch's flattening orders: the only orders executed while HALTED. */
export const KILL_SWITCH_STRATEGY = 'kill-switch';

/** Kill switch request. */
export const KillSwitchRequestSchema = z.strictObject({ reason: z.string().min(1), flatten: z.boolean() });

/** Cancel request. */
export const CancelRequestSchema = z.strictObject({ accountId: id, clientOrderId: id });
