import { RxtradeError } from '@rxtrade/core';

/**
 * Remembers which message ids a consumer already processed, so a redelivery (an ack lost to a dropped
 * connection, a retransmitted publish) is acknowledged without running the handler again.
 *
 * The bus calls `has` before the handler and `add` after it succeeded, before acking; a process that
 * dies between the handler's effect and `add` still sees the message again, so handlers stay
 * idempotent (a StateStore batch with an `eventId` is the durable way). Keep the store at least as
 * long-lived as the redelivery window: process memory covers reconnects; a shared store (e.g. Redis
 * through `@rxtrade/redis`) also covers a replica that crashed and whose messages went to another.
 */
export interface DedupeStore {
  /** True when `id` was recorded for `scope` (the consumer group) and is still remembered. */
  has(scope: string, id: string): boolean | Promise<boolean>;
  /** Records `id` as processed for `scope`. */
  add(scope: string, id: string): void | Promise<void>;
}

/** Options for {@link createMemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /** Ids remembered, over all scopes; the least recently seen is forgotten first. Default 100,000. */
  readonly capacity?: number;
}

/**
 * The default {@link DedupeStore}: a bounded LRU in process memory. It survives reconnects, not a
 * restart, and is not shared between replicas.
 */
export function createMemoryDedupeStore(options: MemoryDedupeStoreOptions = {}): DedupeStore {
  const capacity = options.capacity ?? 100_000;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: 'dedupe capacity must be a positive integer',
      details: { capacity },
    });
  }
  // A Map iterates in insertion order: re-inserting on access makes its first key the LRU one.
  const seen = new Map<string, true>();
  return {
    has(scope, id) {
      const key = `${scope}\u0000${id}`;
      if (!seen.has(key)) return false;
      seen.delete(key);
      seen.set(key, true);
      return true;
    },
    add(scope, id) {
      const key = `${scope}\u0000${id}`;
      seen.delete(key);
      seen.set(key, true);
      if (seen.size > capacity) {
        const oldest = seen.keys().next();
        if (!oldest.done) seen.delete(oldest.value);
      }
    },
  };
}
