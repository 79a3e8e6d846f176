/**
 * The parts of core that need Node.js: bar files (CSV, JSON) and optimisation in worker threads.
 *
 * @module @rxtrade/core/node
 */
// @rxtrade/core/node: the parts of core that need Node.js (files, worker threads). The root entry
// (@rxtrade/core) has none, so it bundles for browsers, edge runtimes and workers.

// Bar files
export { type CsvBarSource, type CsvBarSourceOptions, fromCsvFile } from './data/sources/csv-source';
export { fromJsonFile, type JsonBarSource, type JsonBarSourceOptions } from './data/sources/json-source';
// Parameter optimisation in worker threads
export {
  type OptimizeMetric,
  type OptimizeOptions,
  type OptimizeProgress,
  type OptimizeResult,
  type OptimizeRow,
  Optimizer,
  type OptimizerOptions,
  type OptimizerSearchOptions,
  optimize,
  type WalkForwardOptions,
  type WalkForwardResult,
  type WalkForwardWindow,
  walkForward,
} from './strategy/optimize';
export type { DataDescription, OptimizeBacktestSettings, StrategyReference } from './strategy/optimize-task';
