/**
 * Exchanges through ccxt: ExecutionClient and MarketDataClient.
 *
 * @module @rxtrade/ccxt
 */
// The public API of @rxtrade/ccxt.
export { type CcxtConnector, type CcxtConnectorOptions, createCcxtConnector } from './connector';
export { ccxtErrorNames, classifyPlacementFailure, isOrderNotFound, type PlacementFailure } from './errors';
export {
  CcxtExecutionClient,
  type CcxtExecutionClientOptions,
  EMULATED_VENUE_ORDER_ID,
} from './execution-client';
export {
  CCXT_PRECISION_MODE,
  decimalsOf,
  exchangeOrderTypes,
  instrumentFromMarket,
  venueOrderTypes,
} from './instruments';
export { CcxtMarketDataClient, type CcxtMarketDataClientOptions } from './market-data-client';
export { resolveMarkets } from './markets';
export {
  type PrecisionRules,
  toVenueOrder,
  type VenueOrderMapping,
  type VenueOrderRequest,
} from './precision';
export {
  BINANCE_RATE_BUCKETS,
  binanceRequestCosts,
  binanceRequestWeight,
  type CcxtRateLimitOptions,
  type CcxtRequest,
  shareRateLimit,
} from './rate-limit';
