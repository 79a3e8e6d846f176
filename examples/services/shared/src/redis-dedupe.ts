import type { DedupeStore } from '@rxtrade/rabbitmq';
import type { Redis } from 'ioredis';

/**
 * The bus's dedupe window shared by every replica of a group, in Redis: a replica that takes over a
 * crashed one's partitions skips what the dead one had finished. `SET … EX` per id; ids expire
 * after `ttlSeconds` (default 1 day), longer than any redelivery we expect.
 */
export function createRedisDedupeStore(client: Redis, prefix: string, ttlSeconds = 86_400): DedupeStore {
  const key = (scope: string, id: string): string => `${prefix}dedupe:${scope}:${id}`;
  return {
    async has(scope, id) {
      return (await client.exists(key(scope, id))) === 1;
    },
    async add(scope, id) {
      await client.set(key(scope, id), '1', 'EX', ttlSeconds);
    },
  };
}
