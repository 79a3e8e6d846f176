/**
 * Bundled historical data (S&P 500 daily) for examples and tests.
 *
 * @module @rxtrade/datasets
 */
export { loadSp500Bars, SP500_INSTRUMENT, SP500_SYMBOL, sp500BarSource, sp500CsvPath } from './sp500';
