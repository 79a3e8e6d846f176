export { loadSp500Bars, SP500_INSTRUMENT, SP500_SYMBOL, sp500BarSource, sp500CsvPath } from './sp500';
