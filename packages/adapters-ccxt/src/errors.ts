import { isRxtradeError, RxtradeError } from '@rxtrade/core';

/**
 * The names of an error's classes, most derived first (`['RateLimitExceeded', 'DDoSProtection',
 * 'NetworkError', 'OperationFailed', 'BaseError', 'Error']`). ccxt's errors are matched by name, not
 * `instanceof`, so a second copy of ccxt in node_modules classifies the same.
 */
export function ccxtErrorNames(error: unknown): ReadonlySet<string> {
  const names = new Set<string>();
  let proto: unknown = error !== null && typeof error === 'object' ? Object.getPrototypeOf(error) : undefined;
  while (proto && proto !== Object.prototype) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string') names.add(name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

/**
 * What a failed order placement means. `rejected`: the venue refused it, or ccxt refused it before
 * sending (bad parameters, insufficient funds, bad symbol, authentication) — definitive, a business
 * rejection. `duplicate`: the venue already has an open order with this client id — it is there.
 * `rateLimited`: refused for the request rate (HTTP 429/418), not processed (`bannedUntil`: the end of
 * a 418 ban, epoch ms, when the venue named it). `notSent`: refused before it left this process (a
 * shared rate limiter that would wait too long, `details.outcome` `NOT_SENT`). `unknown`: timeout,
 * transport error, 5xx, anything else — it may be at the venue.
 */
export type PlacementFailure =
  | { readonly kind: 'rejected'; readonly reason: string; readonly message: string }
  | { readonly kind: 'duplicate'; readonly message: string }
  | {
      readonly kind: 'rateLimited';
      readonly retryAfterMs: number;
      readonly bannedUntil: number | undefined;
      readonly message: string;
    }
  | { readonly kind: 'notSent'; readonly reason: string; readonly message: string }
  | { readonly kind: 'unknown'; readonly timeout: boolean; readonly message: string };

const REJECTION_REASONS: readonly (readonly [string, string])[] = [
  ['InsufficientFunds', 'INSUFFICIENT_FUNDS'],
  ['OrderImmediatelyFillable', 'POST_ONLY_WOULD_TAKE'],
  ['OrderNotFillable', 'NOT_FILLABLE'],
  ['InvalidOrder', 'INVALID_ORDER'],
  ['BadSymbol', 'UNKNOWN_INSTRUMENT'],
  ['AuthenticationError', 'AUTHENTICATION_FAILED'],
  ['PermissionDenied', 'PERMISSION_DENIED'],
  ['AccountSuspended', 'ACCOUNT_SUSPENDED'],
  ['AccountNotEnabled', 'ACCOUNT_NOT_ENABLED'],
  ['MarketClosed', 'MARKET_CLOSED'],
  ['ArgumentsRequired', 'INVALID_ORDER'],
  ['NotSupported', 'NOT_SUPPORTED'],
  ['InvalidNonce', 'TIMESTAMP_OUTSIDE_RECV_WINDOW'],
  ['BadRequest', 'BAD_REQUEST'],
];

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Classifies a failed `createOrder`, conservatively: only failures whose semantics prove the venue did
 * not accept the order are definitive (4xx refusals, ccxt's own checks); everything else is unknown.
 */
export function classifyPlacementFailure(error: unknown): PlacementFailure {
  const message = messageOf(error);
  if (isRxtradeError(error) && error.details?.['outcome'] === 'NOT_SENT') {
    const reason = error.details['reason'];
    return { kind: 'notSent', reason: typeof reason === 'string' ? reason : 'NOT_SENT', message };
  }
  const names = ccxtErrorNames(error);
  if (names.has('DuplicateOrderId') || /-2010\b.*Duplicate order/i.test(message)) {
    return { kind: 'duplicate', message };
  }
  if (names.has('DDoSProtection') || names.has('RateLimitExceeded')) {
    // Binance's 418 names the ban's end: "IP banned until 1659146400000".
    const banned = /banned until (\d{13})/i.exec(message)?.[1];
    return {
      kind: 'rateLimited',
      retryAfterMs: retryAfterMs(message),
      bannedUntil: banned === undefined ? undefined : Number(banned),
      message,
    };
  }
  for (const [name, reason] of REJECTION_REASONS) {
    if (!names.has(name)) continue;
    // Binance names the filter that refused the order: "Filter failure: NOTIONAL" → FILTER_NOTIONAL.
    const filter = /Filter failure: ([A-Z_]+)/.exec(message)?.[1];
    return { kind: 'rejected', reason: filter ? `FILTER_${filter}` : reason, message };
  }
  return { kind: 'unknown', timeout: names.has('RequestTimeout'), message };
}

/** Retry-After is not passed through by ccxt; Binance's 429 asks for a back-off, 1 s is its smallest. */
function retryAfterMs(message: string): number {
  const match = /retry[- ]after[^0-9]*(\d+)/i.exec(message);
  return match ? Number(match[1]) * 1000 : 1_000;
}

/** True when ccxt says the order does not exist (Binance -2013 / -2011). */
export function isOrderNotFound(error: unknown): boolean {
  return ccxtErrorNames(error).has('OrderNotFound');
}

/** A ccxt failure of a read or cancel as a typed error; retryable unless the request itself was wrong. */
export function toRxtradeError(error: unknown, op: string, venue: string): RxtradeError {
  const names = ccxtErrorNames(error);
  const message = `${op} at ${venue} failed: ${messageOf(error)}`;
  if (names.has('RequestTimeout')) {
    return new RxtradeError({
      code: 'TIMEOUT',
      message,
      cause: error,
      details: { venue, op, outcome: 'UNKNOWN' },
    });
  }
  const permanent = [
    'AuthenticationError',
    'PermissionDenied',
    'BadRequest',
    'BadSymbol',
    'ArgumentsRequired',
    'NotSupported',
  ].some((n) => names.has(n));
  return new RxtradeError({
    code: 'ADAPTER_FAILURE',
    message,
    cause: error,
    details: { venue, op, retryable: !permanent, outcome: 'UNKNOWN' },
  });
}
