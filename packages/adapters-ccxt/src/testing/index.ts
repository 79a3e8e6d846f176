/**
 * A local fake of the Binance spot REST API, for tests and demos of the ccxt connector.
 *
 * @module @rxtrade/ccxt/testing
 */
// @rxtrade/ccxt/testing: a local fake of the Binance spot REST API for tests and demos.
export { binanceRequestWeight } from '../rate-limit';
export {
  BINANCE_RATE_LIMITS,
  type CcxtUrlTarget,
  DEFAULT_ORDER_TYPES,
  defaultPrice,
  FakeBinance,
  type FakeBinanceOptions,
  type FakeFault,
  type FakeOrder,
  type FakeRateLimits,
  type FakeRateStats,
  type FakeSymbol,
  type FakeTrade,
  type FakeWindowLimit,
  type FaultRule,
  pointCcxtAtFakeBinance,
  type RecordedRequest,
} from './fake-binance';
