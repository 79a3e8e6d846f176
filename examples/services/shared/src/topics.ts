/**
 * Topic names of the fleet (docs: DESIGN.md "Bus topics and messages"). Builders rather than string
 * literals so a typo is a compile error, and so every service agrees on the same shape.
 */
export const topics = {
  bars: (symbol: string): string => `bars.${symbol}`,
  allBars: 'bars.*',
  signals: (strategyId: string): string => `signals.${strategyId}`,
  allSignals: 'signals.*',
  ordersSubmit: 'orders.submit',
  orderEvents: (accountId: string): string => `orders.events.${accountId}`,
  allOrderEvents: 'orders.events.*',
  fills: (accountId: string): string => `fills.${accountId}`,
  allFills: 'fills.*',
  riskState: 'risk.state',
} as const;

/** Request/reply topics (transient: queries and commands safe to lose or to resend). */
export const rpc = {
  /** Gateway → risk: a manual order, risk-checked; replies with the order after risk. */
  submitOrder: 'rpc.risk.submit',
  /** Gateway → risk: halt, cancel everything, optionally flatten. */
  killSwitch: 'rpc.risk.kill',
  /** Risk/gateway → order: cancel one waiting order. */
  cancelOrder: 'rpc.order.cancel',
  /** Risk → order: cancel every waiting order. */
  cancelAll: 'rpc.order.cancel-all',
} as const;
