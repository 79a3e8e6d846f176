import type { Logger, MetricsSink } from '@rxtrade/core';
import { type Observable, Subscription } from 'rxjs';
import type { MetricsEngineStreams } from './engine-streams';
import { createEngineInstruments, type EngineMetricKey, RISK_STATE_VALUES } from './metric-names';
import { createOrderLatencyTracker } from './order-latency';

/** Options of {@link bindEngineMetrics}. */
export interface BindEngineMetricsOptions {
  /**
   * Derive `order_submit_ack_seconds` from `orderEvents$`. Default true; turn off if the engine or
   * the execution client records it itself, so it is not counted twice.
   */
  readonly orderLatency?: boolean;
  /** Bound of the pending-order map of the latency tracker. Default 10,000. */
  readonly maxPendingOrders?: number;
  /**
   * Metrics another producer already records into the same sink, which the binding must then leave
   * alone to avoid counting twice: e.g. `['orderDeniedTotal', 'strategyErrorsTotal']` when the engine
   * was also given this sink and records those itself.
   */
  readonly exclude?: readonly EngineMetricKey[];
  /** Told when a stream errors (its metrics stop updating). Default: nothing. */
  readonly logger?: Logger;
}

/** Label value of each order event type in `orders_total{status}`. */
export const ORDER_EVENT_STATUS: Readonly<Record<string, string>> = {
  OrderSubmitted: 'submitted',
  OrderDenied: 'denied',
  OrderAccepted: 'accepted',
  OrderRejected: 'rejected',
  OrderTriggered: 'triggered',
  OrderPendingCancel: 'pending_cancel',
  OrderCancelRejected: 'cancel_rejected',
  OrderCanceled: 'canceled',
  OrderExpired: 'expired',
  OrderFilled: 'filled',
};

/**
 * Subscribes to an engine's streams and keeps the engine metrics up to date: `bars_total`,
 * `trades_total{strategy,symbol}`, `orders_total{status}`, `order_denied_total{reason}`,
 * `order_rejected_total{reason}`, `strategy_errors_total{strategy}`, `pnl_current{account}`,
 * `equity{account}`, `position{account,symbol}` (net positions; per-strategy virtual ones are left
 * out), `risk_state{account}` and `order_submit_ack_seconds`.
 *
 * Works with any MetricsSink and any object shaped like the engine's streams. Returns the one
 * Subscription that tears all of it down; unsubscribing twice is harmless. A stream error stops
 * only that stream's metrics and never reaches the caller: metrics must not take trading down.
 *
 * @example
 * const metrics = createPrometheusMetrics();
 * const binding = bindEngineMetrics(engine, metrics);
 * // … on shutdown
 * binding.unsubscribe();
 */
export function bindEngineMetrics(
  engine: MetricsEngineStreams,
  metrics: MetricsSink,
  options: BindEngineMetricsOptions = {},
): Subscription {
  const m = createEngineInstruments(metrics);
  const excluded = new Set<EngineMetricKey>(options.exclude ?? []);
  const on = (key: EngineMetricKey): boolean => !excluded.has(key);
  const subscription = new Subscription();
  const watch = <T>(name: string, stream$: Observable<T> | undefined, next: (value: T) => void): void => {
    if (!stream$) return;
    subscription.add(
      stream$.subscribe({
        next,
        error: (error: unknown) =>
          options.logger?.warn({ err: error, stream: name }, 'metrics: stream errored'),
      }),
    );
  };

  if (on('barsTotal')) watch('bars$', engine.bars$, (bar) => m.barsTotal.add(1, { symbol: bar.symbol }));
  if (on('tradesTotal')) {
    watch('fills$', engine.fills$, (fill) =>
      m.tradesTotal.add(1, { strategy: fill.strategyId, symbol: fill.instrumentId }),
    );
  }

  const latency =
    (options.orderLatency ?? true) && on('orderSubmitAckSeconds')
      ? createOrderLatencyTracker(
          metrics,
          options.maxPendingOrders === undefined ? {} : { maxPending: options.maxPendingOrders },
        )
      : undefined;
  if (latency) subscription.add(() => latency.clear());
  watch('orderEvents$', engine.orderEvents$, (event) => {
    if (on('ordersTotal')) m.ordersTotal.add(1, { status: ORDER_EVENT_STATUS[event.type] ?? 'other' });
    if (event.type === 'OrderDenied' && on('orderDeniedTotal')) {
      m.orderDeniedTotal.add(1, { reason: event.reason ?? 'UNKNOWN' });
    } else if (event.type === 'OrderRejected' && on('orderRejectedTotal')) {
      m.orderRejectedTotal.add(1, { reason: event.reason ?? 'UNKNOWN' });
    }
    latency?.onEvent(event);
  });

  watch('positions$', engine.positions$, (position) => {
    if (position.strategyId !== undefined || !on('position')) return;
    m.position.set(position.quantity, { account: position.accountId, symbol: position.instrumentId });
  });
  watch('account$', engine.account$, (account) => {
    if (on('equity')) m.equity.set(account.equity, { account: account.accountId });
    if (on('pnlCurrent'))
      m.pnlCurrent.set(account.equity - account.initialCash, { account: account.accountId });
  });
  watch('riskState$', engine.riskState$, (change) => {
    const value = RISK_STATE_VALUES[change.state as keyof typeof RISK_STATE_VALUES];
    if (value !== undefined && on('riskState')) m.riskState.set(value, { account: change.accountId ?? '' });
  });
  watch('strategyEvents$', engine.strategyEvents$, (event) => {
    if (event.type === 'StrategyFailed' && on('strategyErrorsTotal'))
      m.strategyErrorsTotal.add(1, { strategy: event.strategyId });
  });

  return subscription;
}
