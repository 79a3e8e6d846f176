/**
 * The fleet's Redis key layout (under the fleet's StateStore prefix). One place, so the gateway
 * backend reads what the order and risk services write.
 */
export const keys = {
  position: (accountId: string, symbol: string): string => `position:${accountId}:${symbol}`,
  positionsOf: (accountId: string): string => `position:${accountId}:`,
  account: (accountId: string): string => `account:${accountId}`,
  order: (accountId: string, clientOrderId: string): string => `order:${accountId}:${clientOrderId}`,
  ordersOf: (accountId: string): string => `order:${accountId}:`,
  /** The simulated venue's order book entry: created once per clientOrderId. */
  venueOrder: (clientOrderId: string): string => `venue-order:${clientOrderId}`,
  venueOrders: 'venue-order:',
  /** A submit waiting for the next bar (durable, so a restarted order service picks it up). */
  parked: (clientOrderId: string): string => `parked:${clientOrderId}`,
  parkedAll: 'parked:',
  fill: (accountId: string, tradeId: string): string => `fill:${accountId}:${tradeId}`,
  fillsOf: (accountId: string): string => `fill:${accountId}:`,
  riskState: 'risk-state',
  strategyProgress: (strategyId: string, symbol: string): string =>
    `strategy-progress:${strategyId}:${symbol}`,
  strategy: (strategyId: string): string => `strategy:${strategyId}`,
  strategies: 'strategy:',
  dataProgress: 'data-progress',
} as const;
