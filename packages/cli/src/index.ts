/**
 * The rxtrade command line, callable from code (runCli).
 *
 * @module @rxtrade/cli
 */
export { type LoadStrategyOptions, loadStrategy } from '@rxtrade/fleet/node';
export { OptionReader, parseOptions, UsageError } from './args';
export { type CliIo, COMMANDS, type Command, cliVersion, describeError, runCli } from './cli';
export { formatProblems, formatSummary, resultToJson } from './format';
export { type DataOptions, type LoadedData, loadData } from './load-data';
