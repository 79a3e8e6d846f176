import type { OrderGridReason } from './order-grid';

/**
 * Every reason the risk engine gives for refusing an order: the `reason` of an `OrderDenied` event
 * and of a {@link Denial}. A closed union, so statistics, metrics and dashboards can count by it and a
 * switch over it is checked for exhaustiveness. A rule of your own that fits none of them returns
 * `RULE_DENIED` and says why in the message.
 */
export const DENIAL_REASONS = [
  // Trading holds (see TradingHolds).
  'TRADING_HALTED',
  'REDUCING_ONLY',
  // The instrument's grid (instrumentGridRule; see OrderGridReason).
  'INVALID_ORDER',
  'INVALID_QUANTITY',
  'QUANTITY_OFF_LOT',
  'BELOW_MIN_QUANTITY',
  'MAX_QUANTITY_EXCEEDED',
  'INVALID_PRICE',
  'PRICE_OFF_TICK',
  'BELOW_MIN_NOTIONAL',
  'AMOUNT_OUT_OF_RANGE',
  // Limits (createRiskRule).
  'PRICE_UNKNOWN',
  'MAX_ORDER_QUANTITY_EXCEEDED',
  'PRICE_BAND_EXCEEDED',
  'MAX_NOTIONAL_EXCEEDED',
  'MAX_OPEN_ORDERS_EXCEEDED',
  'SHORT_NOT_ALLOWED',
  'MAX_POSITION_EXCEEDED',
  'MAX_GROSS_EXPOSURE_EXCEEDED',
  'MAX_NET_EXPOSURE_EXCEEDED',
  'MAX_LEVERAGE_EXCEEDED',
  'INSUFFICIENT_CASH',
  'ORDER_RATE_EXCEEDED',
  // A strategy's cash budget on its account (StrategyBudgets).
  'STRATEGY_BUDGET_EXCEEDED',
  // An account may not trade the symbol or strategy (AccountManager's canTrade).
  'NOT_PERMITTED',
  // What the engine or a service cannot route.
  'UNSUPPORTED_ORDER_TYPE',
  // A user-written rule.
  'RULE_DENIED',
] as const;

/** Why the risk engine refused an order; see {@link DENIAL_REASONS}. */
export type DenialReason = (typeof DENIAL_REASONS)[number];

// Every grid code is a denial code (the risk engine denies with them): checked when compiling.
type GridCodesAreDenials = OrderGridReason extends DenialReason ? true : never;
const gridCodesAreDenials: GridCodesAreDenials = true;
void gridCodesAreDenials;

const REASONS: ReadonlySet<string> = new Set(DENIAL_REASONS);

/** True when `reason` is one of {@link DENIAL_REASONS} (for input from another process). */
export function isDenialReason(reason: string): reason is DenialReason {
  return REASONS.has(reason);
}

/** Why the risk engine refused an order: a typed code and the numbers that failed. */
export interface Denial {
  readonly reason: DenialReason;
  readonly message: string;
}
