export { isRxtradeError, RxtradeError, type RxtradeErrorCode, type RxtradeErrorOptions } from './errors';
export { type Bar, BarSchema, type Tick, TickSchema } from './model/market-data';
export { type Clock, ManualClock, systemClock } from './ports/clock';
export {
  type AcquireOptions,
  assertValidAcquire,
  createMemoryLockManager,
  type Lease,
  type LockManager,
} from './ports/lock-manager';
export { type LogFn, type Logger, noopLogger } from './ports/logger';
export {
  assertValidTopic,
  type BusEnvelope,
  BusEnvelopeSchema,
  type BusHandler,
  type BusSubscription,
  createMemoryMessageBus,
  type DeadLetterPayload,
  type DeliveryContext,
  type MessageBus,
  type PublishOptions,
  parseEnvelope,
  type SubscribeOptions,
  topicMatches,
} from './ports/message-bus';
export {
  type Counter,
  createMemoryMetrics,
  type Gauge,
  type Histogram,
  type HistogramOptions,
  type Labels,
  type MemoryMetrics,
  type MetricOptions,
  type MetricsSink,
  noopMetrics,
} from './ports/metrics-sink';
export {
  type ApplyResult,
  assertValidBatch,
  createMemoryStateStore,
  type MemoryStateStoreOptions,
  type StateBatch,
  type StateOp,
  type StateRecord,
  type StateStore,
} from './ports/state-store';
