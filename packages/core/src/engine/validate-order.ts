import { contingencyProblem, type OrderRequest, trailingProblem } from '../model/order';

// Comparisons, not Set lookups: string literals are interned, so each is a pointer compare.
const isSide = (v: unknown): boolean => v === 'buy' || v === 'sell';
const isType = (v: unknown): boolean => v === 'market' || v === 'limit' || v === 'stop' || v === 'stopLimit';
const isTif = (v: unknown): boolean =>
  v === 'GTC' || v === 'IOC' || v === 'FOK' || v === 'DAY' || v === 'GTD';
const badId = (v: unknown): boolean =>
  v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 64);
const positive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;
/** String(value) throws for objects without a usable toString/valueOf; a message must never throw. */
const show = (value: unknown): string => {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
};

/**
 * The same rules as `OrderRequestSchema`, hand-written for the in-process strategy path where zod
 * would dominate the cost of an order. Returns a description of the first problem, or undefined.
 * A property test keeps the two in agreement.
 */
export function validateOrderRequest(r: OrderRequest): string | undefined {
  if (typeof r !== 'object' || r === null) return 'request must be an object';
  if (typeof r.instrumentId !== 'string' || r.instrumentId.length === 0 || r.instrumentId.length > 64) {
    return 'instrumentId must be a string of 1..64 characters';
  }
  if (!isSide(r.side)) return `side must be buy or sell, got ${show(r.side)}`;
  if (!isType(r.type)) return `type must be market, limit, stop or stopLimit, got ${show(r.type)}`;
  if (!positive(r.quantity)) return `quantity must be a finite number > 0, got ${show(r.quantity)}`;
  const needsPrice = r.type === 'limit' || r.type === 'stopLimit';
  const needsTrigger = r.type === 'stop' || r.type === 'stopLimit';
  if (needsPrice ? !positive(r.price) : r.price !== undefined) {
    return needsPrice
      ? `price must be a finite number > 0 for ${r.type}`
      : `price is not allowed for ${r.type}`;
  }
  if (needsTrigger ? !positive(r.triggerPrice) : r.triggerPrice !== undefined) {
    return needsTrigger
      ? `triggerPrice must be a finite number > 0 for ${r.type}`
      : `triggerPrice is not allowed for ${r.type}`;
  }
  if (r.timeInForce !== undefined && !isTif(r.timeInForce))
    return `timeInForce ${show(r.timeInForce)} is unknown`;
  if (r.postOnly && r.type !== 'limit') return 'only limit orders can be post-only';
  const expire = r.expireTime;
  if (expire !== undefined && !(Number.isSafeInteger(expire) && expire >= 0))
    return `expireTime must be an integer epoch ms, got ${show(expire)}`;
  if ((r.timeInForce === 'GTD') !== (expire !== undefined))
    return 'expireTime is required for GTD orders, and only for them';
  if (badId(r.clientOrderId)) return 'clientOrderId must be a string of 1..64 characters';
  if (badId(r.accountId)) return 'accountId must be a string of 1..64 characters';
  if (badId(r.strategyId)) return 'strategyId must be a string of 1..64 characters';
  if (r.reduceOnly !== undefined && typeof r.reduceOnly !== 'boolean') return 'reduceOnly must be a boolean';
  if (r.postOnly !== undefined && typeof r.postOnly !== 'boolean') return 'postOnly must be a boolean';
  if (r.trailingAmount !== undefined && !positive(r.trailingAmount))
    return `trailingAmount must be a finite number > 0, got ${show(r.trailingAmount)}`;
  const pct = r.trailingPercent;
  if (pct !== undefined && !(typeof pct === 'number' && pct > 0 && pct < 100))
    return `trailingPercent must be a number in (0, 100), got ${show(pct)}`;
  return trailingProblem(r) ?? contingencyProblem(r);
}

/**
 * The keys the fast lane takes: `OrderRequestSchema`'s, but the contingent parts. Written out, not
 * read from the schema: a field added there must not reach the fast lane before
 * {@link validateOrderRequest} checks it (a test fails until this list and the schema agree).
 */
export const REQUEST_KEYS: ReadonlySet<string> = new Set([
  'clientOrderId',
  'accountId',
  'strategyId',
  'instrumentId',
  'side',
  'type',
  'quantity',
  'price',
  'triggerPrice',
  'timeInForce',
  'expireTime',
  'reduceOnly',
  'postOnly',
  'trailingAmount',
  'trailingPercent',
]);

/**
 * A copy of `input` when it certainly passes `OrderRequestSchema` unchanged — a plain object with only
 * a request's keys, no contingent part (`takeProfit`, `stopLoss`, `oco`: those keep zod's deep copy),
 * and every rule of {@link validateOrderRequest} met — else undefined, and zod decides and explains.
 * The public `submit` path's fast lane: it accepts nothing the schema refuses.
 */
export function plainOrderRequest(input: unknown): OrderRequest | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  for (const key in input) if (!REQUEST_KEYS.has(key)) return undefined;
  const request = { ...(input as OrderRequest) };
  // A getter could answer differently the second time: check the copy, which holds plain values.
  return validateOrderRequest(request) === undefined ? request : undefined;
}
