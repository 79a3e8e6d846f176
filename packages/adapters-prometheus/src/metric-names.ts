import type { Counter, Gauge, Histogram, MetricsSink } from '@rxtrade/core';

/** A metric's name (without the sink's prefix), kind, help text, label names and buckets. */
export interface MetricDefinition {
  readonly kind: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** Latency buckets for a venue round trip: 1 ms to 10 s. */
export const ORDER_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Latency buckets for in-process work (bar in → order out): 50 µs to 1 s. */
export const IN_PROCESS_LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/**
 * Every metric rxtrade reports, by one name everywhere: `bindEngineMetrics` maintains the ones it can
 * derive from the engine's streams; the engine and adapters record the others (marked below) through
 * their `MetricsSink` under these same names, via {@link createEngineInstruments}.
 * Names are unprefixed; `createPrometheusMetrics` adds its prefix (`rxtrade_` by default).
 * Money gauges are in the account's currency.
 */
export const ENGINE_METRICS = {
  barsTotal: {
    kind: 'counter',
    name: 'bars_total',
    help: 'Bars processed by the engine, by symbol.',
    labelNames: ['symbol'],
  },
  tradesTotal: {
    kind: 'counter',
    name: 'trades_total',
    help: 'Fills applied, by strategy and symbol.',
    labelNames: ['strategy', 'symbol'],
  },
  ordersTotal: {
    kind: 'counter',
    name: 'orders_total',
    help: 'Order events by resulting status (submitted, denied, accepted, rejected, canceled, expired, filled per fill, …).',
    labelNames: ['status'],
  },
  orderDeniedTotal: {
    kind: 'counter',
    name: 'order_denied_total',
    help: 'Orders denied by the risk engine before leaving the process, by reason code.',
    labelNames: ['reason'],
  },
  orderRejectedTotal: {
    kind: 'counter',
    name: 'order_rejected_total',
    help: 'Orders rejected by the venue, by reason code.',
    labelNames: ['reason'],
  },
  strategyErrorsTotal: {
    kind: 'counter',
    name: 'strategy_errors_total',
    help: 'Strategy failures (a hook threw), by strategy.',
    labelNames: ['strategy'],
  },
  pnlCurrent: {
    kind: 'gauge',
    name: 'pnl_current',
    help: 'Current PnL of the account: equity minus initial cash (realized + unrealized - fees), account currency.',
    labelNames: ['account'],
  },
  equity: {
    kind: 'gauge',
    name: 'equity',
    help: 'Account equity: cash plus market value of open positions, account currency.',
    labelNames: ['account'],
  },
  position: {
    kind: 'gauge',
    name: 'position',
    help: 'Net position quantity of an account in an instrument (negative: short).',
    labelNames: ['account', 'symbol'],
  },
  riskState: {
    kind: 'gauge',
    name: 'risk_state',
    help: 'Trading state: 0 ACTIVE, 1 REDUCING, 2 HALTED. account="" is the engine-wide state.',
    labelNames: ['account'],
  },
  orderSubmitAckSeconds: {
    kind: 'histogram',
    name: 'order_submit_ack_seconds',
    help: "Time from OrderSubmitted to the venue's first answer (accepted, rejected or filled), by event time.",
    labelNames: [],
    buckets: ORDER_LATENCY_BUCKETS,
  },
  /** Recorded by the engine (wall clock), not derivable from the streams. */
  barToOrderSeconds: {
    kind: 'histogram',
    name: 'bar_to_order_seconds',
    help: 'Wall-clock time from a bar entering the engine to the order it caused being submitted.',
    labelNames: ['strategy'],
    buckets: IN_PROCESS_LATENCY_BUCKETS,
  },
  /** Recorded by the execution layer when a breaker changes state. */
  circuitBreakerState: {
    kind: 'gauge',
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state per venue: 0 closed, 1 half-open, 2 open, 3 isolated.',
    labelNames: ['venue'],
  },
  /** Recorded by the resilient execution client when a submission times out or the transport fails. */
  orderSubmitUnknownTotal: {
    kind: 'counter',
    name: 'order_submit_unknown_total',
    help: 'Order submissions whose outcome became unknown (timeout or transport error), by venue.',
    labelNames: ['venue'],
  },
  /** Recorded by the engine for venue events about orders it does not know (after a restart, say). */
  unknownOrderEventsTotal: {
    kind: 'counter',
    name: 'unknown_order_events_total',
    help: 'Venue events for orders this engine does not know.',
    labelNames: [],
  },
  /** Recorded by any boundary that drops on full (egress, metrics, conflated market data). */
  droppedMessagesTotal: {
    kind: 'counter',
    name: 'dropped_messages_total',
    help: 'Messages dropped on purpose at a full boundary, by boundary.',
    labelNames: ['boundary'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Values of `risk_state`. */
export const RISK_STATE_VALUES = { ACTIVE: 0, REDUCING: 1, HALTED: 2 } as const;

/** Values of `circuit_breaker_state`; the names are cockatiel's `CircuitState`. */
export const CIRCUIT_BREAKER_STATE_VALUES = { Closed: 0, HalfOpen: 1, Open: 2, Isolated: 3 } as const;

/** The key of an engine metric in {@link ENGINE_METRICS}. */
export type EngineMetricKey = keyof typeof ENGINE_METRICS;
type InstrumentOf<K extends EngineMetricKey> = (typeof ENGINE_METRICS)[K]['kind'] extends 'counter'
  ? Counter
  : (typeof ENGINE_METRICS)[K]['kind'] extends 'gauge'
    ? Gauge
    : Histogram;

/** Every engine metric as a ready instrument of one sink. */
export type EngineInstruments = { readonly [K in EngineMetricKey]: InstrumentOf<K> };

/**
 * Creates every {@link ENGINE_METRICS} instrument on `sink` once, for producers that record their own
 * (the engine's `bar_to_order_seconds`, an adapter's `dropped_messages_total`). Works with any sink.
 *
 * @example
 * const m = createEngineInstruments(metrics);
 * m.droppedMessagesTotal.add(1, { boundary: 'egress' });
 * m.circuitBreakerState.set(CIRCUIT_BREAKER_STATE_VALUES.Open, { venue: 'binance' });
 */
export function createEngineInstruments(sink: MetricsSink): EngineInstruments {
  const out: Record<string, Counter | Gauge | Histogram> = {};
  for (const [key, def] of Object.entries(ENGINE_METRICS) as [EngineMetricKey, MetricDefinition][]) {
    out[key] = instrument(sink, def);
  }
  return out as EngineInstruments;
}

/** The instrument for one definition on `sink`. */
export function instrument(sink: MetricsSink, definition: MetricDefinition): Counter | Gauge | Histogram {
  switch (definition.kind) {
    case 'counter':
      return sink.counter(definition.name, definition);
    case 'gauge':
      return sink.gauge(definition.name, definition);
    case 'histogram':
      return sink.histogram(definition.name, definition);
  }
}
