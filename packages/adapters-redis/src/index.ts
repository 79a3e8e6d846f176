/**
 * Redis: StateStore, LockManager, market-data cache and event fan-out.
 *
 * @module @rxtrade/redis
 */
export {
  createRedisClient,
  type RedisConnection,
  reconnectBackoff,
  redisClientOptions,
} from './connection';
export { DEFAULT_PREFIX, type RedisKeys, redisKeys } from './keys';
export { createRedisLockManager, type RedisLockManagerOptions } from './lock-manager';
export {
  createRedisMarketDataCache,
  type PushBarResult,
  type RedisMarketDataCache,
  type RedisMarketDataCacheOptions,
} from './market-data-cache';
export {
  createRedisPublisher,
  createRedisSubscriber,
  type RedisPublisher,
  type RedisPubSubMessage,
  type RedisPubSubOptions,
  type RedisSubscriber,
  type RedisSubscription,
} from './pubsub';
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './rate-limiter';
export { createRedisStateStore, type RedisStateStoreOptions } from './state-store';
export {
  createRedisStreamConsumer,
  createRedisStreamProducer,
  type RedisStreamConsumer,
  type RedisStreamConsumerOptions,
  type RedisStreamProducer,
  type RedisStreamProducerOptions,
  type StreamDeliveryContext,
  type StreamHandler,
} from './streams';
