export {
  type ApiKeyRecord,
  ApiKeyRecordSchema,
  type ApiKeyStore,
  createMemoryKeyStore,
  createRedisKeyStore,
  hashApiKey,
  type MintApiKeyOptions,
  mintApiKey,
  parseApiKeyRecord,
  type RedisKeyStoreOptions,
  type Scope,
  verifyApiKey,
} from './api-keys';
export { createGatewayApp, type GatewayAppOptions, SECURITY_HEADERS } from './app';
export { createEngineBackend, type EngineBackend, type EngineBackendOptions } from './engine-backend';
export { ApiError, type ErrorBody, errorBody } from './errors';
export {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimitDecision,
  type RateLimiter,
  type RedisRateLimiterOptions,
  TOKEN_BUCKET_LUA,
  type TokenBucketOptions,
} from './rate-limit';
export { createStreamTokens, type StreamTokens, type StreamTokensOptions } from './stream-tokens';
