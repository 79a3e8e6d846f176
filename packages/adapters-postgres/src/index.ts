/**
 * PostgreSQL history: bars, strategy runs, orders, fills, closed trades.
 *
 * @module @rxtrade/postgres
 */
export type {
  BarQuery,
  BarStore,
  BarStreamOptions,
  IngestOptions,
  IngestResult,
} from './bar-store';
export {
  createHistoryWriter,
  type HistoryWriter,
  type HistoryWriterOptions,
  type HistoryWriterStats,
} from './history-writer';
export { MIGRATIONS, type MigrateResult, type Migration, migrate } from './migrations';
export {
  createPostgresHistory,
  type PostgresHistory,
  type PostgresHistoryOptions,
} from './postgres-history';
export type {
  CreateRunInput,
  FinishRunInput,
  JsonValue,
  RunStore,
  StrategyRun,
} from './run-store';
export type {
  AppendResult,
  ClosedTradeStore,
  FillStore,
  FillTotals,
  OrderStore,
} from './trade-stores';
export { barViolation } from './validate';
