/**
 * A strategy's opinion, without a size: the risk and account layers turn it into orders per
 * account (`calculatePositionSizes`). Strategies that size their own orders do not need signals.
 */
export interface Signal {
  readonly strategyId: string;
  readonly symbol: string;
  /** Desired exposure: long, short or flat. */
  readonly direction: 'long' | 'short' | 'flat';
  /** Conviction in [0, 1]; sizing models may scale by it. Default 1. */
  readonly strength: number;
  /** Optional stop distance in price, for risk-per-trade sizing. */
  readonly stopDistance: number | undefined;
  readonly tsEvent: number;
}
