import { RxtradeError } from '../errors';

/** One stored record: a flat map of string fields (a Redis hash, a row). */
export type StateRecord = Readonly<Record<string, string>>;

/** One write inside a {@link StateBatch}. */
export type StateOp =
  /** Sets the given fields (others are kept). */
  | { readonly op: 'set'; readonly key: string; readonly fields: StateRecord }
  /** Replaces the whole record. */
  | { readonly op: 'replace'; readonly key: string; readonly fields: StateRecord }
  /** Adds an integer to a field (missing field counts as 0). Values are integer minor units. */
  | { readonly op: 'incrBy'; readonly key: string; readonly field: string; readonly by: number }
  | { readonly op: 'delete'; readonly key: string };

/**
 * A set of writes applied all-or-nothing.
 * - `eventId`: apply at most once. A batch whose eventId was applied before changes nothing and
 *   reports `DUPLICATE_EVENT` (a redelivered fill is applied once).
 * - `fence`: the writer's fencing token from a {@link LockManager} lease. A batch whose token is
 *   lower than the highest token the store has seen for that resource changes nothing and reports
 *   `STALE_FENCING_TOKEN` (a paused holder whose lease expired cannot write).
 */
export interface StateBatch {
  readonly ops: readonly StateOp[];
  readonly eventId?: string;
  readonly fence?: { readonly resource: string; readonly token: number };
}

export type ApplyResult =
  | { readonly applied: true }
  | { readonly applied: false; readonly reason: 'DUPLICATE_EVENT' | 'STALE_FENCING_TOKEN' };

/**
 * Shared state: positions, orders, accounts. Keys are colon-separated (`position:acc-1:SPX`).
 * Implementations: {@link createMemoryStateStore} (default), `@rxtrade/redis`.
 * Every implementation runs `stateStoreContract` from `@rxtrade/core/testing`.
 */
export interface StateStore {
  get(key: string): Promise<StateRecord | undefined>;
  /** Every record whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ReadonlyArray<readonly [key: string, record: StateRecord]>>;
  apply(batch: StateBatch): Promise<ApplyResult>;
  /** Idempotent. Later calls reject with `CLOSED`. */
  close(): Promise<void>;
}

/** Options for {@link createMemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** How many applied event ids to remember for de-duplication (oldest forgotten first). Default 1,000,000. */
  readonly dedupeWindow?: number;
}

/** Validates a batch the same way in every implementation. */
export function assertValidBatch(batch: StateBatch): void {
  for (const op of batch.ops) {
    if (typeof op.key !== 'string' || op.key.length === 0) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: 'state op key must be a non-empty string',
      });
    }
    if (op.op === 'incrBy' && !Number.isSafeInteger(op.by)) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `incrBy on ${op.key}.${op.field} needs a safe integer, got ${op.by}`,
      });
    }
    if (op.op === 'set' || op.op === 'replace') {
      for (const [field, value] of Object.entries(op.fields)) {
        if (typeof value !== 'string') {
          throw new RxtradeError({
            code: 'INVALID_ARGUMENT',
            message: `field ${op.key}.${field} must be a string`,
          });
        }
      }
    }
  }
  if (batch.fence && !(Number.isSafeInteger(batch.fence.token) && batch.fence.token > 0)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'fence token must be a positive integer' });
  }
  if (batch.fence && !(typeof batch.fence.resource === 'string' && batch.fence.resource.length > 0)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: 'fence resource must be a non-empty string',
    });
  }
}

/** The in-memory {@link StateStore}: one process, nothing persisted. */
export function createMemoryStateStore(options: MemoryStateStoreOptions = {}): StateStore {
  const records = new Map<string, Record<string, string>>();
  const applied = new Set<string>();
  const fences = new Map<string, number>();
  const dedupeWindow = options.dedupeWindow ?? 1_000_000;
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'state store is closed' });
  };

  return {
    async get(key) {
      ensureOpen();
      const record = records.get(key);
      return record === undefined ? undefined : { ...record };
    },
    async list(prefix) {
      ensureOpen();
      const out: Array<readonly [string, StateRecord]> = [];
      for (const [key, record] of records) if (key.startsWith(prefix)) out.push([key, { ...record }]);
      return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    },
    async apply(batch) {
      ensureOpen();
      assertValidBatch(batch);
      if (batch.fence && (fences.get(batch.fence.resource) ?? 0) > batch.fence.token) {
        return { applied: false, reason: 'STALE_FENCING_TOKEN' };
      }
      if (batch.eventId !== undefined && applied.has(batch.eventId)) {
        return { applied: false, reason: 'DUPLICATE_EVENT' };
      }
      // Check every incrBy target before writing anything, so a bad field leaves state unchanged.
      for (const op of batch.ops) {
        if (op.op !== 'incrBy') continue;
        const current = records.get(op.key)?.[op.field];
        // Canonical integers only, as Redis HINCRBY accepts them ("007" and "-0" are not).
        if (current !== undefined && !/^(0|-?[1-9]\d*)$/.test(current)) {
          throw new RxtradeError({
            code: 'CORRUPT_STATE',
            message: `field ${op.key}.${op.field} is not an integer: ${JSON.stringify(current)}`,
            details: { key: op.key, field: op.field },
          });
        }
      }
      for (const op of batch.ops) {
        switch (op.op) {
          case 'set':
            // Like a Redis hash: setting no fields creates no record.
            if (Object.keys(op.fields).length > 0 || records.has(op.key)) {
              records.set(op.key, { ...records.get(op.key), ...op.fields });
            }
            break;
          case 'replace':
            records.set(op.key, { ...op.fields });
            break;
          case 'incrBy': {
            const record = records.get(op.key) ?? {};
            // BigInt keeps sums exact beyond 2^53, as Redis's 64-bit integers are.
            record[op.field] = String(BigInt(record[op.field] ?? '0') + BigInt(op.by));
            records.set(op.key, record);
            break;
          }
          case 'delete':
            records.delete(op.key);
            break;
        }
      }
      if (batch.fence) fences.set(batch.fence.resource, batch.fence.token);
      if (batch.eventId !== undefined) {
        applied.add(batch.eventId);
        if (applied.size > dedupeWindow) {
          const oldest = applied.values().next().value;
          if (oldest !== undefined) applied.delete(oldest);
        }
      }
      return { applied: true };
    },
    async close() {
      closed = true;
    },
  };
}
