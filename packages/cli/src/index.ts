export { type CliIo, runCli } from './cli';
export { formatSummary, resultToJson } from './format';
export { type DataOptions, type LoadedData, loadData } from './load-data';
export { loadStrategy } from './load-strategy';
