/**
 * The fleet's HTTP/SSE gateway: API keys, rate limits, orders, cancels, the kill switch, reads and a
 * live stream over a {@link GatewayBackend} — the fleet's roles on the bus ({@link createFleetBackend})
 * or one in-process engine ({@link createEngineBackend}). The dashboard is a page of it. Needs
 * `fastify` and `@rxtrade/prometheus` (optional peer dependencies of `@rxtrade/fleet`).
 *
 * @module @rxtrade/fleet/gateway
 */
export {
  type ApiKeyRecord,
  ApiKeyRecordSchema,
  type ApiKeyStore,
  createMemoryKeyStore,
  createRedisKeyStore,
  hashApiKey,
  type KeyCacheOptions,
  type MintApiKeyOptions,
  mintApiKey,
  parseApiKeyRecord,
  type RedisKeyStoreOptions,
  type Scope,
  verifyApiKey,
} from './gateway/api-keys';
export { createGatewayApp, type GatewayAppOptions, SECURITY_HEADERS } from './gateway/app';
export { createEngineBackend, type EngineBackend, type EngineBackendOptions } from './gateway/engine-backend';
export { ApiError, type ErrorBody, errorBody } from './gateway/errors';
export { createFleetBackend, type FleetBackend, type FleetBackendOptions } from './gateway/fleet-backend';
export {
  EquityHistory,
  type EquityPoint,
  type GatewayBackend,
  type LiveEvent,
  type Page,
  type PageRequest,
  type StrategyInfo,
} from './gateway/gateway-backend';
export {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimitDecision,
  type RateLimiter,
  type RedisRateLimiterOptions,
  TOKEN_BUCKET_LUA,
  type TokenBucketOptions,
} from './gateway/rate-limit';
export { createStreamTokens, type StreamTokens, type StreamTokensOptions } from './gateway/stream-tokens';
