/**
 * Prometheus: the MetricsSink and its /metrics handler.
 *
 * @module @rxtrade/prometheus
 */
export {
  type BindEngineMetricsOptions,
  bindEngineMetrics,
  ORDER_EVENT_STATUS,
} from './bind-engine-metrics';
export type { MetricsEngineStreams, MetricsOrderEvent } from './engine-streams';
export {
  createEventLoopMonitor,
  type EventLoopMonitor,
  type EventLoopMonitorOptions,
  type EventLoopStatus,
} from './event-loop-monitor';
export {
  CIRCUIT_BREAKER_STATE_VALUES,
  createEngineInstruments,
  ENGINE_METRICS,
  type EngineInstruments,
  type EngineMetricKey,
  IN_PROCESS_LATENCY_BUCKETS,
  instrument,
  type MetricDefinition,
  ORDER_LATENCY_BUCKETS,
  RISK_STATE_VALUES,
} from './metric-names';
export { createMetricsHandler, type MetricsHandlerOptions, type MetricsSource } from './metrics-handler';
export {
  createOrderLatencyTracker,
  type OrderLatencyOptions,
  type OrderLatencyTracker,
} from './order-latency';
export {
  createPrometheusMetrics,
  DROPPED_SERIES_METRIC,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from './prometheus-metrics';
