export { RxtradeError, isRxtradeError, type RxtradeErrorCode, type RxtradeErrorOptions } from './errors';
export { BarSchema, TickSchema, type Bar, type Tick } from './model/market-data';
