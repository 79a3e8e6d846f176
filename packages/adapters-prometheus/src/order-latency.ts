import type { MetricsSink } from '@rxtrade/core';
import type { MetricsOrderEvent } from './engine-streams';
import { ENGINE_METRICS } from './metric-names';

/** Options of {@link createOrderLatencyTracker}. */
export interface OrderLatencyOptions {
  /**
   * Most orders waiting for their first venue answer. When full, the oldest is forgotten (its
   * latency is not recorded), so orders the venue never answers cannot grow memory. Default 10,000.
   */
  readonly maxPending?: number;
}

/** Feeds order events; records `order_submit_ack_seconds`. */
export interface OrderLatencyTracker {
  /** Call with every order event, in order. */
  onEvent(event: MetricsOrderEvent): void;
  /** Orders submitted and not yet answered. */
  readonly pending: number;
  /** Forgets every pending order. */
  clear(): void;
}

const ANSWERS = new Set(['OrderAccepted', 'OrderRejected', 'OrderFilled']);
const ENDS = new Set(['OrderDenied', 'OrderCanceled', 'OrderExpired']);

/**
 * Measures submit → first venue answer per `clientOrderId`, from the events' `tsEvent` (the engine's
 * clock: real latency live, simulated latency in a backtest). The first answer may be `OrderAccepted`,
 * `OrderRejected` or an `OrderFilled` that arrives without an accept (some venues skip it).
 */
export function createOrderLatencyTracker(
  sink: MetricsSink,
  options: OrderLatencyOptions = {},
): OrderLatencyTracker {
  const def = ENGINE_METRICS.orderSubmitAckSeconds;
  const histogram = sink.histogram(def.name, def);
  const maxPending = Math.max(1, options.maxPending ?? 10_000);
  // Map keeps insertion order: the first key is the oldest pending order.
  const submittedAt = new Map<string, number>();
  return {
    onEvent(event) {
      if (event.type === 'OrderSubmitted') {
        if (submittedAt.size >= maxPending && !submittedAt.has(event.clientOrderId)) {
          const oldest = submittedAt.keys().next().value;
          if (oldest !== undefined) submittedAt.delete(oldest);
        }
        submittedAt.set(event.clientOrderId, event.tsEvent);
        return;
      }
      if (ANSWERS.has(event.type)) {
        const ts = submittedAt.get(event.clientOrderId);
        if (ts === undefined) return;
        submittedAt.delete(event.clientOrderId);
        histogram.observe(Math.max(0, event.tsEvent - ts) / 1000);
      } else if (ENDS.has(event.type)) {
        submittedAt.delete(event.clientOrderId);
      }
    },
    get pending() {
      return submittedAt.size;
    },
    clear: () => submittedAt.clear(),
  };
}
