import type { OrderRequest } from '../model/order';

const SIDES = new Set(['buy', 'sell']);
const TYPES = new Set(['market', 'limit', 'stop', 'stopLimit']);
const TIFS = new Set(['GTC', 'IOC', 'FOK', 'DAY']);
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
  if (!SIDES.has(r.side)) return `side must be buy or sell, got ${show(r.side)}`;
  if (!TYPES.has(r.type)) return `type must be market, limit, stop or stopLimit, got ${show(r.type)}`;
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
  if (r.timeInForce !== undefined && !TIFS.has(r.timeInForce))
    return `timeInForce ${show(r.timeInForce)} is unknown`;
  if (r.postOnly && r.type !== 'limit') return 'only limit orders can be post-only';
  for (const key of ['clientOrderId', 'accountId', 'strategyId'] as const) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 64)) {
      return `${key} must be a string of 1..64 characters`;
    }
  }
  if (r.reduceOnly !== undefined && typeof r.reduceOnly !== 'boolean') return 'reduceOnly must be a boolean';
  if (r.postOnly !== undefined && typeof r.postOnly !== 'boolean') return 'postOnly must be a boolean';
  return undefined;
}
