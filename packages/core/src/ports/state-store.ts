import { RxtradeError } from '../errors';
import { compareKeys, encodeListCursor, listAll, parseListPage } from './state-listing';

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

/** Where a {@link StateStore.listPage} starts and how much it returns. */
export interface ListPageOptions {
  /** The `cursor` of the previous page; absent for the first page. */
  readonly cursor?: string;
  /** Most records in the page, 1 to 10,000. Default 100. */
  readonly limit?: number;
}

/** One page of records, in key order. */
export interface StatePage {
  readonly entries: ReadonlyArray<readonly [key: string, record: StateRecord]>;
  /** Pass it to get the next page; `undefined` when there is none. */
  readonly cursor: string | undefined;
}

/**
 * Shared state: positions, orders, accounts. Keys are colon-separated (`position:acc-1:SPX`).
 * Implementations: {@link createMemoryStateStore} (default), `@rxtrade/redis`.
 * Every implementation runs `stateStoreContract` from `@rxtrade/core/testing`.
 */
export interface StateStore {
  get(key: string): Promise<StateRecord | undefined>;
  /**
   * One page of the records whose key starts with `prefix`, in key order ({@link compareKeys}). The
   * cursor is the last key returned, so paging is stable while records are added and removed: a
   * record present for the whole walk is returned exactly once; one added or removed during it may
   * or may not be. A page may hold fewer than `limit` records with more to come (records removed
   * meanwhile); only an `undefined` cursor ends the walk. Cost grows with the page, not with the store.
   */
  listPage(prefix: string, options?: ListPageOptions): Promise<StatePage>;
  /**
   * Every record whose key starts with `prefix`, sorted by key: a convenience over
   * {@link StateStore.listPage} ({@link listAll}) that holds the whole result in memory. Not one
   * snapshot: a record written during the walk may or may not be in it.
   */
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
  /** Every key in {@link compareKeys} order; dropped when a key is added or removed. */
  let sorted: string[] | undefined;

  const ensureOpen = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'state store is closed' });
  };

  const store: StateStore = {
    async get(key) {
      ensureOpen();
      const record = records.get(key);
      return record === undefined ? undefined : { ...record };
    },
    async listPage(prefix, options) {
      ensureOpen();
      const { after, limit } = parseListPage(prefix, options);
      // Sorted once after keys were added or removed, then each page is a binary search and a slice.
      sorted ??= [...records.keys()].sort(compareKeys);
      const keys = sorted;
      const from = after ?? prefix;
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const c = compareKeys(keys[mid] as string, from);
        if (c < 0 || (c === 0 && after !== undefined)) lo = mid + 1;
        else hi = mid;
      }
      const entries: Array<readonly [string, StateRecord]> = [];
      let index = lo;
      for (; index < keys.length && entries.length < limit; index++) {
        const key = keys[index] as string;
        if (!key.startsWith(prefix)) break;
        entries.push([key, { ...records.get(key) }]);
      }
      const more =
        entries.length === limit && index < keys.length && (keys[index] as string).startsWith(prefix);
      const last = entries[entries.length - 1];
      return { entries, cursor: more && last ? encodeListCursor(last[0]) : undefined };
    },
    list(prefix) {
      return listAll(store, prefix);
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
              if (!records.has(op.key)) sorted = undefined;
              records.set(op.key, { ...records.get(op.key), ...op.fields });
            }
            break;
          case 'replace':
            if (!records.has(op.key)) sorted = undefined;
            records.set(op.key, { ...op.fields });
            break;
          case 'incrBy': {
            const record = records.get(op.key) ?? {};
            // BigInt keeps sums exact beyond 2^53, as Redis's 64-bit integers are.
            record[op.field] = String(BigInt(record[op.field] ?? '0') + BigInt(op.by));
            if (!records.has(op.key)) sorted = undefined;
            records.set(op.key, record);
            break;
          }
          case 'delete':
            if (records.delete(op.key)) sorted = undefined;
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
  return store;
}
