import { z } from 'zod';
import { RxtradeError } from '../errors';
import type { Order, OrderStatus } from './order';

const STATUSES = [
  'initialized',
  'denied',
  'submitted',
  'accepted',
  'rejected',
  'triggered',
  'pendingCancel',
  'partiallyFilled',
  'filled',
  'canceled',
  'expired',
] as const satisfies readonly OrderStatus[];

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const id = z.string().min(1).max(256);
/** Epoch ms up to the last millisecond of year 9999 (what timestamp columns and ISO text hold). */
const ts = z.number().int().min(0).max(253_402_300_799_999);

/**
 * Schema of an {@link Order} snapshot held as a value (numbers, booleans, an array of trade ids), for
 * stores that keep orders as objects or table rows. `avgPx` is NaN before the first fill. The one
 * order schema: {@link orderFromRecord} validates with it too.
 */
export const OrderSchema = z.object({
  clientOrderId: id,
  venueOrderId: id.optional(),
  accountId: id,
  strategyId: id,
  instrumentId: id,
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop', 'stopLimit']),
  quantity: finite,
  price: finite.optional(),
  triggerPrice: finite.optional(),
  timeInForce: z.enum(['GTC', 'IOC', 'FOK', 'DAY', 'GTD']),
  expireTime: ts.optional(),
  reduceOnly: z.boolean(),
  postOnly: z.boolean(),
  trailingAmount: finite.optional(),
  trailingPercent: finite.optional(),
  status: z.enum(STATUSES),
  previousStatus: z.enum(STATUSES).optional(),
  filledQty: finite,
  leavesQty: finite,
  avgPx: z.union([finite, z.nan()]),
  quantityPrecision: z.number().int().min(0).max(18),
  tradeIds: z.array(z.string()),
  tsInit: ts,
  tsLast: ts,
});

const NUMERIC = [
  'quantity',
  'price',
  'triggerPrice',
  'trailingAmount',
  'trailingPercent',
  'expireTime',
  'filledQty',
  'leavesQty',
  'avgPx',
  'quantityPrecision',
  'tsInit',
  'tsLast',
] as const;
const DECIMAL = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;

/**
 * An order as a flat record of strings — one `StateStore` hash — with every field: numbers as their
 * shortest round-trip decimal text (`avgPx` NaN as `NaN`), booleans as `true`/`false`, trade ids as a
 * JSON array; absent optional fields are left out. Read back with {@link orderFromRecord}.
 */
export function orderToRecord(order: Order): Record<string, string> {
  const record: Record<string, string> = {
    clientOrderId: order.clientOrderId,
    accountId: order.accountId,
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    side: order.side,
    type: order.type,
    quantity: String(order.quantity),
    timeInForce: order.timeInForce,
    reduceOnly: String(order.reduceOnly),
    postOnly: String(order.postOnly),
    status: order.status,
    filledQty: String(order.filledQty),
    leavesQty: String(order.leavesQty),
    avgPx: String(order.avgPx),
    quantityPrecision: String(order.quantityPrecision),
    tradeIds: JSON.stringify(order.tradeIds),
    tsInit: String(order.tsInit),
    tsLast: String(order.tsLast),
  };
  if (order.venueOrderId !== undefined) record['venueOrderId'] = order.venueOrderId;
  if (order.price !== undefined) record['price'] = String(order.price);
  if (order.triggerPrice !== undefined) record['triggerPrice'] = String(order.triggerPrice);
  if (order.previousStatus !== undefined) record['previousStatus'] = order.previousStatus;
  if (order.trailingAmount !== undefined) record['trailingAmount'] = String(order.trailingAmount);
  if (order.trailingPercent !== undefined) record['trailingPercent'] = String(order.trailingPercent);
  if (order.expireTime !== undefined) record['expireTime'] = String(order.expireTime);
  return record;
}

/**
 * Reads an {@link orderToRecord} record back, validated by {@link OrderSchema}; throws `CORRUPT_STATE`
 * naming `key` when it is not a valid order. Records written before the fill fields were kept (order
 * journals of 0.1) read as unfilled: `filledQty` 0, `leavesQty` the quantity, `avgPx` NaN, no trade ids.
 */
export function orderFromRecord(record: Readonly<Record<string, string>>, key = 'order'): Order {
  const raw: Record<string, unknown> = { ...record };
  for (const field of NUMERIC) {
    const text = record[field];
    // Anything else stays text, for the schema to refuse.
    if (text !== undefined && (DECIMAL.test(text) || (field === 'avgPx' && text === 'NaN'))) {
      raw[field] = Number(text);
    }
  }
  for (const field of ['reduceOnly', 'postOnly'] as const) {
    if (record[field] === 'true' || record[field] === 'false') raw[field] = record[field] === 'true';
  }
  const tradeIds = record['tradeIds'];
  try {
    raw['tradeIds'] = tradeIds === undefined ? [] : JSON.parse(tradeIds);
  } catch (cause) {
    throw corrupt(key, cause);
  }
  if (raw['filledQty'] === undefined) raw['filledQty'] = 0;
  if (raw['leavesQty'] === undefined) raw['leavesQty'] = raw['quantity'];
  if (raw['avgPx'] === undefined) raw['avgPx'] = Number.NaN;
  const parsed = OrderSchema.safeParse(raw);
  if (!parsed.success) throw corrupt(key, parsed.error);
  const o = parsed.data;
  return {
    clientOrderId: o.clientOrderId,
    venueOrderId: o.venueOrderId,
    accountId: o.accountId,
    strategyId: o.strategyId,
    instrumentId: o.instrumentId,
    side: o.side,
    type: o.type,
    quantity: o.quantity,
    price: o.price,
    triggerPrice: o.triggerPrice,
    timeInForce: o.timeInForce,
    reduceOnly: o.reduceOnly,
    postOnly: o.postOnly,
    trailingAmount: o.trailingAmount,
    trailingPercent: o.trailingPercent,
    expireTime: o.expireTime,
    status: o.status,
    previousStatus: o.previousStatus,
    filledQty: o.filledQty,
    leavesQty: o.leavesQty,
    avgPx: o.avgPx,
    quantityPrecision: o.quantityPrecision,
    tradeIds: o.tradeIds,
    tsInit: o.tsInit,
    tsLast: o.tsLast,
  };
}

function corrupt(key: string, cause: unknown): RxtradeError {
  return new RxtradeError({
    code: 'CORRUPT_STATE',
    message: `order record ${key} is not valid`,
    cause,
    details: { key },
  });
}
