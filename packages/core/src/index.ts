/**
 * The engine: model, data and indicators, strategies, risk, execution, accounts, backtests. Runs anywhere (no Node built-ins).
 *
 * @module @rxtrade/core
 */
// The public API of @rxtrade/core. Everything a user may import is named here; nothing else is reachable.
// Nothing here needs Node: files and worker threads are in @rxtrade/core/node (src/node.ts), so this entry embeds anywhere.

// Accounts
export { AccountBook, type AccountConfig, type FillOutcome } from './account/account-book';
export {
  AccountManager,
  type AccountManagerOptions,
  AccountManagerOptionsSchema,
  type CanTrade,
  CanTradeSchema,
  calculatePositionSizes,
  canTrade,
  type ManagedAccount,
  ManagedAccountSchema,
  type ManagedAccountStatus,
  type PositionSize,
  type RoutingDecision,
  type SizingAccount,
  type SizingMarket,
  signalOrderId,
  signalOrderRequest,
  sizingAccountOf,
} from './account/account-manager';
export { PositionBook } from './account/position-book';
// Data: indicators
export * from './data/indicators/index';
// Data: resampling and bar sources
export {
  BarAggregator,
  bucketStart,
  type ParsedTimeframe,
  parseTimeframe,
  type ResampleOptions,
  resampleBars,
  type Timeframe,
} from './data/resample';
export { type ArrayBarSource, type ArrayBarSourceOptions, fromArray } from './data/sources/array-source';
export {
  type AsyncBarIterableInput,
  type AsyncIterableBarSource,
  fromAsyncIterable,
} from './data/sources/async-iterable-source';
export type {
  BadRowPolicy,
  BarCheckOptions,
  BarReadStats,
  OrderPolicy,
  SkippedRow,
} from './data/sources/bar-checks';
export {
  type BarInput,
  type BarSource,
  barChunks,
  barSourceFromChunks,
  type SyncBarSource,
  toObservable,
} from './data/sources/bar-source';
export type { BarColumns, ColumnRef } from './data/sources/columns';
export { type BarRange, barsBetween, mergeBarSources } from './data/sources/combine';
export {
  parseIsoUtc,
  type ResolvedTimestampFormat,
  TIMESTAMP_FORMATS,
  type TimestampFormat,
} from './data/sources/timestamp';
// Engine
export {
  type BacktestData,
  type BacktestOptions,
  type BacktestProgress,
  type BacktestResult,
  type PriceSeries,
  type RefusalSummary,
  runBacktest,
} from './engine/backtest';
export {
  type HtmlReportFill,
  type HtmlReportInput,
  type HtmlReportPrices,
  type HtmlReportRefusal,
  type HtmlReportStrategy,
  type HtmlReportStrategyError,
  type HtmlReportTrade,
  renderHtmlReport,
  renderShadowReport,
} from './engine/html-report';
export {
  createProgressReporter,
  type ProgressReporter,
  type ProgressReporterOptions,
  type ProgressStream,
} from './engine/progress';
export {
  type BacktestStatistics,
  computeStatistics,
  EquityCurveStatistics,
  type EquityCurveStatisticsOptions,
  type EquityCurveSummaryInput,
  inferPeriodsPerYear,
  type StatisticsInput,
} from './engine/statistics';
export { type StrategyResult, StrategyTracker } from './engine/strategy-results';
export { createEngine, type EngineOptions, TradingEngine } from './engine/trading-engine';
export type {
  EngineCommands,
  EngineStreams,
  RiskStateChanged,
  StrategyEvent,
  StrategyStatus,
  TradingState,
} from './engine/types';
export { runVariants, type VariantsOptions, type VariantsResult } from './engine/variants';
// Errors
export { isRxtradeError, RxtradeError, type RxtradeErrorCode, type RxtradeErrorOptions } from './errors';
// Execution
export {
  AsyncOrderExecutor,
  type AsyncOrderExecutorOptions,
  type BatchOutcome,
} from './execution/batch-executor';
export {
  type ContingentLeg,
  type ContingentOrderSink,
  canAmendUp,
  childOrderId,
  contingentIds,
  hasContingency,
  OrderEmulator,
} from './execution/order-emulator';
export { ClientOrderIds, type ClientOrderIdsOptions, VENUE_CLIENT_ORDER_ID } from './execution/order-ids';
export { OrderJournal, type OrderJournalOptions, type RestoreSummary } from './execution/order-journal';
export {
  type OrderEventListener,
  OrderManager,
  type OrderManagerOptions,
  type OrderOrigin,
} from './execution/order-manager';
export {
  OrderRateLimiter,
  type OrderRateLimiterOptions,
  type RateLimit,
  TokenBucket,
} from './execution/rate-limiter';
export {
  createReconciler,
  EXTERNAL_STRATEGY,
  RECONCILING,
  type ReconcilableEngine,
  Reconciler,
  type ReconcilerOptions,
  type ReconciliationReport,
  type UnresolvedItem,
  type UnresolvedReason,
} from './execution/reconciliation';
export {
  BREAKER_STATE_VALUES,
  type BreakerOptions,
  type BreakerState,
  createResilientClient,
  type ResilientClientFor,
  type ResilientClientOptions,
  ResilientExecutionClient,
  submitOutcome,
  type VenueBreaker,
  VenueCircuitBreakers,
} from './execution/resilient-client';
export {
  ATTRIBUTION_PARTS,
  type AttributionPart,
} from './execution/shadow/attribution';
export {
  ShadowExecutionClient,
  type ShadowExecutionOptions,
} from './execution/shadow/shadow-execution-client';
export {
  SHADOW_OUTCOMES,
  type ShadowAttribution,
  type ShadowOrderReport,
  type ShadowOutcome,
  type ShadowReport,
  type ShadowSideReport,
} from './execution/shadow/shadow-report';
export {
  SimulatedVenue,
  type SimulatedVenueOptions,
  type SimulatedVenueRejectReason,
  type SlippageModel,
} from './execution/simulated-venue';
export {
  isReconcilable,
  type ReconcilableExecutionClient,
  type VenueBalance,
  type VenueFillReport,
  type VenueOrderReport,
  type VenuePositionReport,
} from './execution/venue-reports';
// Model
export {
  divRound,
  formatUnits,
  fromUnits,
  mulDivRound,
  parseUnits,
  pow10,
  RATE_SCALE,
  rateToUnits,
  toUnitsExact,
} from './model/decimal';
export { DENIAL_REASONS, type Denial, type DenialReason, isDenialReason } from './model/denial';
export {
  defineInstrument,
  type Instrument,
  type InstrumentSpec,
  InstrumentSpecSchema,
  type PriceRounding,
  priceToUnits,
  priceToUnitsExact,
  quantityToUnits,
  roundPrice,
  roundQuantity,
} from './model/instrument';
export { type Bar, BarSchema, type Tick, TickSchema } from './model/market-data';
export { buyCostMinorUnits, feeMinorUnits, notionalMinorUnits } from './model/money';
export {
  applyOrderEvent,
  createOrder,
  isOpen,
  type LiquiditySide,
  nextStatus,
  ORDER_TRANSITIONS,
  type Order,
  OrderAmendmentSchema,
  type OrderRequest,
  OrderRequestFieldsSchema,
  OrderRequestSchema,
  type OrderSide,
  type OrderStatus,
  type OrderType,
  refineOrderRequest,
  snapshotOrder,
  TERMINAL_STATUSES,
  type TimeInForce,
} from './model/order';
export type {
  Fill,
  OrderAccepted,
  OrderCanceled,
  OrderCancelRejected,
  OrderDenied,
  OrderEvent,
  OrderEventBase,
  OrderExpired,
  OrderFilled,
  OrderModifyRejected,
  OrderPendingCancel,
  OrderRejected,
  OrderSubmitted,
  OrderTriggered,
  OrderUpdated,
} from './model/order-events';
export { OrderEventSchema } from './model/order-events';
export {
  checkOrderGrid,
  type GridOrder,
  MAX_NOTIONAL_UNITS,
  type OrderGridOptions,
  type OrderGridReason,
  type OrderGridViolation,
} from './model/order-grid';
export { OrderSchema, orderFromRecord, orderToRecord } from './model/order-record';
export type { AccountState, ClosedTrade, Position } from './model/position';
export type { Signal } from './model/signal';
// Ports
export { type Clock, ManualClock, systemClock } from './ports/clock';
export {
  DEAD_LETTERS_METRIC,
  type DeadLetter,
  type DeadLetterPayload,
  type DeadLetterQuery,
  deadLetterMatches,
  parseDeadLetterQuery,
  type ReplayReport,
} from './ports/dead-letters';
export {
  type BarDrivenExecutionClient,
  type ExecutionClient,
  isBarDriven,
  isSyncExecution,
  type MarketDataClient,
  type OrderAmendment,
  type OrderStatusReport,
  type SyncExecutionClient,
  type VenueEvent,
} from './ports/execution-client';
export {
  type AcquireOptions,
  assertValidAcquire,
  createMemoryLockManager,
  type Lease,
  type LockManager,
} from './ports/lock-manager';
export { type LogFn, type Logger, noopLogger } from './ports/logger';
export {
  type BusBatchHandler,
  type BusDelivery,
  type BusEnvelope,
  BusEnvelopeSchema,
  type BusHandler,
  type BusSubscription,
  checkMaxBatch,
  createMemoryMessageBus,
  type DeliveryContext,
  type MemoryMessageBusOptions,
  type MessageBus,
  type PublishOptions,
  parseEnvelope,
  type SubscribeBatchesOptions,
  type SubscribeOptions,
  subscribeInBatches,
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
  type AcquireRateOptions,
  acquireRate,
  checkRateCosts,
  createMemoryRateLimiter,
  DEFAULT_FLIGHT_TTL_MS,
  FLIGHT_POLL_MS,
  type MemoryRateLimiterOptions,
  newFlightId,
  parseRateBuckets,
  type RateAcquireOptions,
  type RateBucketSpec,
  type RateBuckets,
  type RateCosts,
  type RateLimiter,
  type WithRateOptions,
  withRate,
} from './ports/rate-limiter';
export {
  compareKeys,
  encodeListCursor,
  listAll,
  MAX_LIST_PAGE,
  parseListPage,
} from './ports/state-listing';
export {
  type ApplyResult,
  assertValidBatch,
  createMemoryStateStore,
  type ListPageOptions,
  type MemoryStateStoreOptions,
  type StateBatch,
  type StateOp,
  type StatePage,
  type StateRecord,
  type StateStore,
} from './ports/state-store';
export { assertValidTopic, topicMatches } from './ports/topics';
export { reservedCashUnits } from './risk/cash';
// Risk
export {
  createEquityGuard,
  EQUITY_GUARD_OWNER,
  type EquityBreach,
  EquityGuard,
  type EquityGuardOptions,
  EquityGuardOptionsSchema,
  EquityWatch,
  type EquityWatchStatus,
  type EquityWatchUpdate,
  type HaltLimits,
  HaltLimitsSchema,
} from './risk/equity-guard';
export { type FlattenOptions, flattenRequests } from './risk/flatten';
export {
  flattenLateFill,
  type KillSwitchOptions,
  type KillSwitchResult,
  type KillSwitchTarget,
  killSwitch,
  LateFills,
} from './risk/kill-switch';
export {
  instrumentGridRule,
  type PositionView,
  type PreTradeAccount,
  type PreTradeContext,
  type PreTradeMarket,
  type PreTradeRule,
  pendingSameSideUnits,
  reducesPosition,
  reducesPositionWithOpenOrders,
  type StrategyPositionView,
} from './risk/pre-trade';
export { RiskEngine, type RiskEngineOptions } from './risk/risk-engine';
export type { RiskMonitor } from './risk/risk-monitor';
export {
  createRiskRule,
  type RiskLimits,
  RiskLimitsSchema,
  type RiskRuleOptions,
  RiskRuleOptionsSchema,
  referencePrice,
} from './risk/rules';
export { type SizingInput, type SizingModel, SizingModelSchema, sizePosition } from './risk/sizing';
export {
  type BudgetUsage,
  openingUnits,
  type StrategyBudgetConfig,
  StrategyBudgets,
  StrategyBudgetsSchema,
  strategyUsedUnits,
} from './risk/strategy-budgets';
export { type TradingHold, type TradingHoldChange, TradingHolds } from './risk/trading-holds';
// Strategy
export {
  BaseStrategy,
  type PriceSource,
  type StrategyContext,
  type StrategyOptions,
} from './strategy/base-strategy';
export { IndicatorCache, type IndicatorKind } from './strategy/indicator-cache';
export {
  type OverrunPolicy,
  type ParallelRunOptions,
  type ParallelRunResult,
  runParallel,
  type StrategyOverrun,
  type StrategyRunSummary,
  superviseStrategy,
  type TimeBudget,
} from './strategy/parallel-runner';
export {
  gridParamSets,
  type ParamRange,
  type ParamSet,
  type ParamSpace,
  type ParamValue,
  parseParamSpace,
  randomParamSets,
} from './strategy/param-space';
export { ResampledBars, type ResampleStrategyOptions } from './strategy/resampled-bars';
export {
  type HostAccounts,
  type OrderCommandSink,
  StrategyHost,
  type StrategyHostOptions,
} from './strategy/strategy-host';
export { type ModuleStrategy, type StrategyMaker, strategyFromModule } from './strategy/strategy-module';
export { paramKeysOf, unknownParamKeys } from './strategy/strategy-params';
