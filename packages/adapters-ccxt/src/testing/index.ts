// @rxtrade/ccxt/testing: a local fake of the Binance spot REST API for tests and demos.
export {
  type CcxtUrlTarget,
  defaultPrice,
  FakeBinance,
  type FakeBinanceOptions,
  type FakeFault,
  type FakeOrder,
  type FakeSymbol,
  type FakeTrade,
  type FaultRule,
  pointCcxtAtFakeBinance,
  type RecordedRequest,
} from './fake-binance';
