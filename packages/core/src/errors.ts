/**
 * Every error code rxtrade throws. Business rejections (risk denials, venue rejects) are not errors:
 * they are `OrderDenied` / `OrderRejected` events with a reason code.
 */
export type RxtradeErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_CONFIG'
  | 'INVALID_MESSAGE'
  | 'INVALID_STATE_TRANSITION'
  | 'DUPLICATE_FILL'
  | 'OVERFILL'
  | 'DUPLICATE_ORDER'
  | 'UNKNOWN_ORDER'
  | 'UNKNOWN_INSTRUMENT'
  | 'UNKNOWN_ACCOUNT'
  | 'NOT_STARTED'
  | 'CLOSED'
  | 'TIMEOUT'
  | 'NOT_CONNECTED'
  | 'ADAPTER_FAILURE'
  | 'CORRUPT_STATE'
  | 'STRATEGY_FAILED'
  | 'CANCELED';

const brand = Symbol.for('rxtrade.error');

/** Options for {@link RxtradeError}. */
export interface RxtradeErrorOptions {
  readonly code: RxtradeErrorCode;
  readonly message?: string;
  readonly cause?: unknown;
  /** Machine-readable context: the key that failed to parse, the limit that was exceeded, … */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of rxtrade: a `code` to branch on, a human `message`, the `cause` it wraps.
 *
 * @example
 * try { engine.submit(order) } catch (e) { if (isRxtradeError(e) && e.code === 'UNKNOWN_INSTRUMENT') … }
 */
export class RxtradeError extends Error {
  override readonly name = 'RxtradeError';
  readonly code: RxtradeErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [brand] = true;

  constructor(options: RxtradeErrorOptions) {
    super(
      options.message ?? options.code,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = options.code;
    this.details = options.details;
  }
}

/** True for an {@link RxtradeError}, even one thrown by another copy of this package. */
export function isRxtradeError(value: unknown): value is RxtradeError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Shorthand used at boundaries: throw an `INVALID_ARGUMENT` error. */
export function invalidArgument(message: string, details?: Record<string, unknown>): RxtradeError {
  return new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(details ? { details } : {}) });
}
